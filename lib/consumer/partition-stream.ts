/**
 * One assigned partition: the public substream (`PartitionStream`) and the
 * state the fetch loops and the group session share about it (`PartitionSlot`).
 *
 * The substream has at most one active subscriber (a second one gets a
 * PARTITION_STREAM_BUSY error; one whose stream ended is taken over).
 * Fetching runs only while it is subscribed, so nothing is fetched that nobody
 * will see. A new subscription (a handler that failed and was retried)
 * restarts from the first un-done message: what the old subscription left
 * un-done is delivered again, which is what at-least-once asks for.
 */
import { Observable, type Subscriber } from 'rxjs'
import type { ConsumerMessage } from './consumer-message.js'
import type { ConsumedRecord } from '../protocol/records/record-batch-decoder.js'
import { DonePrefixTracker } from './done-prefix-tracker.js'
import { ConsumerOptionError, RxKafkaError } from '../errors/index.js'

/**
 * The messages of one assigned partition, in offset order. Starts when the
 * partition is assigned; completes when it is revoked, once its delivered
 * messages are done (or the rebalance timeout passed) and their offsets are
 * committed.
 *
 * @example
 * ```ts
 * consumeGroup({ client, groupId: 'billing', topics: ['orders'] }).pipe(
 *   mergeMap(partition$ => partition$.pipe(
 *     tap(msg => console.log(partition$.topic, partition$.partition, msg.offset)),
 *     map(msg => msg.done()),
 *   )),
 * ).subscribe()
 * ```
 */
export class PartitionStream extends Observable<ConsumerMessage> {
  /** @internal */
  constructor(
    /** The topic of this substream. */
    readonly topic: string,
    /** The partition of this substream. */
    readonly partition: number,
    /** The group generation that assigned it (-1 for group-less consumers). */
    readonly generation: number,
    private readonly slot: PartitionSlot,
  ) {
    super((subscriber) => slot.attach(subscriber))
  }

  /**
   * Marks every offset before `nextOffset` done: for `noMessages` consumers,
   * which fetch by themselves and report progress this way.
   */
  markDoneUpTo(nextOffset: bigint): void {
    this.slot.markDoneUpTo(nextOffset)
  }

  /**
   * Stops fetching this partition until `resume()`, whatever the demand (the
   * answer of a fetch already in flight, and what the delivery cursor already
   * holds, are still delivered as `done()` makes room). The
   * group session goes on: a paused partition stays assigned.
   *
   * @example
   * ```ts
   * partition$.pause()
   * setTimeout(() => partition$.resume(), 10_000) // e.g. while a downstream service is down
   * ```
   */
  pause(): void {
    this.slot.pause()
  }

  /**
   * Fetches this partition again after `pause()`.
   *
   * @example
   * ```ts
   * partition$.resume()
   * ```
   */
  resume(): void {
    this.slot.resume()
  }

  /** Whether `pause()` holds fetching back. */
  get paused(): boolean {
    return this.slot.pausedByUser
  }

  /**
   * Moves the running substream: the next message delivered is at `offset`.
   * Messages delivered before it and not yet done no longer count, and the
   * partition's commit point becomes `offset` (as committing after a seek does
   * in the Java client), so a seek backwards reads again and a seek forwards
   * skips.
   *
   * @example
   * ```ts
   * partition$.seek(1_000n)
   * ```
   */
  seek(offset: bigint): void {
    if (typeof offset !== 'bigint' || offset < 0n) {
      throw new ConsumerOptionError('seek', `needs a bigint offset >= 0n, got ${typeof offset === 'bigint' ? `${offset}n` : `a ${typeof offset}`}`, `write partition$.seek(${typeof offset === 'number' && offset >= 0 ? `${offset}n` : '300n'})`)
    }
    this.slot.seekTo(offset)
  }
}

/** Where a slot is in its life. */
export type SlotState = 'assigned' | 'revoking' | 'closed'

/**
 * One fetched batch waiting in a slot's delivery cursor: its records from
 * `index` on are not delivered yet; once they are, the partition has been
 * read up to `nextOffset` (a batch's last offset + 1, so compaction gaps and
 * skipped control or aborted batches, which queue with no records, move the
 * commit point in order, never ahead of undelivered records).
 */
export interface QueuedBatch {
  records: readonly ConsumedRecord[]
  index: number
  nextOffset: bigint
  leaderEpoch: number
}

/** Callbacks from a slot to the fetcher that serves it. */
export interface SlotOwner {
  /** The slot became fetchable (subscribed with a known position, or drained below its limits). */
  wake(slot: PartitionSlot): void
}

