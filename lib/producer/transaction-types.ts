/**
 * The types a transactional producer is used with: its settings, the records
 * it writes and where they went, and the consumed offsets it commits (see
 * transaction-manager.ts for the protocol).
 */
import type { BackoffOptions } from '../kit/backoff.js'
import type { CompressionCodecName } from '../protocol/compression/index.js'
import type { ProducerRecordHeader } from '../protocol/records/record-batch-builder.js'

/** One record to write in a transaction. Keys and values are bytes or strings (UTF-8). */
export interface TransactionalRecord {
  /** The topic to write to. */
  topic: string
  /** Absent: the key's murmur2 hash picks the partition (as the Java client), or any partition without a key. */
  partition?: number
  /** The key, or null / absent for none. */
  key?: Buffer | string | null
  /** The value; null is a tombstone. */
  value: Buffer | string | null
  /** Headers, in order. */
  headers?: ReadonlyArray<ProducerRecordHeader>
  /** Milliseconds since the epoch; default: now. */
  timestamp?: number
}

/** Where a record of a transaction was written (visible to read_committed readers only once it commits). */
export interface TransactionalWrite {
  /** The topic. */
  topic: string
  /** The partition. */
  partition: number
  /** The offset the broker gave it. */
  offset: bigint
}

/** The consumer group whose offsets a transaction commits, as KIP-447 asks: fenced members cannot commit. */
export interface TransactionGroupMetadata {
  /** The group id. */
  groupId: string
  /** The generation the member's assignment belongs to. */
  generationId: number
  /** The member id the coordinator gave. */
  memberId: string
  /** The static member id, or null. */
  groupInstanceId: string | null
}

/** One partition's next offset to read, committed in the transaction. */
export interface TransactionOffset {
  /** The topic. */
  topic: string
  /** The partition. */
  partition: number
  /** The next offset to read (one past the last processed record). */
  offset: bigint
  /** The leader epoch of the last processed record, or -1. */
  leaderEpoch?: number
}

/** Settings of a transactional producer. */
export interface TransactionalProducerOptions {
  /**
   * The producer's identity across restarts: a new producer with the same id
   * fences the old one (its open transaction is aborted, its writes refused).
   * One per instance of the app (for example `${app}-${hostname}`).
   */
  transactionalId: string
  /** How long a transaction may stay open before the coordinator aborts it. Default 60 000 (Kafka's default). */
  transactionTimeoutMs?: number
  /** Codec of the batches. Default `none`. */
  compression?: CompressionCodecName
  /**
   * Backoff between retries of retriable errors. Default 5 ms doubling to 1 s: the usual one is CONCURRENT_TRANSACTIONS
   * right after a commit, while the coordinator still writes the previous transaction's markers.
   */
  retryBackoff?: BackoffOptions
  /** How long a retriable error may be retried before it counts as abortable. Default 30 000. */
  retryTimeoutMs?: number
}
