/**
 * Fetch loops: one per broker, each fetching the partitions that broker leads
 * and that have demand (a subscriber, a known position, un-done messages under
 * the limits). Each answer is decoded and its messages are pushed
 * synchronously into the substreams' subscribers: no Promise or Observable per
 * message. A loop whose broker has nothing fetchable stops, and a slot that
 * becomes fetchable wakes its leader's loop.
 */
import { fetchAnswered } from '../observability/consumer-events.js'
import { Subscription, timer } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { partitionInfo, type ClusterView } from '../cluster/cluster-view.js'
import { ConnectionError, brokerError, RxKafkaError } from '../errors/index.js'
import { errorCodeInfo } from '../protocol/error-codes.js'
import { FetchApi, type FetchResponse, type FetchResponsePartitionData } from '../protocol/messages/Fetch.js'
import { ZERO_UUID } from '../protocol/primitives.js'
import { decodeRecordBatches, type ConsumedRecord } from '../protocol/records/record-batch-decoder.js'
import type { OffsetChoice, ResolvedFetchOptions } from './consumer-options.js'
import type { PartitionSlot, SlotOwner } from './partition-stream.js'
import { AbortedTransactions } from './aborted-transactions.js'
import { FetchSession, type FetchSessionDiagnostics, type SentFetch, type SessionPartition } from './fetch-session.js'

export type { FetchSessionDiagnostics } from './fetch-session.js'

/** What the fetcher reports upward. */
export interface FetcherEvents {
  /** A problem the fetcher recovers from by itself (it is retrying); for the errors channel. */
  nonFatal(error: RxKafkaError): void
  /** The slot must move to the offset `spec` names (out of range, or messages too old). */
  seek(slot: PartitionSlot, spec: OffsetChoice, reason: 'out-of-range' | 'max-message-age'): void
}

const OFFSET_OUT_OF_RANGE = 1
const FETCH_SESSION_ID_NOT_FOUND = 70
const INVALID_FETCH_SESSION_EPOCH = 71
/** What a skipped batch (control, aborted, undecodable) puts in the delivery cursor: only its end offset. */
const NO_RECORDS: readonly ConsumedRecord[] = []

/** Index of the first record from `from` on whose timestamp is before `oldestAllowed`, or -1. */
function firstOlderThan(list: readonly ConsumedRecord[], from: number, oldestAllowed: number): number {
  for (let i = from; i < list.length; i++) {
    const timestamp = list[i]!.timestamp
    if (timestamp >= 0 && timestamp < oldestAllowed) return i
  }
  return -1
}

interface InFlightFetch {
  subscription: Subscription
}

/** Per-request record of what each partition was asked for, to drop answers for positions that moved since. */
interface AskedPartition {
  slot: PartitionSlot
  fetchEpoch: number
  position: bigint
}

export class Fetcher implements SlotOwner {
  private readonly slots = new Map<string, PartitionSlot>()
  private readonly inFlight = new Map<number, InFlightFetch>()
  private readonly backingOff = new Map<number, Subscription>()
  /** Per partition: a fetch size raised past maxPartitionBytes because one batch was larger. */
  private readonly raisedPartitionBytes = new Map<string, number>()
  /** Per broker: the fetch session (KIP-227), when sessions are on. */
  private readonly sessions = new Map<number, FetchSession>()
  private readonly lifetime = new Subscription()
  private running = false
  private holds = 0
  private refreshing = false
  /** The broker whose answer is being handed to the slots: their wakes wait for the loop's own next fetch. */
  private answering = -1
  /** Counters for diagnostics. */
  fetches = 0
  messages = 0

  constructor(
    private readonly client: ClusterClient,
    private readonly options: ResolvedFetchOptions,
    private readonly events: FetcherEvents,
    /** Own fetch connections (per group member), so members of one client do not queue behind each other's long polls. */
    private readonly connectionKey?: string,
  ) {}