/** Shared state of one assigned partition. Fields are read on the fetch hot path, so they are plain properties. */
export class PartitionSlot {
  readonly key: string
  readonly stream: PartitionStream
  subscriber: Subscriber<ConsumerMessage> | undefined
  tracker: DonePrefixTracker | undefined
  /** Next offset to fetch; undefined until the starting offset is resolved. */
  position: bigint | undefined
  /** Leader broker id, -1 while unknown. */
  leader = -1
  leaderEpoch = -1
  highWatermark = -1n
  /** Set while the un-done limits hold delivery (and so, once the cursor is stocked, fetching) back. */
  pausedByDemand = false
  /**
   * The delivery cursor: fetched batches not yet handed out, oldest first. A fetch answer is queued here whole
   * and delivered only while the un-done limits leave room, so a slow subscriber holds at most
   * `maxUndoneMessages` delivered messages plus what is queued here (about one answer), not every answer.
   */
  private readonly queued: QueuedBatch[] = []
  private queuedHead = 0
  /** Records in `queued` not yet delivered. */
  queuedRecords = 0
  /** Fetch again once fewer records than this wait undelivered: half the un-done window, so the next answer is on its way before the cursor runs dry. */
  private readonly refetchBelow: number
  /** Set while `deliver()` runs: a done() from inside next() must not start a second delivery loop. */
  private delivering = false
  /** Incremented when the cursor is emptied (restart, seek, close), so a delivery loop in progress stops. */
  private cursorEpoch = 0
  /** Set while the position is being resolved again (out of range, too old). */
  seeking = false
  /** Incremented whenever the position jumps, so a fetch answer for the old position is dropped. */
  fetchEpoch = 0
  state: SlotState = 'assigned'
  /** Resolved when nothing is left un-done (revocation waits for it). */
  private drainWaiters: (() => void)[] = []

  constructor(
    readonly topic: string,
    readonly partition: number,
    generation: number,
    private readonly owner: SlotOwner,
    private readonly inOrderDone: boolean,
    private readonly maxUndoneMessages: number,
    private readonly maxUndoneBytes: number,
  ) {
    this.key = `${topic}\u0000${partition}`
    this.refetchBelow = Math.max(1, Math.floor(maxUndoneMessages / 2))
    this.stream = new PartitionStream(topic, partition, generation, this)
  }

  /** Whether a fetch for this partition makes sense now. */
  get fetchable(): boolean {
    return this.state === 'assigned' && this.subscriber !== undefined && this.position !== undefined && !this.pausedByDemand && this.queuedRecords < this.refetchBelow && !this.pausedByUser && !this.seeking
  }

  /**
   * Adds one fetched batch to the cursor, its records from index `from` on (those before it are below the
   * fetch position), and moves the fetch position to `nextOffset`. `deliver()` hands its records out.
   */
  enqueue(records: readonly ConsumedRecord[], from: number, nextOffset: bigint, leaderEpoch: number): void {
    this.queued.push({ records, index: from, nextOffset, leaderEpoch })
    this.queuedRecords += records.length - from
    this.position = nextOffset
  }

  /**
   * Hands queued records to the subscriber while the un-done limits leave room, synchronously: a subscriber that
   * calls done() inside next() takes the whole cursor in one go, as fast as pushing it would. Wakes the fetcher
   * when the cursor runs low.
   */
  deliver(): void {
    if (this.delivering) return
    const tracker = this.tracker
    if (tracker === undefined) return
    this.delivering = true
    const epoch = this.cursorEpoch
    try {
      while (this.queuedHead < this.queued.length) {
        const subscriber = this.subscriber
        if (subscriber === undefined || this.state !== 'assigned') return
        const batch = this.queued[this.queuedHead]!
        const records = batch.records
        while (batch.index < records.length) {
          if (tracker.full) return
          const r = records[batch.index++]!
          this.queuedRecords--
          subscriber.next(tracker.deliver(r.offset, r.key, r.value, r.headers, r.timestamp, batch.leaderEpoch))
          // next() may have unsubscribed, restarted, sought or closed the substream.
          if (this.cursorEpoch !== epoch || this.subscriber !== subscriber || this.state !== 'assigned') return
        }
        tracker.skipTo(batch.nextOffset)
        this.queued[this.queuedHead++] = EMPTY_BATCH
        if (this.queuedHead === this.queued.length) {
          this.queued.length = 0
          this.queuedHead = 0
        }
      }
    } finally {
      this.delivering = false
      if (this.cursorEpoch === epoch) {
        // A full window holds fetching back too, until a done() makes room (onTrackerProgress).
        this.pausedByDemand = tracker.full
        if (this.fetchable) this.owner.wake(this)
      }
    }
  }

  /** Drops what the cursor holds undelivered (a restart or seek reads from elsewhere; a closed slot reads nothing). */
  private clearCursor(): void {
    this.queued.length = 0
    this.queuedHead = 0
    this.queuedRecords = 0
    this.cursorEpoch++
  }

  /** Set by `PartitionStream.pause()` until `resume()`. */
  pausedByUser = false

  pause(): void {
    this.pausedByUser = true
  }

  resume(): void {
    if (!this.pausedByUser) return
    this.pausedByUser = false
    this.owner.wake(this)
  }

