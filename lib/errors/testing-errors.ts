/** Errors of the test tools in `rxkafka/testing`: the virtual cluster's controls, the mock cluster and the real Apache Kafka cluster (`startKafkaCluster`). */
import { RxKafkaError, type RxKafkaErrorOptions } from './rxkafka-error.js'
import type { ClientErrorCode } from './codes.js'

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

/**
 * The base class of every mock-cluster error. The subclasses let a test tell a
 * typo in its own control call from a missing compiler from a broker process
 * that died.
 *
 * @example
 * ```ts
 * import { MockClusterError, startMockCluster } from 'rxkafka/testing'
 * try { await startMockCluster() } catch (e) { if (e instanceof MockClusterError) console.error(e.hint) }
 * ```
 */
export class MockClusterError extends RxKafkaError {
  constructor(code: ClientErrorCode, what: string, options: RxKafkaErrorOptions = {}) {
    super(code, what, options)
  }
}

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

/**
 * The base class of every error of a real Kafka cluster started by `startKafkaCluster`.
 *
 * @example
 * ```ts
 * import { KafkaClusterError, startKafkaCluster } from 'rxkafka/testing'
 * try { await startKafkaCluster() } catch (e) { if (e instanceof KafkaClusterError) console.error(e.message, e.hint) }
 * ```
 */
export class KafkaClusterError extends RxKafkaError {
  constructor(code: ClientErrorCode, what: string, options: RxKafkaErrorOptions = {}) {
    super(code, what, options)
  }
}

/**
 * Kafka could not be installed: no `java`, no `mvn`, or Maven failed to
 * resolve `test-brokers/kafka`. The message names what; `hint` says how to fix it.
 *
 * @example
 * ```ts
 * import { KafkaInstallError, installKafka } from 'rxkafka/testing'
 * await installKafka().catch(e => { if (e instanceof KafkaInstallError) console.error(e.missing, e.hint) })
 * ```
 */
export class KafkaInstallError extends KafkaClusterError {
  /** What is missing or failed: `java`, `maven`, `resolve`. */
  readonly missing: string

  constructor(missing: string, what: string, options: RxKafkaErrorOptions = {}) {
    super('KAFKA_INSTALL', what, options)
    this.missing = missing
  }
}

/**
 * A node did not become ready: its JVM exited, or it did not answer Metadata
 * with every node registered in time. The message ends with the last lines the
 * node logged.
 *
 * @example
 * ```ts
 * import { KafkaStartError, startKafkaCluster } from 'rxkafka/testing'
 * await startKafkaCluster({ brokers: 3 }).catch(e => { if (e instanceof KafkaStartError) console.error(e.message) })
 * ```
 */
export class KafkaStartError extends KafkaClusterError {
  constructor(what: string, options: RxKafkaErrorOptions = {}) {
    super('KAFKA_START', what, options)
  }
}

/**
 * A control of the cluster was refused: a bad argument, an unknown node id,
 * a topic the broker would not create, or the cluster was already stopped.
 *
 * @example
 * ```ts
 * import { KafkaControlError } from 'rxkafka/testing'
 * await cluster.createTopic('bad name!', 1).catch(e => { if (e instanceof KafkaControlError) console.error(e.message) })
 * ```
 */
export class KafkaControlError extends KafkaClusterError {
  constructor(what: string, options: RxKafkaErrorOptions = {}) {
    super('KAFKA_CONTROL', what, options)
  }
}