  start(): void {
    if (this.running) return
    this.running = true
    this.lifetime.add(
      this.client.metadata$.subscribe({
        next: (view) => this.onView(view),
        error: (error: unknown) => this.events.nonFatal(asRxKafkaError(error)),
      }),
    )
  }

  stop(): void {
    this.running = false
    this.lifetime.unsubscribe()
    for (const f of this.inFlight.values()) f.subscription.unsubscribe()
    this.inFlight.clear()
    for (const s of this.backingOff.values()) s.unsubscribe()
    this.backingOff.clear()
    this.sessions.clear()
  }

  add(slot: PartitionSlot): void {
    this.slots.set(slot.key, slot)
    this.placeSlot(slot, this.client.currentView())
    this.wake(slot)
  }

  remove(slot: PartitionSlot): void {
    if (this.slots.get(slot.key) === slot) this.slots.delete(slot.key)
  }

  allSlots(): IterableIterator<PartitionSlot> {
    return this.slots.values()
  }

  /** While held, wakes are collected rather than acted on, so partitions started together share their first fetch. */
  hold(): void {
    this.holds++
  }

  release(): void {
    if (--this.holds > 0 || !this.running) return
    const brokers = new Set<number>()
    for (const slot of this.slots.values()) if (slot.fetchable) brokers.add(slot.leader)
    for (const broker of brokers) {
      if (broker < 0) this.refreshLeaders()
      else this.pump(broker)
    }
  }

  wake(slot: PartitionSlot): void {
    if (!this.running || this.holds > 0) return
    // Mid-answer, the loop fetches again once every partition of it is queued (a fetch now would ask stale positions).
    if (slot.leader >= 0 && slot.leader === this.answering) return
    if (slot.leader < 0) {
      this.refreshLeaders()
      return
    }
    this.pump(slot.leader)
  }

  private onView(view: ClusterView): void {
    const touched = new Set<number>()
    for (const slot of this.slots.values()) {
      if (this.placeSlot(slot, view) && slot.leader >= 0) touched.add(slot.leader)
    }
    for (const broker of touched) this.pump(broker)
  }

  /** Sets the slot's leader from a view; true when it changed. */
  private placeSlot(slot: PartitionSlot, view: ClusterView): boolean {
    const info = partitionInfo(view, slot.topic, slot.partition)
    const leader = info === undefined ? -1 : info.leader
    const epoch = info === undefined ? -1 : info.leaderEpoch
    if (leader === slot.leader && epoch === slot.leaderEpoch) return false
    if (leader !== slot.leader) {
      // An answer still in flight from the old leader must not deliver beside the new leader's.
      slot.fetchEpoch++
    }
    slot.leader = leader
    slot.leaderEpoch = epoch
    return true
  }

  private refreshLeaders(): void {
    if (this.refreshing || !this.running) return
    this.refreshing = true
    const topics = [...new Set([...this.slots.values()].map((s) => s.topic))]
    // Metadata answers arrive through metadata$ (onView); this only asks for them after a pause.
    this.lifetime.add(
      timer(this.options.retryBackoffMs, this.client.scheduler).subscribe(() => {
        this.lifetime.add(
          this.client.refreshMetadata(topics).subscribe({
            next: (view) => {
              this.refreshing = false
              this.onView(view)
              if ([...this.slots.values()].some((s) => s.leader < 0 && s.state === 'assigned')) this.refreshLeaders()
            },
            error: (error: unknown) => {
              this.refreshing = false
              this.events.nonFatal(asRxKafkaError(error))
              this.refreshLeaders()
            },
          }),
        )
      }),
    )
  }

