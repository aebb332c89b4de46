/**
 * Share groups (KIP-932) in the virtual cluster: ShareGroupHeartbeat (every
 * member is assigned every partition of its subscribed topics, which KIP-932
 * allows), share sessions with their epochs, ShareFetch acquiring records
 * under a lock that expires on the scheduler, and settlement (accept, release,
 * reject, gap) by ShareAcknowledge or piggybacked on ShareFetch. A record
 * released, or whose lock expired, is delivered again with its delivery count
 * one higher; at the delivery limit it is archived instead.
 *
 * Not modelled (docs/share-groups.md): share.auto.offset.reset other than
 * latest, the share-group state topic (state lives in memory), renew
 * acknowledgements, byte limits per partition, ShareGroupDescribe and the
 * share-group admin APIs.
 */
import type { SchedulerLike, Subscription } from 'rxjs'
import { ErrorCode } from '../protocol/error-codes.js'
import type { ShareAcknowledgeRequest, ShareAcknowledgeResponse } from '../protocol/messages/ShareAcknowledge.js'
import type { ShareFetchRequest, ShareFetchResponse, ShareFetchResponsePartitionData } from '../protocol/messages/ShareFetch.js'
import type { ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse } from '../protocol/messages/ShareGroupHeartbeat.js'
import type { VirtualPartition, VirtualTopic } from './virtual-broker.js'

/** Kafka's share-group broker settings, in ms of scheduler time. */
export interface ShareGroupSettings {
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
  /** `group.share.record.lock.duration.ms`. */
  recordLockDurationMs: number
  /** `group.share.delivery.count.limit`. */
  deliveryCountLimit: number
}

/** What the share groups need of the brokers. */
export interface ShareGroupCluster {
  topicByName(name: string): VirtualTopic | undefined
  topicById(topicId: string): VirtualTopic | undefined
  /** Calls `wake` when one of the partitions gets data (or records become available); returns how to stop waiting. */
  waitForData(partitions: Set<VirtualPartition>, wake: () => void): () => void
  notifyAppended(partitions: Iterable<VirtualPartition>): void
}

const ACK_GAP = 0
const ACK_ACCEPT = 1
const ACK_RELEASE = 2
const ACK_REJECT = 3
const MAX_SESSION_EPOCH = 0x7fffffff

interface InFlightRecord {
  state: 'acquired' | 'available' | 'done'
  deliveryCount: number
  owner: string
  lock: Subscription | undefined
}

/** One partition as a share group sees it: the start offset (SPSO) and the records in flight above it. */
class SharePartitionState {
  readonly records = new Map<bigint, InFlightRecord>()
  constructor(
    readonly partition: VirtualPartition,
    public startOffset: bigint,
  ) {}

  /** Moves the start past settled records. */
  advance(): void {
    for (;;) {
      const r = this.records.get(this.startOffset)
      if (r === undefined || r.state !== 'done') return
      this.records.delete(this.startOffset)
      this.startOffset++
    }
  }
}

interface ShareMember {
  memberId: string
  epoch: number
  subscribed: string[]
  sessionTimer: Subscription | undefined
  sent: string | undefined
}

/** One share group: members, share sessions (per member) and the state of every partition it read. */
export class VirtualShareGroup {
  groupEpoch = 0
  readonly members = new Map<string, ShareMember>()
  private readonly sessions = new Map<string, { epoch: number; partitions: Set<string> }>()
  private readonly partitions = new Map<string, SharePartitionState>()

  constructor(
    readonly groupId: string,
    private readonly scheduler: SchedulerLike,
    private readonly settings: ShareGroupSettings,
    private readonly cluster: ShareGroupCluster,
  ) {}

