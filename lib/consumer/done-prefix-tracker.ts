/**
 * Per-partition bookkeeping of delivered messages: which are still un-done,
 * how many bytes they hold, and the commit point (the offset after the
 * contiguous prefix of done messages). Messages are delivered in offset order,
 * so the delivery queue is also sorted by offset and the prefix only moves
 * forward from its head.
 */
import { DeliveredMessage, type MessageHeader } from './consumer-message.js'

/** Drops the consumed part of the queue once it is this long (and at least half of it), keeping `shift()` cost away from the hot path. */
const COMPACT_AT = 4096

/** Framing of one record in a batch beyond its key and value (lengths, deltas, attributes), roughly. */
const RECORD_OVERHEAD_BYTES = 10
/** Never ask for less than this; the broker rounds up to a whole batch anyway. */
const MIN_FETCH_BYTES = 1024

export class DonePrefixTracker {
  /** Delivered messages from the first un-done one on; `queue[head]` is the oldest still un-done (or done but not yet passed). */
  private queue: DeliveredMessage[] = []
  private head = 0
  /** Absolute sequence number of `queue[0]`. */
  private base = 0
  private nextSequence = 0
  private epochNumber = 0
  /** Offset after the last record deliberately skipped (or the starting position). */
  private deliveredUpTo: bigint
  /** Offset of the last record delivered since the last reset. */
  private lastDelivered: bigint | undefined
  undoneCount = 0
  undoneBytes = 0
  /** Key and value bytes of the last message delivered: a cheap estimate of what the next ones weigh. */
  lastMessageBytes = 0

  constructor(
    readonly topic: string,
    readonly partition: number,
    position: bigint,
    private readonly inOrderDone: boolean,
    /** Called when a done() takes the un-done count or bytes below a limit, or leaves nothing un-done: cheap, it runs often. */
    private readonly onDrained: () => void,
    private readonly maxUndoneMessages: number,
    private readonly maxUndoneBytes: number,
  ) {
    this.deliveredUpTo = position
  }

  /** Whether delivery should pause until some messages are done. */
  get full(): boolean {
    return this.undoneCount >= this.maxUndoneMessages || this.undoneBytes >= this.maxUndoneBytes
  }

  /**
   * Bytes worth fetching now, at most `maxPartitionBytes`: what the un-done limits still leave room for, so a
   * fetch does not bring in far more messages than the partition may hold (the broker still returns at least
   * one batch however small this is).
   */
  fetchBudget(maxPartitionBytes: number): number {
    const byBytes = this.maxUndoneBytes - this.undoneBytes
    const perMessage = this.undoneCount > 0 ? this.undoneBytes / this.undoneCount : this.lastMessageBytes
    const byMessages = perMessage > 0 ? (this.maxUndoneMessages - this.undoneCount) * (perMessage + RECORD_OVERHEAD_BYTES) : maxPartitionBytes
    return Math.max(MIN_FETCH_BYTES, Math.min(maxPartitionBytes, byBytes, Math.ceil(byMessages)))
  }

  get epoch(): number {
    return this.epochNumber
  }

  /** The offset to commit: the first un-done offset, or the position after everything delivered when all is done. */
  get commitPoint(): bigint {
    if (this.head < this.queue.length) return this.queue[this.head]!.offset
    const last = this.lastDelivered
    return last !== undefined && last >= this.deliveredUpTo ? last + 1n : this.deliveredUpTo
  }

  /** Creates and records one delivered message. */
  deliver(
    offset: bigint,
    key: Buffer | null,
    value: Buffer | null,
    headers: readonly MessageHeader[],
    timestamp: number,
    leaderEpoch: number,
  ): DeliveredMessage {
    const size = (key === null ? 0 : key.length) + (value === null ? 0 : value.length)
    const message = new DeliveredMessage(
      this.topic, this.partition, offset, key, value, headers, timestamp, leaderEpoch,
      this, this.nextSequence++, this.epochNumber, size,
    )
    this.queue.push(message)
    this.undoneCount++
    this.undoneBytes += size
    this.lastMessageBytes = size
    // A reference, not `offset + 1n`: no bigint is allocated per message; commitPoint adds one when asked.
    this.lastDelivered = offset
    return message
  }

  /** Records that offsets before `offset` were passed over without delivery (control batches, aborted data). */
  skipTo(offset: bigint): void {
    if (offset > this.deliveredUpTo) this.deliveredUpTo = offset
  }

  /**
   * For callers that fetch by themselves (`noMessages`) or know better: every
   * offset before `nextOffset` counts as done.
   */
  markDoneUpTo(nextOffset: bigint): void {
    const wasFull = this.full
    while (this.head < this.queue.length && this.queue[this.head]!.offset < nextOffset) this.settle(this.queue[this.head++]!)
    if (nextOffset > this.deliveredUpTo) this.deliveredUpTo = nextOffset
    this.afterAdvance(wasFull)
  }

  markDone(message: DeliveredMessage): void {
    if (message.epoch !== this.epochNumber) {
      message.isDone = true
      return
    }
    const wasFull = this.full
    if (this.inOrderDone) {
      const index = message.sequence - this.base
      for (let i = this.head; i <= index; i++) {
        const m = this.queue[i]!
        if (!m.isDone) this.settle(m)
      }
      if (index >= this.head) this.head = index + 1
    } else {
      this.settle(message)
    }
    while (this.head < this.queue.length && this.queue[this.head]!.isDone) this.head++
    this.afterAdvance(wasFull)
  }

  /**
   * Forgets every delivered message (their done() no longer counts) and sets the
   * position; used when a substream restarts or a partition seeks.
   */
  reset(position: bigint): void {
    this.epochNumber++
    this.queue = []
    this.head = 0
    this.base = this.nextSequence
    this.undoneCount = 0
    this.undoneBytes = 0
    this.deliveredUpTo = position
    this.lastDelivered = undefined
  }

  private settle(message: DeliveredMessage): void {
    message.isDone = true
    this.undoneCount--
    this.undoneBytes -= message.size
  }

  private afterAdvance(wasFull: boolean): void {
    if (this.head === this.queue.length) {
      this.base += this.queue.length
      // Reuse the array: a consumer that keeps up empties it after nearly every message.
      this.queue.length = 0
      this.head = 0
    } else if (this.head >= COMPACT_AT && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.base += this.head
      this.head = 0
    }
    if ((wasFull && !this.full) || this.undoneCount === 0) this.onDrained()
  }
}