  private pump(broker: number): void {
    if (!this.running || this.inFlight.has(broker) || this.backingOff.has(broker)) return
    const asked: AskedPartition[] = []
    for (const slot of this.slots.values()) {
      if (slot.leader === broker && slot.fetchable) asked.push({ slot, fetchEpoch: slot.fetchEpoch, position: slot.position! })
    }
    if (asked.length === 0) return
    const view = this.client.currentView()
    const topicIds = new Map<string, string>()
    let allHaveIds = true
    for (const topic of new Set(asked.map((a) => a.slot.topic))) {
      const id = view.topics.get(topic)?.topicId ?? ZERO_UUID
      topicIds.set(topic, id)
      if (id === ZERO_UUID) allHaveIds = false
    }
    const o = this.options
    const inFlight: InFlightFetch = { subscription: new Subscription() }
    this.inFlight.set(broker, inFlight)
    this.fetches++
    let session = this.sessions.get(broker)
    if (session === undefined) this.sessions.set(broker, (session = new FetchSession()))
    const wanted = new Map<string, SessionPartition>()
    for (const a of asked) {
      wanted.set(a.slot.key, {
        topic: a.slot.topic,
        partition: a.slot.partition,
        fetchOffset: a.position,
        maxBytes: this.raisedPartitionBytes.get(a.slot.key) ?? a.slot.tracker?.fetchBudget(o.maxPartitionBytes) ?? o.maxPartitionBytes,
        leaderEpoch: a.slot.leaderEpoch,
      })
    }
    let sent: SentFetch | undefined
    const request = this.client.request(
      broker,
      FetchApi,
      (version) => {
        sent = session.prepare(wanted, o.fetchSessions && version >= 7)
        const byTopic = new Map<string, SessionPartition[]>()
        for (const p of sent.toSend) {
          let list = byTopic.get(p.topic)
          if (list === undefined) byTopic.set(p.topic, (list = []))
          list.push(p)
        }
        const forgotten = new Map<string, number[]>()
        for (const p of sent.forgotten) {
          let list = forgotten.get(p.topic)
          if (list === undefined) forgotten.set(p.topic, (list = []))
          list.push(p.partition)
        }
        return {
          ...(version <= 14 ? { replicaId: -1 } : {}),
          maxWaitMs: o.maxWaitMs,
          minBytes: o.minBytes,
          ...(version >= 3 ? { maxBytes: o.maxBytes } : {}),
          ...(version >= 4 ? { isolationLevel: o.isolationLevel } : {}),
          ...(version >= 7 ? { sessionId: sent.sessionId, sessionEpoch: sent.sessionEpoch } : {}),
          topics: [...byTopic].map(([topic, list]) => ({
            ...(version >= 13 ? { topicId: topicIds.get(topic) ?? ZERO_UUID } : { topic }),
            partitions: list.map((p) => ({
              partition: p.partition,
              ...(version >= 9 ? { currentLeaderEpoch: p.leaderEpoch } : {}),
              fetchOffset: p.fetchOffset,
              partitionMaxBytes: p.maxBytes,
            })),
          })),
          ...(version >= 7 && forgotten.size > 0
            ? {
                forgottenTopicsData: [...forgotten].map(([topic, partitions]) => ({
                  ...(version >= 13 ? { topicId: view.topics.get(topic)?.topicId ?? ZERO_UUID } : { topic }),
                  partitions,
                })),
              }
            : {}),
          ...(version >= 11 ? { rackId: o.rackId } : {}),
        }
      },
      { timeoutMs: o.maxWaitMs + 30_000, ...(allHaveIds ? {} : { maxVersion: 12 }), ...(this.connectionKey === undefined ? {} : { connectionKey: this.connectionKey }) },
    )
    inFlight.subscription.add(
      request.subscribe({
        next: (response) => {
          this.inFlight.delete(broker)
          fetchAnswered(this.client.clientId, broker, response, () => this.client.currentView().topics)
          const code = response.errorCode ?? 0
          if (code === FETCH_SESSION_ID_NOT_FOUND || code === INVALID_FETCH_SESSION_EPOCH) {
            // The broker forgot the session (evicted, restarted) or we are out of step: start a new one.
            session.reset()
            this.events.nonFatal(brokerError(code, { api: 'Fetch', broker }))
            this.pump(broker)
            return
          }
          if (sent !== undefined && code === 0) session.answered(sent, response.sessionId ?? 0)
          let backoff = false
          this.answering = broker
          try {
            backoff = this.onResponse(broker, response, asked)
          } catch (error) {
            this.events.nonFatal(asRxKafkaError(error))
            backoff = true
          } finally {
            this.answering = -1
          }
          if (backoff) this.backOff(broker)
          else this.pump(broker)
        },
        error: (error: unknown) => {
          this.inFlight.delete(broker)
          session.reset()
          this.events.nonFatal(asRxKafkaError(error))
          if (error instanceof ConnectionError) this.refreshLeaders()
          this.backOff(broker)
        },
      }),
    )
  }