  /** A user's seek: deliver from `position` next; what was delivered and not done no longer counts. */
  seekTo(position: bigint): void {
    if (this.state === 'closed') return
    if (this.tracker === undefined) {
      // Not started yet: the start position is not known, so the seek decides it.
      this.start(position)
      return
    }
    this.tracker.reset(position)
    this.clearCursor()
    this.position = position
    this.pausedByDemand = false
    this.seeking = false
    this.fetchEpoch++
    this.notifyDrained()
    this.owner.wake(this)
  }

  /** The offset to commit, or undefined when nothing was ever positioned. */
  get commitPoint(): bigint | undefined {
    return this.tracker?.commitPoint ?? this.position
  }

  /** A markDoneUpTo that came before the starting position was known; applied at start. */
  private doneUpToBeforeStart: bigint | undefined

  markDoneUpTo(nextOffset: bigint): void {
    if (this.tracker === undefined) this.doneUpToBeforeStart = nextOffset
    else this.tracker.markDoneUpTo(nextOffset)
  }

  /** Sets the starting position once it is known. */
  start(position: bigint): void {
    this.position = position
    this.tracker = new DonePrefixTracker(
      this.topic, this.partition, position, this.inOrderDone, () => this.onTrackerProgress(),
      this.maxUndoneMessages, this.maxUndoneBytes,
    )
    if (this.doneUpToBeforeStart !== undefined) this.tracker.markDoneUpTo(this.doneUpToBeforeStart)
    this.fetchEpoch++
    this.owner.wake(this)
  }

  /**
   * Jumps to a new position (out of range, too old): messages delivered so far stay as they are, and so do
   * batches already queued, which come first; the jump reaches the commit point after them.
   */
  seek(position: bigint): void {
    this.position = position
    if (this.queuedHead < this.queued.length) this.queued.push({ records: [], index: 0, nextOffset: position, leaderEpoch: this.leaderEpoch })
    else this.tracker?.skipTo(position)
    this.seeking = false
    this.fetchEpoch++
    this.owner.wake(this)
  }

  attach(subscriber: Subscriber<ConsumerMessage>): () => void {
    if (this.state === 'closed') {
      subscriber.complete()
      return () => {}
    }
    // A subscriber whose stream has ended (errored or completed) but is not torn down yet is taken over (a
    // handler restarting from inside its own error callback); an active one is not silently orphaned.
    if (this.subscriber !== undefined && !this.subscriber.closed) {
      subscriber.error(
        new RxKafkaError('PARTITION_STREAM_BUSY', 'this partition substream already has an active subscriber', {
          topic: this.topic,
          partition: this.partition,
          hint: 'subscribe to a partition substream once; to read it twice, share() it (partition$.pipe(share()))',
        }),
      )
      return () => {}
    }
    this.subscriber = subscriber
    if (this.tracker !== undefined) {
      // A restart: deliver again from the first un-done message.
      const from = this.tracker.commitPoint
      this.tracker.reset(from)
      this.clearCursor()
      this.position = from
      this.pausedByDemand = false
      this.fetchEpoch++
      this.notifyDrained()
    }
    this.owner.wake(this)
    return () => {
      if (this.subscriber === subscriber) this.subscriber = undefined
      // Its un-done messages no longer count: nobody is left to finish them.
      if (this.state === 'revoking') this.notifyDrained()
    }
  }

  /** Resolves when every delivered message is done, or at once when nobody is subscribed. */
  whenDrained(callback: () => void): void {
    if (this.subscriber === undefined || this.tracker === undefined || this.tracker.undoneCount === 0) {
      callback()
      return
    }
    this.drainWaiters.push(callback)
  }

  /** Ends the substream: it completes, and done() on its messages no longer matters. */
  close(): void {
    this.end()?.complete()
  }

  /** Ends the substream with an error (fatal for this partition only). */
  fail(error: unknown): void {
    this.end()?.error(error)
  }

  /** Closes the substream once; returns who was subscribed, for the caller to complete or fail (undefined: nobody, or closed already). */
  private end(): Subscriber<ConsumerMessage> | undefined {
    if (this.state === 'closed') return undefined
    this.state = 'closed'
    this.clearCursor()
    const subscriber = this.subscriber
    this.subscriber = undefined
    this.notifyDrained()
    return subscriber
  }

  private onTrackerProgress(): void {
    const tracker = this.tracker!
    if (this.pausedByDemand && !tracker.full) {
      this.pausedByDemand = false
      // Room again: go on from the cursor (a no-op inside a delivery loop, which goes on by itself); it wakes the fetcher when it runs low.
      this.deliver()
    }
    if (tracker.undoneCount === 0 && this.drainWaiters.length > 0) this.notifyDrained()
  }

  private notifyDrained(): void {
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const w of waiters) w()
  }
}

/** Put in a delivered batch's place so the cursor does not keep its records (and the fetch answer under them) alive. */
const EMPTY_BATCH: QueuedBatch = { records: [], index: 0, nextOffset: 0n, leaderEpoch: -1 }
