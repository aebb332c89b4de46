/** The admin client's own error: a call given arguments that cannot work. */
import { RxKafkaError } from './rxkafka-error.js'

/**
 * An admin call was given an argument it cannot send: no topics, a negative
 * partition count, an offset spec it does not know. Raised before anything is
 * sent, naming the call and the argument.
 *
 * @example
 * ```ts
 * import { AdminArgumentError } from 'rxkafka'
 * try { await kafka.admin.createTopics([]) } catch (e) { if (e instanceof AdminArgumentError) console.error(e.call, e.argument) }
 * ```
 */
export class AdminArgumentError extends RxKafkaError {
  /** The admin call, such as `createTopics`. */
  readonly call: string
  /** The argument that was rejected, such as `topics[0].partitions`. */
  readonly argument: string

  constructor(call: string, argument: string, what: string, hint: string) {
    super('INVALID_ADMIN_ARGUMENT', `${call}: ${argument} ${what}`, { hint, path: `${call}.${argument}` })
    this.call = call
    this.argument = argument
  }
}