  /** The fetch session with each broker fetched from: 0 where none is granted (or sessions are off). */
  sessionDiagnostics(): FetchSessionDiagnostics[] {
    return [...this.sessions].map(([broker, session]) => ({
      broker,
      sessionId: session.sessionId,
      epoch: session.sessionEpoch,
      incrementalFetches: session.incrementalFetches,
    }))
  }

  private backOff(broker: number): void {
    if (!this.running || this.backingOff.has(broker)) return
    const wait = timer(this.options.retryBackoffMs, this.client.scheduler).subscribe(() => {
      this.backingOff.delete(broker)
      this.pump(broker)
    })
    this.backingOff.set(broker, wait)
  }

  /** Handles one Fetch answer; true when the loop should pause before fetching again. */
  private onResponse(broker: number, response: FetchResponse, asked: AskedPartition[]): boolean {
    if (response.errorCode !== undefined && response.errorCode !== 0) {
      this.events.nonFatal(brokerError(response.errorCode, { api: 'Fetch', broker }))
      return true
    }
    const byKey = new Map<string, AskedPartition>()
    for (const a of asked) byKey.set(a.slot.key, a)
    let idsToNames: Map<string, string> | undefined
    let backoff = false
    for (const topicResponse of response.responses) {
      let topic = topicResponse.topic
      if (topic === undefined || topic === '') {
        if (idsToNames === undefined) {
          idsToNames = new Map()
          for (const t of this.client.currentView().topics.values()) idsToNames.set(t.topicId, t.name)
        }
        topic = idsToNames.get(topicResponse.topicId ?? '') ?? ''
      }
      for (const data of topicResponse.partitions) {
        const a = byKey.get(`${topic}\u0000${data.partitionIndex}`)
        if (a === undefined) continue
        if (this.onPartition(broker, a, data)) backoff = true
      }
    }
    return backoff
  }

