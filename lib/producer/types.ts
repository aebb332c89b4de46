/**
 * What goes into the producer and what comes out: messages, results, and the
 * life of the batch a message travelled in.
 */

/** A record header. A string value is written as UTF-8; null is a header without a value. */
export interface ProducerHeader {
  /** The header's name. */
  key: string
  /** Its value: a string is written as UTF-8, null is a header without a value. */
  value: Buffer | string | null
}

/** Headers as a list (repeated keys allowed, order kept) or as an object. */
export type ProducerHeaders = readonly ProducerHeader[] | Readonly<Record<string, Buffer | string | null>>

/**
 * One message to produce. `metadata` is not sent: it comes back unchanged on
 * the message's {@link ProducerResult}, so results can be matched to inputs
 * without closures.
 *
 * `K` and `V` are the key and value types before serialization: Buffer,
 * string or null unless a `keySerializer`/`valueSerializer` option turns
 * another type into bytes.
 *
 * @example
 * ```ts
 * const message: ProducerMessage<{ orderId: string }> = {
 *   key: 'customer-42', value: JSON.stringify(order), headers: { source: 'web' }, metadata: { orderId: order.id },
 * }
 * ```
 */
export interface ProducerMessage<M = unknown, K = Buffer | string | null, V = Buffer | string | null> {
  /** The key: Buffer, string (UTF-8) or null, or any type a `keySerializer` turns into one. Keyed messages go to `murmur2(key) % partitions`. */
  key?: K
  /** The value: Buffer, string (UTF-8) or null (a tombstone), or any type a `valueSerializer` turns into one. */
  value: V
  /** Record headers, as a list or an object. */
  headers?: ProducerHeaders
  /** Send to this partition; bypasses the partitioner. */
  partition?: number
  /** CreateTime in ms since the epoch. Default: the scheduler's now() when the message enters the producer. */
  timestamp?: number
  /** Yours: not sent, handed back on the message's result. */
  metadata?: M
}

/**
 * A message that names its own topic, for {@link produce}.
 *
 * @example
 * ```ts
 * const message: TopicProducerMessage = { topic: 'audit', value: 'login', key: userId }
 * ```
 */
export interface TopicProducerMessage<M = unknown, K = Buffer | string | null, V = Buffer | string | null>
  extends ProducerMessage<M, K, V> {
  /** The topic to produce to. */
  topic: string
}

/** One Produce request that carried the batch: when it was queued, written, answered, by which broker, and how it failed. */
export interface ProduceExchange {
  /** When the batch was queued for this attempt (scheduler time, ms). */
  enqueuedAt: number
  /** When the request carrying it was handed to the connection. */
  sentAt: number
  /** When the answer (or the failure) arrived; undefined for acks=0 until written. */
  answeredAt: number
  /** The broker the request went to. */
  broker: number
  /** What went wrong on this attempt, if anything. */
  error?: Error
}

/** The life of the record batch a message travelled in (shared by every message of the batch). */
export interface ProducerBatchLife {
  /** When the batch was opened by its first message (scheduler time, ms). */
  openedAt: number
  /** When it stopped taking messages (full, linger expired, or flush). */
  sealedAt: number
  /** When its records were compressed and the batch framed. */
  compressedAt: number
  /** Size of the encoded records before compression. */
  uncompressedBytes: number
  /** Size of the record batch on the wire (header included). */
  compressedBytes: number
  /** Number of records in the batch. */
  records: number
  /** One entry per Produce request that carried the batch. */
  exchanges: readonly ProduceExchange[]
}

/**
 * What happened to one message. Per partition, results come out in the order
 * the messages went in. With `errorMode: 'result'` a failed delivery has
 * `error` set and `offset` -1n.
 *
 * @example
 * ```ts
 * results$.subscribe((r: ProducerResult<string>) => {
 *   if (r.error !== undefined) console.error('not delivered', r.metadata, r.error.message)
 *   else console.log(r.metadata, `${r.topic}/${r.partition}@${r.offset}`, r.batch.exchanges.length, 'attempt(s)')
 * })
 * ```
 */
export interface ProducerResult<M = unknown> {
  /** The topic the message went to. */
  topic: string
  /** The partition it went to (-1 when it failed before one was chosen). */
  partition: number
  /** Offset of the record in the partition; -1n when unknown (acks=0, failure, or a duplicate whose offset the broker did not return). */
  offset: bigint
  /** The record's timestamp: CreateTime as sent, or the broker's LogAppendTime when the topic uses it. */
  timestamp: number
  /** The message's `metadata`, as given. */
  metadata: M | undefined
  /** Why the message was not delivered. Absent on success. */
  error?: Error
  /** The life of the batch the message travelled in. */
  batch: ProducerBatchLife
}
