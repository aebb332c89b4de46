/**
 * The share session (KIP-932) of one member with one broker: ShareFetch
 * acquires records of the partitions that broker leads, and carries the
 * settlements (accept, release, reject) of records delivered before; when the
 * member may take no more records, ShareAcknowledge carries them alone. One
 * request at a time, so session epochs stay in order: 0 opens the session,
 * each request after it takes the next epoch, -1 closes it (with the last
 * settlements) when the member leaves.
 */
import { Observable, Subscription, timer } from 'rxjs'
import type { ClusterClient } from '../../cluster/cluster-client.js'
import { brokerError, type RxKafkaError } from '../../errors/index.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { ShareAcknowledgeApi, type ShareAcknowledgeResponse } from '../../protocol/messages/ShareAcknowledge.js'
import { ShareFetchApi, type ShareFetchResponse, type ShareFetchResponsePartitionData } from '../../protocol/messages/ShareFetch.js'
import { decodeRecordBatches } from '../../protocol/records/record-batch-decoder.js'
import { backoffDelay } from '../../kit/backoff.js'
import { ACKNOWLEDGE_TYPE, DeliveredShareRecord, type ShareAcknowledgement } from './share-record.js'

/** One assigned partition led by this session's broker. */
export interface SharePartition {
  topic: string
  topicId: string
  partition: number
}

/** What the session asks of its member. */
export interface ShareSessionOwner {
  /** How many more records the member may take now (its un-settled limit less what it holds). */
  room(): number
  deliver(records: DeliveredShareRecord[]): void
  settle(session: ShareFetchSession, record: DeliveredShareRecord, topicId: string, how: ShareAcknowledgement): void
  nonFatal(error: RxKafkaError): void
  /** A partition's leader moved (or is unknown): look it up again. */
  leaderMoved(partition: SharePartition): void
}

/** The settings a session needs. */
export interface ShareSessionSettings {
  groupId: string
  memberId: string
  maxWaitMs: number
  maxBytes: number
  retryBackoffMs: number
  connectionKey: string
}

type AckBatch = { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }

const key = (topicId: string, partition: number): string => `${topicId}:${partition}`

export class ShareFetchSession {
  /** The epoch of the next request: 0 opens the session. */
  private epoch = 0
  private readonly partitions = new Map<string, SharePartition>()
  /** Partitions the broker must add to the session with the next request (all of them when it opens). */
  private readonly added = new Set<string>()
  private readonly forgotten = new Map<string, SharePartition>()
  /** Settlements not sent yet, per partition: offset -> acknowledge type. */
  private readonly acks = new Map<string, { partition: SharePartition; offsets: Map<bigint, number> }>()

  private busy = false
  private retry: Subscription | undefined
  private soon: Subscription | undefined
  private failures = 0
  private closed = false
  /** Set by `close` while a request is in flight: the close waits for its answer (its settlements must not be lost). */
  private whenIdle: (() => void) | undefined
  fetches = 0

  constructor(
    private readonly client: ClusterClient,
    readonly broker: number,
    private readonly settings: ShareSessionSettings,
    private readonly owner: ShareSessionOwner,
  ) {}

  get partitionCount(): number {
    return this.partitions.size
  }

  add(partition: SharePartition): void {
    const k = key(partition.topicId, partition.partition)
    if (this.partitions.has(k)) return
    this.partitions.set(k, partition)
    this.forgotten.delete(k)
    this.added.add(k)
    this.pump()
  }

  remove(partition: SharePartition): void {
    const k = key(partition.topicId, partition.partition)
    if (!this.partitions.delete(k)) return
    this.added.delete(k)
    if (this.epoch > 0) this.forgotten.set(k, partition)
  }

  /** A settlement to send with the next request. */
  acknowledge(record: DeliveredShareRecord, topicId: string, how: ShareAcknowledgement | 'gap'): void {
    const k = key(topicId, record.partition)
    let entry = this.acks.get(k)
    if (entry === undefined) this.acks.set(k, (entry = { partition: { topic: record.topic, topicId, partition: record.partition }, offsets: new Map() }))
    entry.offsets.set(record.offset, ACKNOWLEDGE_TYPE[how])
    this.pumpSoon()
  }

  /**
   * Pumps on the next tick: settlements made in one go (a handler settling a
   * batch, the on-handled accepts of one delivery) share one request.
   */
  pumpSoon(): void {
    if (this.soon !== undefined || this.closed) return
    this.soon = timer(0, this.client.scheduler).subscribe(() => {
      this.soon = undefined
      this.pump()
    })
  }

