/**
 * A snapshot of every running producer, so a stuck pipeline can be read:
 * which partitions hold batches, which are in flight, which circuits are open,
 * how much of the buffer is used.
 */
import type { CircuitState } from '../operators/circuitBreaker.js'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { DiagnosticsRegistry, partKind, type Diagnosable, type PartKind } from '../kit/diagnostics-registry.js'

/**
 * A circuit breaker as diagnostics show it.
 *
 * @example
 * ```ts
 * const open = producerDiagnostics(client).flatMap(d => d.brokers).filter(b => b.breaker?.state === 'open')
 * ```
 */
export interface BreakerSnapshot {
  state: CircuitState
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
  name: string
  topics: { topic: string; ready: boolean; partitions: number; waitingMessages: number; failed: string | undefined }[]
  /** Partitions that hold something, have sent something, or have an open circuit. */
  partitions: {
    topic: string
    partition: number
    leader: number
    openBatch: { records: number; bytes: number; openedAt: number } | undefined
    /** Sealed batches, the one in flight (if any) included. */
    queuedBatches: number
    queuedRecords: number
    /** Whether the first queued batch is in a request now. */
    inFlight: boolean
    /** Attempts made for the batch at the head of the queue. */
    headAttempts: number
    nextSequence: number
    breaker: BreakerSnapshot | undefined
  }[]
  brokers: { broker: number; inFlightRequests: number; requestsSent: number; breaker: BreakerSnapshot | undefined }[]
  bufferedBytes: number
  maxBufferedBytes: number
  /** Messages not yet encoded: waiting for buffer space or for their topic's metadata. */
  waitingMessages: number
  inFlightRequests: number
  idempotent: boolean
  producerId: bigint
  producerEpoch: number
  producerIdState: string
  sourceCompleted: boolean
  closed: boolean
  resultsEmitted: number
  failures: number
  requestsSent: number
  batchesSent: number
  /** Batches moved to another partition because theirs had an open circuit (strictPartitioning false). */
  reroutedBatches: number
  nextWakeAt: number | undefined
  fatalError: string | undefined
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
