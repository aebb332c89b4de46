/**
 * Typed errors of the mock cluster, so a test can tell a typo in its own
 * control call from a missing compiler from a broker process that died.
 */
import { RxKafkaError } from '../protocol/errors.js'
import type { RxKafkaErrorOptions } from '../protocol/errors.js'

/**
 * The base class of every mock-cluster error.
 *
 * @example
 * ```ts
 * import { MockClusterError, startMockCluster } from 'rxkafka/testing'
 * try { await startMockCluster() } catch (e) { if (e instanceof MockClusterError) console.error(e.hint) }
 * ```
 */
export class MockClusterError extends RxKafkaError {}

/**
 * The mock-cluster host program could not be built: no C compiler, node-rdkafka
 * missing or not built, a header missing, or the compiler failed. The message
 * names what is missing; `hint` says how to fix it.
 *
 * @example
 * ```ts
 * import { MockClusterBuildError, buildMockClusterBinary } from 'rxkafka/testing'
 * await buildMockClusterBinary().catch(e => { if (e instanceof MockClusterBuildError) console.error(e.message) })
 * ```
 */
export class MockClusterBuildError extends MockClusterError {
  /** What is missing or failed, such as `compiler`, `node-rdkafka`, `header`, `library`, `compile`. */
  readonly missing: string

  constructor(missing: string, what: string, options: RxKafkaErrorOptions = {}) {
    super('MOCK_CLUSTER_BUILD', what, options)
    this.missing = missing
  }
}

/**
 * The mock-cluster process did not start, or it exited while a control was
 * waiting for its answer, or a control was called after `stop()`.
 *
 * @example
 * ```ts
 * import { MockClusterStoppedError } from 'rxkafka/testing'
 * await cluster.stop()
 * await cluster.brokerDown(1).catch(e => e instanceof MockClusterStoppedError) // true
 * ```
 */
export class MockClusterStoppedError extends MockClusterError {
  constructor(what: string, options: RxKafkaErrorOptions = {}) {
    super('MOCK_CLUSTER_STOPPED', what, options)
  }
}

/**
 * A control was called with an argument that cannot be right (a broker id that
 * does not exist, a negative partition count, an API version beyond what the
 * mock implements). Raised before anything is sent to the mock.
 *
 * @example
 * ```ts
 * import { MockClusterArgumentError } from 'rxkafka/testing'
 * await cluster.createTopic('t', 0).catch(e => e instanceof MockClusterArgumentError) // true
 * ```
 */
export class MockClusterArgumentError extends MockClusterError {
  /** The control that was called, such as `createTopic`. */
  readonly control: string

  constructor(control: string, what: string, options: RxKafkaErrorOptions = {}) {
    super('MOCK_CLUSTER_ARGUMENT', `${control}: ${what}`, options)
    this.control = control
  }
}

/**
 * The mock refused a control (it answered `err`): the topic already exists, the
 * partition is out of range, the broker is unknown.
 *
 * @example
 * ```ts
 * import { MockClusterControlError } from 'rxkafka/testing'
 * await cluster.createTopic('t', 1)
 * await cluster.createTopic('t', 1).catch(e => e instanceof MockClusterControlError && e.mockError === 'TOPIC_ALREADY_EXISTS') // true
 * ```
 */
export class MockClusterControlError extends MockClusterError {
  /** The control that was called, such as `setPartitionLeader`. */
  readonly control: string
  /**
   * The error name the mock answered with: a librdkafka error name such as
   * `TOPIC_ALREADY_EXISTS`, `UNKNOWN_TOPIC_OR_PART` or `_UNKNOWN_BROKER`, or
   * `INVALID_ARGUMENT`/`UNKNOWN_COMMAND` from the host program itself.
   */
  readonly mockError: string

  constructor(control: string, mockError: string, what: string, options: RxKafkaErrorOptions = {}) {
    super('MOCK_CLUSTER_CONTROL', `${control} refused by the mock cluster: ${what}`, options)
    this.control = control
    this.mockError = mockError
  }
}