  /** Sends what is due: a ShareFetch while the member has room (with any settlements), else a ShareAcknowledge of the settlements. */
  pump(): void {
    if (this.closed || this.busy || this.retry !== undefined) return
    const room = this.owner.room()
    if (room > 0 && this.partitions.size > 0) this.shareFetch(room)
    else if (this.acks.size > 0 && this.epoch > 0) this.shareAcknowledge()
  }

  /** Sends nothing more (settlements are still collected): the member is leaving and `close` follows. */
  hold(): void {
    this.closed = true
    this.retry?.unsubscribe()
    this.soon?.unsubscribe()
  }

  /**
   * Closes the session (epoch -1) with the settlements still to send; emits
   * once when the broker answered (or failed). A request in flight is not
   * cancelled (it may carry settlements): the close follows its answer, and
   * records that answer acquires are released in the close.
   */
  close(): Observable<void> {
    this.closed = true
    this.retry?.unsubscribe()
    this.soon?.unsubscribe()
    return new Observable<void>((subscriber) => {
      const done = (): void => {
        subscriber.next()
        subscriber.complete()
      }
      const work = new Subscription()
      const send = (): void => {
        this.whenIdle = undefined
        if (this.epoch === 0) {
          done()
          return
        }
        const topics = this.takeAcks()
        work.add(this.client
          .request(this.broker, ShareAcknowledgeApi, { groupId: this.settings.groupId, memberId: this.settings.memberId, shareSessionEpoch: -1, topics }, { timeoutMs: 5_000 })
          .subscribe({ next: done, error: done }))
      }
      if (this.busy) this.whenIdle = send
      else send()
      return work
    })
  }

  /** After an answer while closing: hand over to the close. */
  private idleWhileClosed(): boolean {
    if (!this.closed) return false
    this.whenIdle?.()
    return true
  }

