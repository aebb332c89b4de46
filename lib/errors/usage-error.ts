/** The command line's error. */
import { RxKafkaError } from './rxkafka-error.js'

/**
 * A usage mistake on the command line: printed with the command's help, exit code 2.
 *
 * @example
 * ```ts
 * throw new UsageError('--topic is required', 'pass --topic orders')
 * ```
 */
export class UsageError extends RxKafkaError {
  constructor(what: string, hint?: string) {
    super('USAGE', what, hint === undefined ? {} : { hint })
  }
}
