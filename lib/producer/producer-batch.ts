/**
 * One record batch of one partition, from its first message to its result:
 * encoded into a RecordBatchBuilder while open, then sealed (compressed, CRC)
 * and sent, retried, answered. Its life is recorded for the results.
 */
import { compressRecords, RecordBatchBuilder, sealRecords } from '../protocol/records/record-batch-builder.js'
import { decodeRecordBatches } from '../protocol/records/record-batch-decoder.js'
import type { SealedRecordBatch } from '../protocol/records/record-batch-builder.js'
import { CompressionCodecId, type CompressionCodecName } from '../protocol/compression/index.js'
import type { CodecPool } from '../workers/codec-pool.js'
import type { ProduceExchange, ProducerBatchLife } from './types.js'

/** Kafka sequence numbers wrap to 0 after 2^31 - 1. */
export function addSequence(sequence: number, increment: number): number {
  return (sequence + increment) % 0x80000000
}

export class ProducerBatch<M> {
  builder: RecordBatchBuilder | undefined
  sealed: SealedRecordBatch | undefined
  /** Per record, in offset order: what comes back on the result. */
  readonly metadata: (M | undefined)[] = []
  readonly timestamps: number[] = []
  readonly openedAt: number
  /** openedAt + deliveryTimeoutMs: after this the batch is not (re)sent. */
  readonly deadline: number
  sealedAt = 0
  compressedAt = 0
  uncompressedBytes = 0
  /** Bytes this batch holds against maxBufferedBytes. */
  bufferedBytes = 0
  /** Attempts made (Produce requests that carried it). */
  attempts = 0
  /** Not before this time (retry backoff). */
  readyAt = 0
  /** When it was last queued for sending (sealed, or a retry scheduled). */
  enqueuedAt = 0
  lastError: Error | undefined
  /** The last attempt failed without an answer, so the broker may or may not have written it. */
  outcomeUnknown = false
  /**
   * The broker its last attempt went to did not answer (node id; -1 when it
   * did): its backoff ends early when that broker answers again or the leader moves.
   */
  awaitsBroker = -1
  readonly exchanges: ProduceExchange[] = []
  /** The acceptance number of its first message (messages are numbered as they enter the producer), for flush(). */
  firstAccepted = 0
  /** Holds a message with an explicit partition: never moved to another partition. */
  pinned = false
  producerId = -1n
  producerEpoch = -1
  baseSequence = -1
  /**
   * True while a codec worker compresses the records ({@link sealOnWorker}): the
   * batch is queued, so order and sequence numbers are kept, but `sealed` is not
   * there yet and `readyAt` holds it back from sending.
   */
  sealing = false
  /** Set when compressing on the worker and again here failed: the batch fails when it comes up. */
  sealError: Error | undefined

  constructor(openedAt: number, deliveryTimeoutMs: number, initialCapacity: number) {
    this.openedAt = openedAt
    this.deadline = openedAt + deliveryTimeoutMs
    this.builder = new RecordBatchBuilder({ initialCapacity })
  }

  get recordCount(): number {
    return this.metadata.length
  }

  /** Encoded size so far (before compression), header included. */
  get sizeInBytes(): number {
    return this.builder !== undefined ? this.builder.sizeInBytes : this.uncompressedBytes
  }

  seal(now: number, compression: CompressionCodecName, producerId: bigint, producerEpoch: number, baseSequence: number): void {
    const builder = this.builder!
    this.sealedAt = now
    this.uncompressedBytes = builder.sizeInBytes
    this.sealed = builder.seal({ compression, producerId, producerEpoch, baseSequence })
    this.builder = undefined
    this.compressedAt = now
    this.enqueuedAt = now
    this.producerId = producerId
    this.producerEpoch = producerEpoch
    this.baseSequence = baseSequence
  }

