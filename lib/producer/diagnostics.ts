/**
 * A snapshot of every running producer, so a stuck pipeline can be read:
 * which partitions hold batches, which are in flight, which circuits are open,
 * how much of the buffer is used.
 */
import type { CircuitState } from '../operators/circuitBreaker.js'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { DiagnosticsRegistry, partKind, type Diagnosable, type PartKind } from '../kit/diagnostics-registry.js'
import type { EngineState } from './engine-state.js'
import type { ProducerId } from './producer-id.js'

/**
 * A circuit breaker as diagnostics show it.
 *
 * @example
 * ```ts
 * const open = producerDiagnostics(client).flatMap(d => d.brokers).filter(b => b.breaker?.state === 'open')
 * ```
 */
export interface BreakerSnapshot {
  /** `closed` (passing), `open` (failing fast) or `half-open` (letting a probe through). */
  state: CircuitState
  /** Failed attempts in a row. */
  consecutiveFailures: number
  /** When an open circuit lets a probe through (scheduler time), if open. */
  halfOpensAt: number | undefined
}


/**
 * One producer (one subscription of produceTo / produce, or the shared producer of send).
 *
 * @example
 * ```ts
 * const [d] = producerDiagnostics(client)
 * for (const p of d.partitions) if (p.breaker?.state === 'open') console.warn(`${p.topic}/${p.partition} circuit open`)
 * ```
 */
export interface ProducerDiagnostics {
  /** The producer's name: the `name` option, or `producer-N`. */
  name: string
  /** Every topic it has produced to or waits for. */
  topics: ProducerTopicDiagnostics[]
  /** Partitions that hold something, have sent something, or have an open circuit. */
  partitions: ProducerPartitionDiagnostics[]
  /** The per-broker senders. */
  brokers: ProducerBrokerDiagnostics[]
  /** Encoded records held, not yet acknowledged. */
  bufferedBytes: number
  /** The `maxBufferedBytes` bound. */
  maxBufferedBytes: number
  /** Messages not yet encoded: waiting for buffer space or for their topic's metadata. */
  waitingMessages: number
  /** Produce requests written and not yet answered, over every broker. */
  inFlightRequests: number
  /** Whether it produces idempotently (producer id and sequence numbers). */
  idempotent: boolean
  /** Its producer id, -1n before it has one (or when not idempotent). */
  producerId: bigint
  /** Its producer epoch, -1 before it has one. */
  producerEpoch: number
  /** `none`, `fetching` (InitProducerId in flight), `ready`, `bump-pending` or `bumping` (a new epoch after a sequence error). */
  producerIdState: string
  /** Whether the source has completed (it is flushing what is left). */
  sourceCompleted: boolean
  /** Whether it has finished: completed, errored or unsubscribed. */
  closed: boolean
  /** Results emitted so far. */
  resultsEmitted: number
  /** Messages that finally failed. */
  failures: number
  /** Produce requests sent so far. */
  requestsSent: number
  /** Record batches sent so far (a request carries many). */
  batchesSent: number
  /** Batches moved to another partition because theirs had an open circuit (strictPartitioning false). */
  reroutedBatches: number
  /** Batches the broker refused as too large that were split in two and sent again. */
  splitBatches: number
  /** When its timer (linger, backoff, delivery timeout) fires next, in scheduler time; undefined when none is set. */
  nextWakeAt: number | undefined
  /** Why it failed for good, if it did. */
  fatalError: string | undefined
}

/** One topic of a producer, in {@link ProducerDiagnostics}. */
export interface ProducerTopicDiagnostics {
  /** The topic. */
  topic: string
  /** Whether its metadata (partitions and leaders) is known. */
  ready: boolean
  /** Its partition count, 0 until ready. */
  partitions: number
  /** Messages waiting for its metadata or for buffer space. */
  waitingMessages: number
  /** Why its metadata lookup failed, if it did. */
  failed: string | undefined
}

/** One partition of a producer, in {@link ProducerDiagnostics}. */
export interface ProducerPartitionDiagnostics {
  /** The topic. */
  topic: string
  /** The partition. */
  partition: number
  /** Its leader's broker id as the producer knows it. */
  leader: number
  /** The batch taking messages now, if any: its records, bytes, and when it opened (scheduler time). */
  openBatch: ProducerOpenBatchDiagnostics | undefined
  /** Sealed batches, the one in flight (if any) included. */
  queuedBatches: number
  /** Records in the sealed batches. */
  queuedRecords: number
  /** Whether the first queued batch is in a request now. */
  inFlight: boolean
  /** Attempts made for the batch at the head of the queue. */
  headAttempts: number
  /** The sequence number the next batch gets (idempotence). */
  nextSequence: number
  /** The partition's circuit breaker, unless breakers are off. */
  breaker: BreakerSnapshot | undefined
}

