/**
 * The message a partition substream emits. One plain object per record, with
 * `done()` on the prototype, so delivering a message costs one allocation and
 * no closure, Promise or Observable.
 */
import type { DonePrefixTracker } from './done-prefix-tracker.js'

/**
 * A message that can be marked as processed. The consumer's messages
 * implement it: a done message's offset may be committed. The operators
 * `handleAndDone`, `processInOrder` and `processConcurrently` take any Doneable.
 *
 * @example
 * ```ts
 * import type { Doneable } from 'rxkafka'
 * const job: Doneable & { id: string } = { id: 'a', done: () => console.log('a is done') }
 * ```
 */
export interface Doneable {
  /** Marks the item processed. */
  done(): void
}

/** A record header. Keys are strings by Kafka's definition; values are raw bytes. */
export interface MessageHeader {
  /** The header's name. */
  readonly key: string
  /** Its value as a view into the fetched bytes, or null. */
  readonly value: Buffer | null
}

/**
 * The fields every consumed record carries, whichever way it was consumed: a
 * consumer group's `ConsumerMessage` and a share group's `ShareRecord` both
 * extend it, so code that only reads records can take either.
 *
 * @example
 * ```ts
 * import type { ConsumedRecordFields } from 'rxkafka'
 * const describe = (record: ConsumedRecordFields): string =>
 *   `${record.topic}/${record.partition}@${record.offset}`
 * ```
 */
export interface ConsumedRecordFields {
  /** The topic it was read from. */
  readonly topic: string
  /** The partition it was read from. */
  readonly partition: number
  /** Its offset in the partition. */
  readonly offset: bigint
  /** A view into the fetched bytes: copy it if you keep it after the record is settled. */
  readonly key: Buffer | null
  /** A view into the fetched bytes: copy it if you keep it after the record is settled. */
  readonly value: Buffer | null
  /** Record headers, in order. */
  readonly headers: readonly MessageHeader[]
  /** Milliseconds since the epoch (create time or log-append time, as the topic says). */
  readonly timestamp: number
}

/**
 * A consumed record. Call `done()` once its processing is complete, in any
 * order: the committed offset of its partition advances over the contiguous
 * prefix of done messages.
 *
 * It is a `Doneable`, so the operators `handleAndDone`, `processInOrder` and
 * `processConcurrently` take it as it is.
 *
 * @example
 * ```ts
 * partition$.pipe(concatMap(msg => handle(msg.value).pipe(map(() => msg.done()))))
 * // or: partition$.pipe(concatMap(handleAndDone(msg => handle(msg.value))))
 * ```
 */
export interface ConsumerMessage extends ConsumedRecordFields, Doneable {
  /** The leader epoch of the batch, -1 where unknown. */
  readonly leaderEpoch: number
  /** Marks the message processed; idempotent. After a revoke or a restart of its substream it has no effect. */
  done(): void
}

/** The substream's own representation of a message; its extra fields are internal. */
export class DeliveredMessage implements ConsumerMessage {
  /** Set by done(); read by the tracker when it advances the prefix. */
  isDone = false

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: bigint,
    readonly key: Buffer | null,
    readonly value: Buffer | null,
    readonly headers: readonly MessageHeader[],
    readonly timestamp: number,
    readonly leaderEpoch: number,
    /** The tracker of the substream subscription that delivered it. */
    readonly tracker: DonePrefixTracker,
    /** Position in the tracker's delivery order (absolute, not an array index). */
    readonly sequence: number,
    /** Tracker epoch at delivery: a done() from an earlier epoch is ignored. */
    readonly epoch: number,
    /** Bytes counted against maxUndoneBytes. */
    readonly size: number,
  ) {}

  done(): void {
    if (this.isDone) return
    this.tracker.markDone(this)
  }
}