  /**
   * The sealed batch as two unsealed ones, first half then second, records
   * re-encoded in order (after the broker refused it as too large). They keep
   * its open time (so its delivery deadline), its history of exchanges and
   * its share of the buffer; the caller seals and stamps them.
   */
  splitInHalves(topic: string, partition: number, initialCapacity: number): [ProducerBatch<M>, ProducerBatch<M>] {
    const records = decodeRecordBatches(this.sealed!.bytes, { topic, partition }).batches[0]!.records()
    const half = Math.ceil(records.length / 2)
    const deliveryTimeoutMs = this.deadline - this.openedAt
    const halves = [records.slice(0, half), records.slice(half)].map((list, index) => {
      const batch = new ProducerBatch<M>(this.openedAt, deliveryTimeoutMs, initialCapacity)
      for (const r of list) batch.builder!.append({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })
      const from = index === 0 ? 0 : half
      batch.metadata.push(...this.metadata.slice(from, from + list.length))
      batch.timestamps.push(...this.timestamps.slice(from, from + list.length))
      batch.exchanges.push(...this.exchanges)
      batch.pinned = this.pinned
      batch.firstAccepted = this.firstAccepted
      batch.outcomeUnknown = this.outcomeUnknown
      batch.lastError = this.lastError
      return batch
    }) as [ProducerBatch<M>, ProducerBatch<M>]
    halves[0].bufferedBytes = Math.floor(this.bufferedBytes / 2)
    halves[1].bufferedBytes = this.bufferedBytes - halves[0].bufferedBytes
    return halves
  }

  /** Whether the pool would compress this batch on a worker now (it is large enough, and the codec a built-in one). */
  goesToWorker(pool: CodecPool, compression: CompressionCodecName): boolean {
    return compression !== 'none' && pool.offloads(CompressionCodecId[compression], this.sizeInBytes)
  }

  /**
   * {@link seal} with compression and CRC-32C on a codec worker. The records are
   * copied for the worker, so that if it dies they are compressed here instead.
   * Producer state stamped meanwhile ({@link stamp}) is written when the bytes
   * are back; then `ready` runs (the producer sends from there).
   */
  sealOnWorker(now: number, compression: CompressionCodecName, pool: CodecPool, producerId: bigint, producerEpoch: number, baseSequence: number, ready: () => void): void {
    const builder = this.builder!
    const codec = CompressionCodecId[compression]
    this.sealedAt = now
    this.uncompressedBytes = builder.sizeInBytes
    const records = builder.takeRecords()
    this.builder = undefined
    this.enqueuedAt = now
    this.producerId = producerId
    this.producerEpoch = producerEpoch
    this.baseSequence = baseSequence
    this.sealing = true
    this.readyAt = Infinity
    pool
      .compress(codec, { ...records, buffer: Buffer.from(records.buffer.subarray(0, records.end)) })
      .catch(() => compressRecords(codec, records.buffer, records.end))
      .then(
        (compressed) => {
          this.sealed = sealRecords(records, compressed, { producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence: this.baseSequence })
        },
        (error: unknown) => {
          this.sealError = error instanceof Error ? error : new Error(String(error))
        },
      )
      .then(() => {
        this.sealing = false
        this.readyAt = 0
        ready()
      })
  }

  /** Re-stamps producer state (after an epoch bump or a resequence); recomputes the CRC. */
  stamp(producerId: bigint, producerEpoch: number, baseSequence: number): void {
    if (this.producerId === producerId && this.producerEpoch === producerEpoch && this.baseSequence === baseSequence) return
    // While a worker compresses, the state is only noted: sealOnWorker writes it when the bytes are back.
    this.sealed?.stampProducerState(producerId, producerEpoch, baseSequence)
    this.producerId = producerId
    this.producerEpoch = producerEpoch
    this.baseSequence = baseSequence
  }

  life(): ProducerBatchLife {
    return {
      openedAt: this.openedAt,
      sealedAt: this.sealedAt,
      compressedAt: this.compressedAt,
      uncompressedBytes: this.uncompressedBytes,
      compressedBytes: this.sealed?.compressedBytes ?? 0,
      records: this.recordCount,
      exchanges: this.exchanges,
    }
  }
}