/** The open batch of a partition, in {@link ProducerPartitionDiagnostics}. */
export interface ProducerOpenBatchDiagnostics {
  /** Records in it. */
  records: number
  /** Their encoded bytes, before compression. */
  bytes: number
  /** When its first record arrived (scheduler time). */
  openedAt: number
}

/** One per-broker sender of a producer, in {@link ProducerDiagnostics}. */
export interface ProducerBrokerDiagnostics {
  /** The broker id. */
  broker: number
  /** Produce requests written and not yet answered. */
  inFlightRequests: number
  /** Produce requests sent to it so far. */
  requestsSent: number
  /** The broker's circuit breaker, unless breakers are off. */
  breaker: BreakerSnapshot | undefined
}

/** The producers among a client's parts. */
export const PRODUCER_PARTS: PartKind<ProducerDiagnostics> = partKind<ProducerDiagnostics>('producer')

/** @internal Called by the operators when a producer starts; the returned function removes it. */
export function registerProducer(producer: Diagnosable<ProducerDiagnostics>, client: ClusterClient): () => void {
  return client.parts.add(PRODUCER_PARTS, producer)
}

/**
 * Snapshots of the running producers (of one client, or all).
 *
 * @example
 * ```ts
 * import { producerDiagnostics } from 'rxkafka'
 * setInterval(() => console.log(JSON.stringify(producerDiagnostics(client), (_, v) => typeof v === 'bigint' ? String(v) : v)), 10_000)
 * ```
 */
export function producerDiagnostics(client?: ClusterClient): ProducerDiagnostics[] {
  return client === undefined ? DiagnosticsRegistry.snapshotAll(PRODUCER_PARTS) : client.parts.snapshot(PRODUCER_PARTS)
}

/** What the engine adds to its shared state for a snapshot: its name, clock, options and own flags. */
export interface EngineSnapshotInput {
  name: string
  now: number
  options: { maxBufferedBytes: number; idempotent: boolean }
  pid: ProducerId
  sourceCompleted: boolean
  nextWakeAt: number | undefined
  fatalError: string | undefined
}

/** @internal The snapshot of one producer engine, built from the state its rooms share. */
export function engineDiagnostics<M>(state: EngineState<M>, engine: EngineSnapshotInput): ProducerDiagnostics {
  const now = engine.now
  const partitions: ProducerDiagnostics['partitions'] = []
  for (const topic of state.topics.values()) {
    for (const p of topic.partitions) {
      if (!p.busy && p.breaker?.state !== 'open' && p.nextSequence === 0) continue
      partitions.push({
        topic: topic.name,
        partition: p.partition,
        leader: p.leader,
        openBatch: p.open === undefined ? undefined : { records: p.open.recordCount, bytes: p.open.sizeInBytes, openedAt: p.open.openedAt },
        queuedBatches: p.queue.length,
        queuedRecords: p.queue.reduce((n, b) => n + b.recordCount, 0),
        inFlight: p.inFlight,
        headAttempts: p.queue[0]?.attempts ?? 0,
        nextSequence: p.nextSequence,
        breaker: p.breaker === undefined ? undefined : { state: p.breaker.advance(now), consecutiveFailures: p.breaker.consecutiveFailures, halfOpensAt: p.breaker.halfOpensAt },
      })
    }
  }
  return {
    name: engine.name,
    topics: [...state.topics.values()].map((t) => ({ topic: t.name, ready: t.ready, partitions: t.partitions.length, waitingMessages: t.waitingCount, failed: t.failed?.message })),
    partitions,
    brokers: [...state.brokers.values()].map((b) => ({
      broker: b.nodeId,
      inFlightRequests: b.inFlight,
      requestsSent: b.requestsSent,
      breaker: b.breaker === undefined ? undefined : { state: b.breaker.advance(now), consecutiveFailures: b.breaker.consecutiveFailures, halfOpensAt: b.breaker.halfOpensAt },
    })),
    bufferedBytes: state.bufferedBytes,
    maxBufferedBytes: engine.options.maxBufferedBytes,
    waitingMessages: state.waitingMessages,
    inFlightRequests: state.inFlightRequests,
    idempotent: engine.options.idempotent,
    producerId: engine.pid.id,
    producerEpoch: engine.pid.epoch,
    producerIdState: engine.pid.state,
    sourceCompleted: engine.sourceCompleted,
    closed: state.closed,
    resultsEmitted: state.resultsEmitted,
    failures: state.failures,
    requestsSent: state.requestsSent,
    batchesSent: state.batchesSent,
    reroutedBatches: state.reroutes,
    splitBatches: state.splits,
    nextWakeAt: engine.nextWakeAt,
    fatalError: engine.fatalError,
  }
}
