/** Errors of the virtual cluster's test controls. */
import { RxKafkaError, type RxKafkaErrorOptions } from '../protocol/errors.js'

/**
 * A test control was called with something the virtual cluster does not have
 * or cannot do (an unknown topic, partition, broker or group, a bad option).
 * The message names the argument; the hint says what to pass instead.
 *
 * @example
 * ```ts
 * import { VirtualClusterError } from 'rxkafka/testing'
 * expect(() => cluster.moveLeader('orders', 9, 1)).toThrow(VirtualClusterError)
 * ```
 */
export class VirtualClusterError extends RxKafkaError {
  constructor(what: string, options: RxKafkaErrorOptions = {}) {
    super('VIRTUAL_CLUSTER', what, { retriable: false, ...options })
  }
}
