/**
 * The consumer group coordinator of KIP-848 in the virtual cluster: members
 * send ConsumerGroupHeartbeat with their subscription and the partitions
 * they own; the coordinator keeps a group epoch, computes a target assignment
 * with a uniform, sticky server assignor, and hands each member its share
 * incrementally: a partition is revoked from its old owner first and given to
 * its new owner only once no other member's heartbeat still lists it. Members
 * whose partitions do not move never stop.
 *
 * What is modelled and what is not is in docs/virtual-cluster.md: no
 * rebalance timeout fencing of a member slow to revoke, no regular
 * expressions, no racks, a static leave (epoch -2) is a plain leave, and one
 * group id is either classic or consumer, never migrated between the two.
 */
import type { SchedulerLike, Subscription } from 'rxjs'
import { ErrorCode } from '../protocol/error-codes.js'
import type { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse } from '../protocol/messages/ConsumerGroupHeartbeat.js'
import type { StoredOffset } from './virtual-group.js'
import type { VirtualConsumerGroupState } from './virtual-types.js'
import { partitionKey, partitionsByTopic } from './virtual-partition-key.js'

/** What the coordinator needs to know of the cluster's topics. */
export interface ConsumerGroupTopics {
  /** Partition count and id of a topic, or undefined when it does not exist. */
  byName(name: string): { topicId: string; partitions: number } | undefined
  /** The name of a topic id, or undefined. */
  nameOf(topicId: string): string | undefined
}

/** Settings of the KIP-848 coordinator (Kafka's `group.consumer.*` broker settings), in ms of scheduler time. */
export interface ConsumerGroupSettings {
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
}

interface ConsumerMember {
  readonly memberId: string
  readonly clientId: string
  instanceId: string | null
  epoch: number
  previousEpoch: number
  subscribed: string[]
  /** What the member's latest heartbeat said it owns ("topic\0partition"). */
  reported: Set<string>
  /** What the coordinator has allowed the member to own. */
  given: Set<string>
  /** `given` as last sent, so an unchanged assignment is answered with null. */
  sent: string | undefined
  sessionTimer: Subscription | undefined
}

/** One group under the consumer group protocol, and its committed offsets. */
export class VirtualConsumerGroup {
  groupEpoch = 0
  readonly members = new Map<string, ConsumerMember>()
  readonly offsets = new Map<string, StoredOffset>()
  /** Member id -> its share of the target assignment. */
  private target = new Map<string, Set<string>>()
  /** What the target was computed from (members, subscriptions, partition counts). */
  private targetBasis = ''

  constructor(
    readonly groupId: string,
    private readonly scheduler: SchedulerLike,
    private readonly settings: ConsumerGroupSettings,
    private readonly topics: ConsumerGroupTopics,
  ) {}