  heartbeat(request: ShareGroupHeartbeatRequest): ShareGroupHeartbeatResponse {
    const answer = (errorCode: number, memberEpoch = -1, assignment: ShareGroupHeartbeatResponse['assignment'] = null): ShareGroupHeartbeatResponse => ({
      throttleTimeMs: 0, errorCode, errorMessage: null, memberId: request.memberId, memberEpoch,
      heartbeatIntervalMs: errorCode === 0 ? this.settings.heartbeatIntervalMs : 0, assignment,
    })
    if (request.memberId.length === 0) return answer(ErrorCode.INVALID_REQUEST)
    let member = this.members.get(request.memberId)
    if (request.memberEpoch < 0) {
      if (member !== undefined) this.removeMember(member)
      return answer(ErrorCode.NONE, -1)
    }
    if (request.memberEpoch === 0) {
      if (request.subscribedTopicNames === null) return answer(ErrorCode.INVALID_REQUEST)
      if (member !== undefined) this.removeMember(member)
      member = { memberId: request.memberId, epoch: ++this.groupEpoch, subscribed: [...request.subscribedTopicNames].sort(), sessionTimer: undefined, sent: undefined }
      this.members.set(member.memberId, member)
    } else {
      if (member === undefined) return answer(ErrorCode.UNKNOWN_MEMBER_ID)
      if (request.memberEpoch !== member.epoch) return answer(ErrorCode.FENCED_MEMBER_EPOCH)
      if (request.subscribedTopicNames !== null) member.subscribed = [...request.subscribedTopicNames].sort()
    }
    const m = member
    m.sessionTimer?.unsubscribe()
    m.sessionTimer = this.scheduler.schedule(() => {
      if (this.members.get(m.memberId) === m) this.removeMember(m)
    }, this.settings.sessionTimeoutMs)
    // Every member gets every partition of what it subscribes to: the records, not the partitions, are shared.
    const topicPartitions = m.subscribed
      .map((name) => this.cluster.topicByName(name))
      .filter((t): t is VirtualTopic => t !== undefined)
      .map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((_, i) => i) }))
    const signature = JSON.stringify(topicPartitions)
    const changed = signature !== m.sent || request.memberEpoch === 0
    m.sent = signature
    return answer(ErrorCode.NONE, m.epoch, changed ? { topicPartitions } : null)
  }

  /** Answers a ShareFetch now or, with nothing to acquire, when records arrive or `maxWaitMs` passes. Returns how to stop waiting. */
  shareFetch(request: ShareFetchRequest, reply: (response: ShareFetchResponse) => void): (() => void) | undefined {
    const fail = (errorCode: number): ShareFetchResponse => ({ throttleTimeMs: 0, errorCode, errorMessage: null, acquisitionLockTimeoutMs: 0, responses: [], nodeEndpoints: [] })
    const memberId = request.memberId ?? ''
    const refused = this.sessionStep(memberId, request.shareSessionEpoch, request.topics.some((t) => t.partitions.some((p) => p.acknowledgementBatches.length > 0)))
    if (refused !== 0) {
      reply(fail(refused))
      return undefined
    }
    const session = this.sessions.get(memberId)
    const ackErrors = new Map<string, number>()
    for (const t of request.topics) {
      const topic = this.cluster.topicById(t.topicId)
      for (const p of t.partitions) {
        const k = `${t.topicId}:${p.partitionIndex}`
        if (topic?.partitions[p.partitionIndex] !== undefined) session?.partitions.add(k)
        if (p.acknowledgementBatches.length > 0) ackErrors.set(k, this.settle(memberId, t.topicId, p.partitionIndex, p.acknowledgementBatches))
      }
    }
    for (const f of request.forgottenTopicsData) for (const p of f.partitions) session?.partitions.delete(`${f.topicId}:${p}`)
    const keys = [...(session?.partitions ?? [])]
    const build = (force: boolean): ShareFetchResponse | undefined => {
      let room = request.maxRecords > 0 ? request.maxRecords : Number.MAX_SAFE_INTEGER
      const byTopic = new Map<string, ShareFetchResponsePartitionData[]>()
      let acquiredAny = false
      for (const k of new Set([...keys, ...ackErrors.keys()])) {
        const [topicId, index] = k.split(':') as [string, string]
        const topic = this.cluster.topicById(topicId)
        const vp = topic?.partitions[Number(index)]
        const data: ShareFetchResponsePartitionData = {
          partitionIndex: Number(index), errorCode: 0, errorMessage: null, acknowledgeErrorCode: ackErrors.get(k) ?? 0, acknowledgeErrorMessage: null,
          currentLeader: { leaderId: vp?.leader ?? -1, leaderEpoch: vp?.leaderEpoch ?? -1 }, records: Buffer.alloc(0), acquiredRecords: [],
        }
        if (vp === undefined) data.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        else if (session?.partitions.has(k) === true && room > 0) {
          const acquired = this.acquire(memberId, vp, topicId, room)
          room -= acquired.count
          if (acquired.count > 0) {
            acquiredAny = true
            data.acquiredRecords = acquired.ranges
            data.records = acquired.records
          }
        }
        let list = byTopic.get(topicId)
        if (list === undefined) byTopic.set(topicId, (list = []))
        list.push(data)
      }
      if (!acquiredAny && !force && ackErrors.size === 0) return undefined
      return {
        throttleTimeMs: 0, errorCode: 0, errorMessage: null, acquisitionLockTimeoutMs: this.settings.recordLockDurationMs,
        responses: [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions })), nodeEndpoints: [],
      }
    }
    const now = build(request.maxWaitMs <= 0)
    if (now !== undefined) {
      reply(now)
      return undefined
    }
    const involved = new Set<VirtualPartition>()
    for (const k of keys) {
      const [topicId, index] = k.split(':') as [string, string]
      const vp = this.cluster.topicById(topicId)?.partitions[Number(index)]
      if (vp !== undefined) involved.add(vp)
    }
    let timer: Subscription | undefined
    let stopWaiting: (() => void) | undefined
    const finish = (): void => {
      stopWaiting?.()
      timer?.unsubscribe()
    }
    stopWaiting = this.cluster.waitForData(involved, () => {
      const ready = build(false)
      if (ready === undefined) return
      finish()
      reply(ready)
    })
    timer = this.scheduler.schedule(() => {
      finish()
      reply(build(true)!)
    }, request.maxWaitMs)
    return finish
  }

  shareAcknowledge(request: ShareAcknowledgeRequest): ShareAcknowledgeResponse {
    const memberId = request.memberId ?? ''
    const refused = this.sessionStep(memberId, request.shareSessionEpoch, false)
    const responses = request.topics.map((t) => ({
      topicId: t.topicId,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: refused === 0 ? this.settle(memberId, t.topicId, p.partitionIndex, p.acknowledgementBatches) : refused,
        errorMessage: null,
        currentLeader: { leaderId: this.cluster.topicById(t.topicId)?.partitions[p.partitionIndex]?.leader ?? -1, leaderEpoch: -1 },
      })),
    }))
    if (request.shareSessionEpoch === -1 && refused === 0) this.closeSession(memberId)
    return { throttleTimeMs: 0, errorCode: refused, errorMessage: null, acquisitionLockTimeoutMs: this.settings.recordLockDurationMs, responses, nodeEndpoints: [] }
  }

  /** The partition's start offset and its records' states (for tests and docs): offset -> state and delivery count. */
  inFlight(topic: VirtualTopic, partition: number): { startOffset: bigint; records: { offset: bigint; state: string; deliveryCount: number }[] } | undefined {
    const state = this.partitions.get(`${topic.topicId}:${partition}`)
    if (state === undefined) return undefined
    return { startOffset: state.startOffset, records: [...state.records].sort(([a], [b]) => (a < b ? -1 : 1)).map(([offset, r]) => ({ offset, state: r.state, deliveryCount: r.deliveryCount })) }
  }

  dispose(): void {
    for (const m of this.members.values()) m.sessionTimer?.unsubscribe()
    for (const p of this.partitions.values()) for (const r of p.records.values()) r.lock?.unsubscribe()
  }

  /**
   * Checks a request's share session epoch: 0 opens a session (acknowledgements
   * are not allowed on it), -1 is the last request of one, anything else must
   * be the session's next epoch. 0 when it is fine (and the session moved on).
   */
  private sessionStep(memberId: string, epoch: number, carriesAcks: boolean): number {
    if (!this.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID
    const session = this.sessions.get(memberId)
    if (epoch === 0) {
      if (carriesAcks) return ErrorCode.INVALID_REQUEST
      if (session !== undefined) this.closeSession(memberId)
      this.sessions.set(memberId, { epoch: 1, partitions: new Set() })
      return 0
    }
    if (session === undefined) return ErrorCode.SHARE_SESSION_NOT_FOUND
    if (epoch === -1) return 0
    if (epoch !== session.epoch) return ErrorCode.INVALID_SHARE_SESSION_EPOCH
    session.epoch = epoch === MAX_SESSION_EPOCH ? 1 : epoch + 1
    return 0
  }

  private closeSession(memberId: string): void {
    this.sessions.delete(memberId)
    this.releaseAllOf(memberId)
  }

  private removeMember(member: ShareMember): void {
    member.sessionTimer?.unsubscribe()
    this.members.delete(member.memberId)
    this.closeSession(member.memberId)
  }

  private stateOf(topicId: string, vp: VirtualPartition): SharePartitionState {
    const k = `${topicId}:${vp.log.partition}`
    let state = this.partitions.get(k)
    if (state === undefined) {
      // share.auto.offset.reset=latest, Kafka's default: the group starts at the log end when it first reads the partition.
      state = new SharePartitionState(vp, vp.log.endOffset)
      this.partitions.set(k, state)
    }
    return state
  }

  /** Acquires up to `room` available records for the member; ranges of equal delivery count, and the whole batches that hold them. */
  private acquire(memberId: string, vp: VirtualPartition, topicId: string, room: number): { count: number; ranges: { firstOffset: bigint; lastOffset: bigint; deliveryCount: number }[]; records: Buffer } {
    const state = this.stateOf(topicId, vp)
    if (state.startOffset < vp.log.logStartOffset) state.startOffset = vp.log.logStartOffset
    const ranges: { firstOffset: bigint; lastOffset: bigint; deliveryCount: number }[] = []
    let count = 0
    for (let offset = state.startOffset; offset < vp.log.endOffset && count < room; offset++) {
      let r = state.records.get(offset)
      if (r !== undefined && r.state !== 'available') continue
      if (r === undefined) state.records.set(offset, (r = { state: 'available', deliveryCount: 0, owner: '', lock: undefined }))
      const record = r
      record.state = 'acquired'
      record.deliveryCount++
      record.owner = memberId
      record.lock = this.scheduler.schedule(() => {
        record.lock = undefined
        if (record.state === 'acquired') this.makeAvailable(state, record)
      }, this.settings.recordLockDurationMs)
      count++
      const last = ranges.at(-1)
      if (last !== undefined && last.lastOffset + 1n === offset && last.deliveryCount === record.deliveryCount) last.lastOffset = offset
      else ranges.push({ firstOffset: offset, lastOffset: offset, deliveryCount: record.deliveryCount })
    }
    const batches = new Set<Buffer>()
    for (const range of ranges) for (const b of vp.log.batches) if (b.lastOffset >= range.firstOffset && b.baseOffset <= range.lastOffset) batches.add(b.bytes)
    return { count, ranges, records: Buffer.concat([...batches]) }
  }

  /** Released or lock expired: available again, or archived at the delivery limit. */
  private makeAvailable(state: SharePartitionState, record: InFlightRecord): void {
    record.lock?.unsubscribe()
    record.lock = undefined
    record.owner = ''
    record.state = record.deliveryCount >= this.settings.deliveryCountLimit ? 'done' : 'available'
    state.advance()
    this.cluster.notifyAppended([state.partition])
  }

  /** Applies acknowledgement batches of one partition; 0, or INVALID_RECORD_STATE when a record was not the member's to settle. */
  private settle(memberId: string, topicId: string, partition: number, batches: readonly { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: readonly number[] }[]): number {
    const vp = this.cluster.topicById(topicId)?.partitions[partition]
    if (vp === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    const state = this.stateOf(topicId, vp)
    let errorCode = 0
    for (const b of batches) {
      for (let offset = b.firstOffset, i = 0; offset <= b.lastOffset; offset++, i++) {
        const type = b.acknowledgeTypes.length === 1 ? b.acknowledgeTypes[0]! : b.acknowledgeTypes[i]
        const r = state.records.get(offset)
        if (r === undefined || r.state !== 'acquired' || r.owner !== memberId || type === undefined) {
          errorCode = ErrorCode.INVALID_RECORD_STATE
          continue
        }
        if (type === ACK_RELEASE) {
          this.makeAvailable(state, r)
          continue
        }
        if (type !== ACK_ACCEPT && type !== ACK_REJECT && type !== ACK_GAP) {
          errorCode = ErrorCode.INVALID_REQUEST
          continue
        }
        r.lock?.unsubscribe()
        r.lock = undefined
        r.state = 'done'
      }
    }
    state.advance()
    return errorCode
  }

  private releaseAllOf(memberId: string): void {
    for (const state of this.partitions.values()) {
      for (const r of state.records.values()) if (r.state === 'acquired' && r.owner === memberId) this.makeAvailable(state, r)
    }
  }
}