  /** True when the partition hit an error that warrants a pause. */
  private onPartition(broker: number, a: AskedPartition, data: FetchResponsePartitionData): boolean {
    const slot = a.slot
    if (slot.fetchEpoch !== a.fetchEpoch || slot.state !== 'assigned' || slot.subscriber === undefined) return false
    if (data.highWatermark >= 0n) slot.highWatermark = data.highWatermark
    if (data.errorCode !== 0) {
      if (data.errorCode === OFFSET_OUT_OF_RANGE) {
        slot.seeking = true
        this.events.seek(slot, this.options.offsetOutOfRange(slot.topic, slot.partition), 'out-of-range')
        return false
      }
      const error = brokerError(data.errorCode, { api: 'Fetch', broker, topic: slot.topic, partition: slot.partition })
      if (errorCodeInfo(data.errorCode).refreshMetadata) {
        slot.leader = -1
        this.refreshLeaders()
      }
      this.events.nonFatal(error)
      return true
    }
    const records = data.records
    if (records === null || records.length === 0) return false
    const context = { topic: slot.topic, partition: slot.partition }
    let decoded
    try {
      decoded = decodeRecordBatches(records, context)
    } catch (error) {
      // Corrupt data does not heal on retry: the substream fails, the rest of the consumer goes on.
      slot.fail(error)
      return false
    }
    if (decoded.batches.length === 0) {
      if (decoded.truncated && decoded.truncatedBatchBytes !== undefined) {
        // One batch is larger than the per-partition limit (brokers before KIP-74): ask for it whole next time.
        this.raisedPartitionBytes.set(slot.key, decoded.truncatedBatchBytes)
      }
      return false
    }
    this.raisedPartitionBytes.delete(slot.key)
    const aborted = this.options.isolationLevel === 1 ? new AbortedTransactions(data) : undefined
    const maxAge = this.options.maxMessageAge?.(slot.topic)
    const oldestAllowed = maxAge !== undefined && maxAge > 0 ? this.client.scheduler.now() - maxAge : undefined
    let position = slot.position!
    // Batches go to the slot's delivery cursor, which hands their records out as the un-done limits allow.
    for (const batch of decoded.batches) {
      if (batch.lastOffset < position) continue
      if (batch.isControl) {
        aborted?.onControlBatch(batch)
        position = batch.lastOffset + 1n
        slot.enqueue(NO_RECORDS, 0, position, batch.partitionLeaderEpoch)
        continue
      }
      if (aborted !== undefined && batch.isTransactional && aborted.isAborted(batch)) {
        position = batch.lastOffset + 1n
        slot.enqueue(NO_RECORDS, 0, position, batch.partitionLeaderEpoch)
        continue
      }
      if (oldestAllowed !== undefined && batch.maxTimestamp >= 0 && batch.maxTimestamp < oldestAllowed) {
        slot.position = position
        slot.seeking = true
        this.events.seek(slot, this.options.offsetOutOfRange(slot.topic, slot.partition), 'max-message-age')
        slot.deliver()
        return false
      }
      let list
      try {
        list = batch.records()
      } catch (error) {
        // Records are decompressed here, lazily: a batch that does not decompress is as corrupt as one that does not decode.
        if (this.options.undecodableBatch === 'skip') {
          // Its bounds are known (the header decoded): step past it, say so, and go on with the next batch.
          this.events.nonFatal(skippedBatchError(slot, batch.baseOffset, batch.lastOffset, error))
          position = batch.lastOffset + 1n
          slot.enqueue(NO_RECORDS, 0, position, batch.partitionLeaderEpoch)
          continue
        }
        // What decoded before it is delivered as far as the limits allow; the rest is fetched again after a restart.
        slot.deliver()
        slot.position = position
        slot.fail(error)
        return false
      }
      // Records below the position start only the first batch (a fetch starts mid-batch); skip them once.
      let from = 0
      if (batch.baseOffset < position) while (from < list.length && list[from]!.offset < position) from++
      if (oldestAllowed !== undefined) {
        const tooOld = firstOlderThan(list, from, oldestAllowed)
        if (tooOld >= 0) {
          // What comes before the first too-old record is delivered; the partition then moves as offsetOutOfRange says.
          slot.enqueue(list.slice(from, tooOld), 0, list[tooOld]!.offset, batch.partitionLeaderEpoch)
          slot.seeking = true
          this.events.seek(slot, this.options.offsetOutOfRange(slot.topic, slot.partition), 'max-message-age')
          slot.deliver()
          return false
        }
      }
      // Records removed by compaction leave gaps; the batch's last offset is where the next fetch starts.
      position = batch.lastOffset + 1n
      slot.enqueue(list, from, position, batch.partitionLeaderEpoch)
      this.messages += list.length - from
    }
    slot.position = position
    slot.deliver()
    return false
  }
}

export function asRxKafkaError(error: unknown): RxKafkaError {
  if (error instanceof RxKafkaError) return error
  return new RxKafkaError('CONSUMER', error instanceof Error ? error.message : String(error), { cause: error })
}

/** The warning for a batch skipped by `undecodableBatch: 'skip'`: where it was, what was skipped, and why. */
function skippedBatchError(slot: PartitionSlot, baseOffset: bigint, lastOffset: bigint, cause: unknown): RxKafkaError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new RxKafkaError('CORRUPT_RECORD', `skipped the batch at offsets ${baseOffset}-${lastOffset}, which does not decode: ${reason}`, {
    topic: slot.topic,
    partition: slot.partition,
    offset: baseOffset,
    cause,
    hint: "its records are lost to this consumer; register the codec it needs (registerCodec) or read it with undecodableBatch: 'error' to stop there",
  })
}