  private shareFetch(room: number): void {
    const full = this.epoch === 0
    const wanted = new Set(full ? this.partitions.keys() : this.added)
    const acks = this.takeAcksByKey()
    const byTopic = new Map<string, { partitionIndex: number; acknowledgementBatches: AckBatch[] }[]>()
    for (const k of new Set([...wanted, ...acks.keys()])) {
      const p = this.partitions.get(k) ?? acks.get(k)?.partition
      if (p === undefined) continue
      let list = byTopic.get(p.topicId)
      if (list === undefined) byTopic.set(p.topicId, (list = []))
      list.push({ partitionIndex: p.partition, acknowledgementBatches: acks.get(k)?.batches ?? [] })
    }
    const forgotten = new Map<string, number[]>()
    if (!full) for (const p of this.forgotten.values()) forgotten.set(p.topicId, [...(forgotten.get(p.topicId) ?? []), p.partition])
    const epoch = this.epoch
    this.added.clear()
    this.forgotten.clear()
    this.busy = true
    this.fetches++
    this.client
      .request(
        this.broker,
        ShareFetchApi,
        (version) => ({
          groupId: this.settings.groupId,
          memberId: this.settings.memberId,
          shareSessionEpoch: epoch,
          // Settlements waiting: answer at once, so the next request (and its settlements) is not held back by the wait.
          maxWaitMs: acks.size > 0 ? 0 : this.settings.maxWaitMs,
          minBytes: 1,
          maxBytes: this.settings.maxBytes,
          maxRecords: room,
          batchSize: Math.min(room, 500),
          // Record-limit mode (v2): no more records than maxRecords, so the member's un-settled bound holds exactly.
          ...(version >= 2 ? { shareAcquireMode: 1 } : {}),
          topics: [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions })),
          forgottenTopicsData: [...forgotten].map(([topicId, partitions]) => ({ topicId, partitions })),
        }),
        { timeoutMs: this.settings.maxWaitMs + 30_000, connectionKey: this.settings.connectionKey, role: 'fetch' },
      )
      .subscribe({
        next: (response) => this.onFetched(response, epoch, [...wanted]),
        error: (error: unknown) => this.onFailed(error, [...wanted], acks),
      })
  }

  private shareAcknowledge(): void {
    const acks = this.takeAcksByKey()
    const epoch = this.epoch
    this.busy = true
    this.client
      .request(
        this.broker,
        ShareAcknowledgeApi,
        { groupId: this.settings.groupId, memberId: this.settings.memberId, shareSessionEpoch: epoch, topics: toTopics(acks) },
        { timeoutMs: 30_000, connectionKey: this.settings.connectionKey, role: 'fetch' },
      )
      .subscribe({
        next: (response) => this.onAcknowledged(response, epoch),
        error: (error: unknown) => this.onFailed(error, [], acks),
      })
  }

  private onFetched(response: ShareFetchResponse, epoch: number, wanted: string[]): void {
    this.busy = false
    if (this.closed) {
      if (response.errorCode === 0) {
        this.epoch = nextEpoch(epoch)
        // Acquired after the member left: released in the close, so they go to another member at once.
        for (const t of response.responses) {
          for (const data of t.partitions) {
            const partition = this.partitions.get(key(t.topicId, data.partitionIndex)) ?? { topic: '', topicId: t.topicId, partition: data.partitionIndex }
            for (const r of this.acquired(partition, data)) this.acknowledge(r, t.topicId, 'release')
          }
        }
      }
      this.idleWhileClosed()
      return
    }
    if (response.errorCode !== 0) {
      this.onSessionError(response.errorCode, 'ShareFetch', wanted, response.errorMessage)
      return
    }
    this.failures = 0
    this.epoch = nextEpoch(epoch)
    const delivered: DeliveredShareRecord[] = []
    for (const t of response.responses) {
      for (const data of t.partitions) {
        const partition = this.partitions.get(key(t.topicId, data.partitionIndex))
        if (data.acknowledgeErrorCode !== 0) {
          // The records were not settled (their lock expired, the session moved): the broker delivers them again.
          this.owner.nonFatal(brokerError(data.acknowledgeErrorCode, { api: 'ShareFetch', broker: this.broker, topic: partition?.topic, partition: data.partitionIndex, errorMessage: data.acknowledgeErrorMessage }))
        }
        if (partition === undefined) continue
        if (data.errorCode !== 0) {
          const error = brokerError(data.errorCode, { api: 'ShareFetch', broker: this.broker, topic: partition.topic, partition: data.partitionIndex, errorMessage: data.errorMessage })
          this.owner.nonFatal(error)
          if (error.refreshMetadata) this.owner.leaderMoved(partition)
          continue
        }
        delivered.push(...this.acquired(partition, data))
      }
    }
    if (delivered.length > 0) this.owner.deliver(delivered)
    this.pump()
  }

  /** The delivered records in the acquired ranges; acquired offsets with no record (compacted, control) are settled as gaps. */
  private acquired(partition: SharePartition, data: ShareFetchResponsePartitionData): DeliveredShareRecord[] {
    if (data.acquiredRecords.length === 0) return []
    const byOffset = new Map<bigint, { key: Buffer | null; value: Buffer | null; headers: readonly { key: string; value: Buffer | null }[]; timestamp: number }>()
    let undecodable = false
    if (data.records !== null && data.records.length > 0) {
      try {
        for (const batch of decodeRecordBatches(data.records, { topic: partition.topic, partition: partition.partition }).batches) {
          if (batch.isControl) continue
          for (const r of batch.records()) byOffset.set(r.offset, r)
        }
      } catch (error) {
        // Undecodable records cannot be handled by anyone: rejected, so they do not come back for ever.
        undecodable = true
        this.owner.nonFatal(error as RxKafkaError)
      }
    }
    const out: DeliveredShareRecord[] = []
    for (const range of data.acquiredRecords) {
      for (let offset = range.firstOffset; offset <= range.lastOffset; offset++) {
        const r = byOffset.get(offset)
        const record = new DeliveredShareRecord(partition.topic, partition.partition, offset, r?.key ?? null, r?.value ?? null, r?.headers ?? [], r?.timestamp ?? -1, range.deliveryCount, (rec, how) => this.owner.settle(this, rec, partition.topicId, how))
        if (r === undefined) this.acknowledge(record, partition.topicId, undecodable ? 'reject' : 'gap')
        else out.push(record)
      }
    }
    return out
  }

  private onAcknowledged(response: ShareAcknowledgeResponse, epoch: number): void {
    this.busy = false
    if (this.closed) {
      if (response.errorCode === 0) this.epoch = nextEpoch(epoch)
      this.idleWhileClosed()
      return
    }
    if (response.errorCode !== 0) {
      this.onSessionError(response.errorCode, 'ShareAcknowledge', [], response.errorMessage)
      return
    }
    this.failures = 0
    this.epoch = nextEpoch(epoch)
    for (const t of response.responses) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) this.owner.nonFatal(brokerError(p.errorCode, { api: 'ShareAcknowledge', broker: this.broker, partition: p.partitionIndex, errorMessage: p.errorMessage }))
      }
    }
    this.pump()
  }

  /** Session errors start a new session (every partition again); others retry after a pause. */
  private onSessionError(code: number, api: string, wanted: string[], message: string | null): void {
    this.owner.nonFatal(brokerError(code, { api, broker: this.broker, errorMessage: message }))
    if (code === ErrorCode.SHARE_SESSION_NOT_FOUND || code === ErrorCode.INVALID_SHARE_SESSION_EPOCH) this.epoch = 0
    for (const k of wanted) if (this.partitions.has(k)) this.added.add(k)
    this.retryLater()
  }

  private onFailed(error: unknown, wanted: string[], acks: Map<string, { partition: SharePartition; batches: AckBatch[] }>): void {
    this.busy = false
    if (!this.closed) this.owner.nonFatal(error as RxKafkaError)
    // Not known to have arrived: the session may be gone with the connection, so start a new one; settlements are
    // sent again (a settlement the broker already applied fails harmlessly with INVALID_RECORD_STATE).
    this.epoch = 0
    for (const k of wanted) if (this.partitions.has(k)) this.added.add(k)
    for (const [k, a] of acks) {
      let entry = this.acks.get(k)
      if (entry === undefined) this.acks.set(k, (entry = { partition: a.partition, offsets: new Map() }))
      for (const b of a.batches) for (let o = b.firstOffset, i = 0; o <= b.lastOffset; o++, i++) if (!entry.offsets.has(o)) entry.offsets.set(o, b.acknowledgeTypes[Math.min(i, b.acknowledgeTypes.length - 1)]!)
    }
    if (this.closed) {
      // The session may be gone with the connection: the close (epoch -1) cannot be sent in it; locks expire instead.
      this.whenIdle?.()
      return
    }
    this.retryLater()
  }

  private retryLater(): void {
    const delay = backoffDelay(Math.min(this.failures++, 6), { initialMs: this.settings.retryBackoffMs, maxMs: 5_000, jitter: 0 })
    this.retry = timer(delay, this.client.scheduler).subscribe(() => {
      this.retry = undefined
      this.pump()
    })
  }

  private takeAcksByKey(): Map<string, { partition: SharePartition; batches: AckBatch[] }> {
    const out = new Map<string, { partition: SharePartition; batches: AckBatch[] }>()
    for (const [k, entry] of this.acks) out.set(k, { partition: entry.partition, batches: toBatches(entry.offsets) })
    this.acks.clear()
    return out
  }

  private takeAcks(): { topicId: string; partitions: { partitionIndex: number; acknowledgementBatches: AckBatch[] }[] }[] {
    return toTopics(this.takeAcksByKey())
  }
}

