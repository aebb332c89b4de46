/**
 * Typed errors of {@link startKafkaCluster}, so a test can tell a missing Java
 * or Maven from a broker that died while starting from a cluster already stopped.
 */
import { RxKafkaError } from '../protocol/errors.js'
import type { RxKafkaErrorOptions } from '../protocol/errors.js'

/**
 * The base class of every error of a real Kafka cluster started by `startKafkaCluster`.
 *
 * @example
 * ```ts
 * import { KafkaClusterError, startKafkaCluster } from 'rxkafka/testing'
 * try { await startKafkaCluster() } catch (e) { if (e instanceof KafkaClusterError) console.error(e.message, e.hint) }
 * ```
 */
export class KafkaClusterError extends RxKafkaError {}

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
