/**
 * The classic group member's rebalance handshake: JoinGroup (with the
 * MEMBER_ID_REQUIRED round trip of KIP-394), the assignor when this member
 * leads (on fresh partition counts), and SyncGroup, ending in the member's
 * assignment. Each request runs as the member's one group step; an answer's
 * code goes through the error policy (group-error-policy.ts) and back to the
 * member as an action, and a request that fails goes back as a failed step, so
 * the member alone decides what an error costs it.
 */
import type { Observable } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import type { ClusterView } from '../cluster/cluster-view.js'
import { brokerError, type RxKafkaError } from '../errors/index.js'
import { observeJoin, observeSync, type ObservedMember } from '../observability/consumer-events.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { JoinGroupApi, type JoinGroupResponse } from '../protocol/messages/JoinGroup.js'
import { SyncGroupApi } from '../protocol/messages/SyncGroup.js'
import type { GroupAssignor, GroupMemberSubscription, TopicPartitions } from './assignors.js'
import type { ResolvedGroupOptions } from './consumer-options.js'
import { groupResponseAction, type GroupAction } from './group-error-policy.js'
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from './group-payloads.js'
import type { MemberState } from './member-state.js'
import type { TopicSubscription } from './topic-subscription.js'

const PROTOCOL_TYPE = 'consumer'

/** What the join step reads of its member and tells it. */
export interface JoiningMember {
  /** The member as the observability events key it (the rebalance's duration runs from its first JoinGroup). */
  readonly observed: ObservedMember
  state(): MemberState
  coordinator(): number | undefined
  /** The member id and generation the requests are sent as (read when each is sent). */
  identity(): { memberId: string; generationId: number }
  /** The partitions it holds now, for a cooperative assignor's subscription. */
  owned(): TopicPartitions[]
  /** A JoinGroup goes out: the member is `joining` and heartbeats stop. */
  joining(): void
  /** The SyncGroup goes out: the member is `syncing`. */
  syncing(): void
  /** KIP-394: the coordinator handed out this id and expects the member straight back with it. */
  setMemberId(memberId: string): void
  /** JoinGroup succeeded: the member's id and generation, whether it leads; the backoff starts over. */
  generation(memberId: string, generationId: number, isLeader: boolean): void
  /** The assignor the group agreed on. */
  agreed(protocol: GroupAssignor): void
  /** Runs `work` as the member's one group step (group-member.ts's runStep). */
  runStep<T>(work: Observable<T>, next: (value: T) => void, error: (e: unknown) => void): void
  findCoordinator(): void
  /** A step failed without an answer; `retry` repeats it. */
  stepFailed(error: unknown, retry: () => void): void
  /** Does what the error policy says about an answer's error. */
  mend(action: GroupAction, error: RxKafkaError, retry: () => void): void
  fatal(error: unknown): void
  /** SyncGroup answered: this member's assignment in the generation (only subscribed topics). */
  assigned(protocol: GroupAssignor, assigned: TopicPartitions[]): void
}

/**
 * One classic member's joins; `join` starts one (again after each rebalance).
 *
 * @example
 * ```ts
 * const joiner = new ClassicJoin(client, group, subscription, connectionKey, member)
 * joiner.join() // ends in member.assigned(protocol, partitions), or in member.mend/stepFailed/fatal
 * ```
 */
export class ClassicJoin {
  constructor(
    private readonly client: ClusterClient,
    private readonly group: ResolvedGroupOptions,
    private readonly subscription: TopicSubscription,
    /** The member's own 'group' connection (members of one group on one client must not share one). */
    private readonly connectionKey: string,
    private readonly member: JoiningMember,
  ) {}

  join(): void {
    // A member on its way out joins nothing (its stop() commits and leaves).
    const state = this.member.state()
    if (state === 'leaving' || state === 'stopped') return
    const coordinator = this.member.coordinator()
    if (coordinator === undefined) {
      this.member.findCoordinator()
      return
    }
    this.member.joining()
    const owned = this.member.owned()
    this.subscription.joined()
    const protocols = this.group.assignors.map((assignor) => ({
      name: assignor.name,
      metadata: encodeSubscription({
        topics: [...this.subscription.topics],
        userData: assignor.userData?.() ?? null,
        ownedPartitions: assignor.rebalance === 'cooperative' ? owned : [],
      }),
    }))
    this.member.runStep(
      this.client.request(
        coordinator,
        JoinGroupApi,
        (version) => ({
          groupId: this.group.groupId,
          sessionTimeoutMs: this.group.sessionTimeoutMs,
          ...(version >= 1 ? { rebalanceTimeoutMs: this.group.rebalanceTimeoutMs } : {}),
          memberId: this.member.identity().memberId,
          ...(version >= 5 ? { groupInstanceId: this.group.groupInstanceId } : {}),
          protocolType: PROTOCOL_TYPE,
          protocols,
        }),
        // JoinGroup legitimately blocks until every member rejoins: up to the rebalance timeout.
        { timeoutMs: this.group.rebalanceTimeoutMs + 5_000, connectionKey: this.connectionKey },
      ).pipe(observeJoin(this.client.clientId, this.group.groupId, this.member.observed, coordinator)),
      (response) => this.onJoined(coordinator, response),
      (error) => this.member.stepFailed(error, () => this.join()),
    )
  }