  heartbeat(request: ConsumerGroupHeartbeatRequest, clientId: string): ConsumerGroupHeartbeatResponse {
    const answer = (errorCode: number, memberEpoch = -1, assignment: ConsumerGroupHeartbeatResponse['assignment'] = null): ConsumerGroupHeartbeatResponse => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage: null,
      memberId: request.memberId,
      memberEpoch,
      heartbeatIntervalMs: errorCode === 0 ? this.settings.heartbeatIntervalMs : 0,
      assignment,
    })
    if (request.memberId.length === 0) return answer(ErrorCode.INVALID_REQUEST)
    if (request.subscribedTopicRegex !== undefined && request.subscribedTopicRegex !== null) {
      // Server-side regular expressions are not modelled; say so rather than assign nothing.
      return answer(ErrorCode.INVALID_REGULAR_EXPRESSION)
    }
    // Kafka's two server assignors; both are answered with the uniform one here (docs/virtual-cluster.md).
    if (request.serverAssignor !== null && request.serverAssignor !== 'uniform' && request.serverAssignor !== 'range') return answer(ErrorCode.UNSUPPORTED_ASSIGNOR)
    let member = this.members.get(request.memberId)
    if (request.memberEpoch < 0) {
      if (member !== undefined) this.remove(member)
      return answer(ErrorCode.NONE, request.memberEpoch)
    }
    if (request.memberEpoch === 0) {
      if (request.subscribedTopicNames === null) return answer(ErrorCode.INVALID_REQUEST)
      if (member !== undefined) this.remove(member)
      member = {
        memberId: request.memberId,
        clientId,
        instanceId: request.instanceId,
        epoch: 0,
        previousEpoch: 0,
        subscribed: [...request.subscribedTopicNames].sort(),
        reported: new Set(),
        given: new Set(),
        sent: undefined,
        sessionTimer: undefined,
      }
      this.members.set(member.memberId, member)
    } else {
      if (member === undefined) return answer(ErrorCode.UNKNOWN_MEMBER_ID)
      // The previous epoch is accepted too: the member may have missed the answer that moved it on.
      if (request.memberEpoch !== member.epoch && request.memberEpoch !== member.previousEpoch) return answer(ErrorCode.FENCED_MEMBER_EPOCH)
      if (request.subscribedTopicNames !== null) member.subscribed = [...request.subscribedTopicNames].sort()
    }
    if (request.topicPartitions !== null) member.reported = this.keysOf(request.topicPartitions)
    this.keepAlive(member)
    this.refreshTarget()
    this.reconcile(member)
    const given = this.describe(member.given)
    const signature = JSON.stringify(given)
    const changed = member.sent !== signature || request.memberEpoch === 0
    member.sent = signature
    return answer(ErrorCode.NONE, member.epoch, changed ? { topicPartitions: given.map(({ topicId, partitions }) => ({ topicId, partitions })) } : null)
  }

  /** 0 when an OffsetCommit with this member id and epoch may be stored, else why not. */
  checkCommit(memberId: string, memberEpoch: number): number {
    if (memberEpoch < 0 && memberId === '') return this.members.size === 0 ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID
    const member = this.members.get(memberId)
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (memberEpoch > member.epoch) return ErrorCode.FENCED_MEMBER_EPOCH
    // A member still revoking commits with the epoch it had before; that is the epoch it holds the partitions under.
    if (memberEpoch < member.epoch && memberEpoch !== member.previousEpoch) return ErrorCode.STALE_MEMBER_EPOCH
    return ErrorCode.NONE
  }

  /** Removes a member as if its session had expired. Returns false when it is not a member. */
  kick(memberId: string): boolean {
    const member = this.members.get(memberId)
    if (member === undefined) return false
    this.remove(member)
    return true
  }

  snapshot(): VirtualConsumerGroupState {
    const byTopic = (keys: Iterable<string>) => this.describe(new Set(keys)).map(({ topic, partitions }) => ({ topic, partitions }))
    return {
      groupId: this.groupId,
      groupEpoch: this.groupEpoch,
      members: [...this.members.values()]
        .sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
        .map((m) => ({ memberId: m.memberId, clientId: m.clientId, memberEpoch: m.epoch, assigned: byTopic(m.given), target: byTopic(this.target.get(m.memberId) ?? []) })),
    }
  }

  dispose(): void {
    for (const m of this.members.values()) m.sessionTimer?.unsubscribe()
  }

  private remove(member: ConsumerMember): void {
    member.sessionTimer?.unsubscribe()
    this.members.delete(member.memberId)
    this.refreshTarget()
  }

  private keepAlive(member: ConsumerMember): void {
    member.sessionTimer?.unsubscribe()
    member.sessionTimer = this.scheduler.schedule(() => {
      if (this.members.get(member.memberId) === member) this.remove(member)
    }, this.settings.sessionTimeoutMs)
  }

  /**
   * Moves the member towards its target: partitions outside it are taken
   * away; partitions in it are given once nobody else holds them (allowed to,
   * or still reporting them). The member's epoch moves to the group epoch once
   * it no longer reports anything outside its target (its revocation is done).
   */
  private reconcile(member: ConsumerMember): void {
    const target = this.target.get(member.memberId) ?? new Set<string>()
    const heldByOthers = new Set<string>()
    for (const other of this.members.values()) {
      if (other === member) continue
      for (const k of other.given) heldByOthers.add(k)
      for (const k of other.reported) heldByOthers.add(k)
    }
    const given = new Set<string>()
    for (const k of target) if (member.given.has(k) || !heldByOthers.has(k)) given.add(k)
    member.given = given
    const revoking = [...member.reported].some((k) => !target.has(k))
    if (member.epoch < this.groupEpoch && !revoking) {
      member.previousEpoch = member.epoch
      member.epoch = this.groupEpoch
    }
  }

  /** Recomputes the target when what it depends on changed, bumping the group epoch. */
  private refreshTarget(): void {
    const members = [...this.members.values()].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
    const topicNames = [...new Set(members.flatMap((m) => m.subscribed))].sort()
    const counts = topicNames.map((t) => this.topics.byName(t)?.partitions ?? 0)
    const basis = JSON.stringify([members.map((m) => [m.memberId, m.subscribed]), topicNames, counts])
    if (basis === this.targetBasis) return
    this.targetBasis = basis
    this.groupEpoch++
    this.target = uniformStickyAssignment(members, topicNames, counts, this.target)
  }

  private keysOf(partitions: readonly { topicId: string; partitions: readonly number[] }[]): Set<string> {
    const keys = new Set<string>()
    for (const t of partitions) {
      const name = this.topics.nameOf(t.topicId)
      if (name !== undefined) for (const p of t.partitions) keys.add(partitionKey(name, p))
    }
    return keys
  }

  private describe(keys: ReadonlySet<string>): { topic: string; topicId: string; partitions: number[] }[] {
    return partitionsByTopic(keys)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([topic, partitions]) => ({ topic, topicId: this.topics.byName(topic)?.topicId ?? '', partitions }))
  }
}

/**
 * Per topic, the subscribers share its partitions evenly (the first
 * `count % n` of them, by member id, take one more); a member keeps what it
 * had up to its quota, and what is left goes to those below quota, in order.
 */
function uniformStickyAssignment(
  members: readonly { memberId: string; subscribed: readonly string[] }[],
  topicNames: readonly string[],
  counts: readonly number[],
  previous: ReadonlyMap<string, ReadonlySet<string>>,
): Map<string, Set<string>> {
  const result = new Map(members.map((m) => [m.memberId, new Set<string>()]))
  topicNames.forEach((topic, t) => {
    const count = counts[t]!
    const subscribers = members.filter((m) => m.subscribed.includes(topic)).map((m) => m.memberId)
    if (subscribers.length === 0 || count === 0) return
    const quota = new Map(subscribers.map((id, i) => [id, Math.floor(count / subscribers.length) + (i < count % subscribers.length ? 1 : 0)]))
    const free: number[] = []
    const taken = new Map(subscribers.map((id) => [id, 0]))
    for (let p = 0; p < count; p++) {
      const k = partitionKey(topic, p)
      const owner = subscribers.find((id) => previous.get(id)?.has(k) === true && taken.get(id)! < quota.get(id)!)
      if (owner === undefined) {
        free.push(p)
        continue
      }
      result.get(owner)!.add(k)
      taken.set(owner, taken.get(owner)! + 1)
    }
    for (const p of free) {
      const owner = subscribers.find((id) => taken.get(id)! < quota.get(id)!)!
      result.get(owner)!.add(partitionKey(topic, p))
      taken.set(owner, taken.get(owner)! + 1)
    }
  })
  return result
}