/** Session epochs run 1 .. INT32_MAX and wrap to 1 (0 and -1 have their own meaning). */
function nextEpoch(epoch: number): number {
  return epoch >= 0x7fffffff ? 1 : epoch + 1
}

/** Consecutive offsets with the same type become one batch with one type. */
function toBatches(offsets: Map<bigint, number>): AckBatch[] {
  const sorted = [...offsets].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  const batches: AckBatch[] = []
  for (const [offset, type] of sorted) {
    const last = batches.at(-1)
    if (last !== undefined && last.lastOffset + 1n === offset && last.acknowledgeTypes[0] === type) last.lastOffset = offset
    else batches.push({ firstOffset: offset, lastOffset: offset, acknowledgeTypes: [type] })
  }
  return batches
}

function toTopics(acks: Map<string, { partition: SharePartition; batches: AckBatch[] }>): { topicId: string; partitions: { partitionIndex: number; acknowledgementBatches: AckBatch[] }[] }[] {
  const byTopic = new Map<string, { partitionIndex: number; acknowledgementBatches: AckBatch[] }[]>()
  for (const { partition, batches } of acks.values()) {
    let list = byTopic.get(partition.topicId)
    if (list === undefined) byTopic.set(partition.topicId, (list = []))
    list.push({ partitionIndex: partition.partition, acknowledgementBatches: batches })
  }
  return [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions }))
}