  private onJoined(coordinator: number, response: JoinGroupResponse): void {
    const action = groupResponseAction('JoinGroup', response.errorCode)
    if (action === 'rejoin-with-id') {
      // KIP-394: the coordinator hands out the id first and expects us straight back with it.
      this.member.setMemberId(response.memberId)
      this.join()
      return
    }
    if (action !== 'continue') {
      this.member.mend(action, brokerError(response.errorCode, { api: 'JoinGroup', broker: coordinator }), () => this.join())
      return
    }
    const isLeader = response.leader === response.memberId
    this.member.generation(response.memberId, response.generationId, isLeader)
    const protocol = this.group.assignors.find((a) => a.name === response.protocolName)
    if (protocol === undefined) {
      this.member.fatal(
        brokerError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, {
          api: 'JoinGroup',
          broker: coordinator,
          errorMessage: `the group chose assignor ${JSON.stringify(response.protocolName)}, which this member did not offer`,
        }),
      )
      return
    }
    this.member.agreed(protocol)
    if (!isLeader || response.skipAssignment === true) {
      this.sync(coordinator, protocol, [])
      return
    }
    let members: GroupMemberSubscription[]
    try {
      members = response.members.map((m) => {
        const s = decodeSubscription(m.metadata)
        return {
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId ?? null,
          topics: s.topics,
          ownedPartitions: s.ownedPartitions ?? [],
          userData: s.userData,
        }
      })
    } catch (error) {
      this.member.fatal(error)
      return
    }
    // Fresh partition counts for every topic any member follows (others may subscribe to topics we do not).
    const topics = [...new Set(members.flatMap((m) => m.topics))]
    this.member.runStep(
      this.client.refreshMetadata(topics),
      (view) => {
        let assignments: { memberId: string; assignment: Buffer }[]
        try {
          assignments = assignAsLeader(protocol, members, view)
        } catch (error) {
          this.member.fatal(error)
          return
        }
        this.sync(coordinator, protocol, assignments)
      },
      (error) => this.member.stepFailed(error, () => this.join()),
    )
  }

  private sync(coordinator: number, protocol: GroupAssignor, assignments: { memberId: string; assignment: Buffer }[]): void {
    this.member.syncing()
    this.member.runStep(
      this.client.request(
        coordinator,
        SyncGroupApi,
        (version) => ({
          groupId: this.group.groupId,
          generationId: this.member.identity().generationId,
          memberId: this.member.identity().memberId,
          ...(version >= 3 ? { groupInstanceId: this.group.groupInstanceId } : {}),
          ...(version >= 5 ? { protocolType: PROTOCOL_TYPE, protocolName: protocol.name } : {}),
          assignments,
        }),
        { timeoutMs: this.group.rebalanceTimeoutMs + 5_000, connectionKey: this.connectionKey },
      ).pipe(observeSync(this.client.clientId, this.group.groupId, this.member.observed, coordinator)),
      (response) => {
        const action = groupResponseAction('SyncGroup', response.errorCode)
        if (action !== 'continue') {
          this.member.mend(action, brokerError(response.errorCode, { api: 'SyncGroup', broker: coordinator }), () => this.join())
          return
        }
        let assigned: TopicPartitions[]
        try {
          assigned = decodeAssignment(response.assignment).assignedPartitions.filter((t) => this.subscription.topics.includes(t.topic))
        } catch (error) {
          this.member.fatal(error)
          return
        }
        this.member.assigned(protocol, assigned)
      },
      (error) => this.member.stepFailed(error, () => this.join()),
    )
  }
}

/** The leader's assignment: the assignor's answer for every member, on the partition counts the metadata has now. */
function assignAsLeader(protocol: GroupAssignor, members: GroupMemberSubscription[], view: ClusterView): { memberId: string; assignment: Buffer }[] {
  const counts = new Map<string, number>()
  for (const m of members) {
    for (const topic of m.topics) {
      const info = view.topics.get(topic)
      if (info !== undefined && info.errorCode === 0 && info.partitions.length > 0) counts.set(topic, info.partitions.length)
    }
  }
  const result = protocol.assign(members, counts)
  return members.map((m) => ({
    memberId: m.memberId,
    assignment: encodeAssignment({ assignedPartitions: result.get(m.memberId) ?? [], userData: null }),
  }))
}
