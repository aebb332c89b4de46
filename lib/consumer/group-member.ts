/**
 * One member of a consumer group (classic protocol), for one subscription of
 * `consumeGroup`: find the coordinator, join (with the MEMBER_ID_REQUIRED
 * round trip of KIP-394), run the assignor when leader, sync, heartbeat on its
 * own timer and connection, commit, and on the way out drain, commit and leave.
 *
 * The member is a small state machine driven by callbacks. At most one group
 * step (find, join, sync, revoke, start positions) runs at a time, held in
 * `step`; heartbeats and periodic commits run beside it on their own timers.
 * Finding the coordinator is classic-coordinator.ts's, the join and sync
 * requests classic-join.ts's, what an assignment starts (substreams, start
 * positions) classic-assignment.ts's, giving partitions up (revoke, lose)
 * classic-revoke.ts's, the stop (drain, final commit, leave) member-stop.ts's;
 * what an error costs the member (mend) is decided here alone.
 */
import { Observable, Subscription, catchError, of, switchMap, take, timer, type Subscriber } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import type { RxKafkaError } from '../errors/index.js'
import { backoffDelay } from '../kit/backoff.js'
import type { GroupAssignor } from './assignors.js'
import type { ResolvedFetchOptions, ResolvedGroupOptions } from './consumer-options.js'
import { asRxKafkaError, Fetcher } from './fetcher.js'
import { asRetried, groupFailureAction, type GroupAction } from './group-error-policy.js'
import { GroupHeartbeat, type HeartbeatMember } from './group-heartbeat.js'
import { ClassicCoordinator, type CoordinatedMember } from './classic-coordinator.js'
import { ClassicJoin, type JoiningMember } from './classic-join.js'
import { ClassicAssignment, type AssignedMember } from './classic-assignment.js'
import { CommitTimer } from './member-commits.js'
import { MemberStop, type StoppingMember } from './member-stop.js'
import type { CommitIdentity } from './offset-requests.js'
import { groupSlots, type PartitionStartContext } from './partition-starts.js'
import { commitSlots, publishHandOver } from './slot-commits.js'
import { ClassicRevoke, type RevokingMember } from './classic-revoke.js'
import { leaveGroup } from './classic-leave.js'
import type { PartitionSlot, PartitionStream } from './partition-stream.js'
import { SidechannelOffsets } from './sidechannel.js'
import { TopicSubscription } from './topic-subscription.js'
import type { MemberState } from './member-state.js'
import type { MemberChannels } from './group-events.js'
import { memberDiagnostics, type GroupMemberDiagnostics } from './member-diagnostics.js'

/** Numbers members for their connection keys. */
let memberInstances = 0

export class GroupMember {
  state: MemberState = 'starting'
  memberId = ''
  generationId = -1
  coordinator: number | undefined
  protocol: GroupAssignor | undefined
  private isLeader = false
  private rebalances = 0
  private readonly slots = new Map<string, PartitionSlot>()
  private readonly lastCommitted = new Map<string, bigint>()
  private readonly fetcher: Fetcher
  /** The one group step in progress. */
  private step = new Subscription()
  private readonly heartbeat: GroupHeartbeat
  /** JoinGroup, the leader's assignment, SyncGroup (classic-join.ts); a join ends in the assignment's start (classic-assignment.ts). */
  private readonly joiner: ClassicJoin
  private readonly commitTimer: CommitTimer
  private readonly lifetime = new Subscription()
  /** The graceful stop (member-stop.ts), shared with the KIP-848 member. */
  private readonly stopper: MemberStop
  private backoffAttempt = 0
  private readonly sidechannel: SidechannelOffsets | undefined
  /** The subscribed topics: the names, plus what the patterns match now. */
  private readonly subscription: TopicSubscription
  /**
   * This member's own connections within each role: members of one group on one
   * client must not share a 'group' connection (one member's SyncGroup, waiting
   * for the other, would hold back the other's JoinGroup).
   */
  private readonly connectionKey: string
  /**
   * The member's commits have a connection of their own: on the member's
   * 'group' connection a commit would queue behind a JoinGroup the coordinator
   * holds for the whole rebalance, and reach it only after the generation it
   * belongs to is gone (the hand-over of a leaving cooperative member would
   * then be lost).
   */
  private readonly commitConnectionKey: string
  /** What an assignment starts (classic-assignment.ts); also the jump of a partition out of range. */
  private readonly assignment: ClassicAssignment
  /** How partitions are given up (classic-revoke.ts): revoked with a commit, or lost without one. */
  private readonly revoker: ClassicRevoke
  /** Where the coordinator is (classic-coordinator.ts): found before a join, or looked up again between rebalances. */
  private readonly coordinatorFinder: ClassicCoordinator

  constructor(
    private readonly client: ClusterClient,
    private readonly group: ResolvedGroupOptions,
    private readonly fetch: ResolvedFetchOptions,
    private readonly output: Subscriber<PartitionStream>,
    private readonly channels: MemberChannels,
  ) {
    this.connectionKey = `member ${++memberInstances} of ${group.groupId}`
    this.commitConnectionKey = `${this.connectionKey} commits`
    this.fetcher = new Fetcher(client, fetch, {
      nonFatal: (error) => this.channels.error(error),
      seek: (slot, spec) => this.assignment.seek(slot, spec),
    }, this.connectionKey)
    this.sidechannel = group.sidechannel === null ? undefined : new SidechannelOffsets(client, group.sidechannel, group.groupId)
    this.subscription = new TopicSubscription(client, group.topics, group.topicPatterns, group.topicRefreshMs)
    this.heartbeat = new GroupHeartbeat(client, group, this.heartbeatMember(), this.lifetime)
    this.joiner = new ClassicJoin(client, group, this.subscription, this.connectionKey, this.joiningMember())
    this.commitTimer = new CommitTimer(client.scheduler, group.commitIntervalMs, {
      due: () => this.state === 'stable',
      commit: () => this.commitSlots([...this.slots.values()]),
      failed: (error) => this.onCommitError(error),
    })
    const starts: PartitionStartContext = {
      client, group, fetch, fetcher: this.fetcher, sidechannel: this.sidechannel, connectionKey: this.connectionKey,
      nonFatal: (error) => this.channels.error(asRxKafkaError(error)),
    }
    this.assignment = new ClassicAssignment(starts, output, channels, this.lifetime, this.assignedMember())
    this.revoker = new ClassicRevoke(this.revokingMember())
    this.coordinatorFinder = new ClassicCoordinator(client, group.groupId, this.coordinatedMember())
    this.stopper = new MemberStop(this.stoppingMember())
  }

  start(): void {
    this.stopper.register()
    if (!this.group.noMessages) this.fetcher.start()
    this.sidechannel?.start((error) => this.channels.error(asRxKafkaError(error)))
    this.awaitTopics()
  }

  /**
   * Waits for the subscribed topics. Brokers that do not answer yet (a client
   * started before its cluster) are retried with the shared backoff, each
   * failure reported on `errors$`; a topic that does not exist is fatal.
   */
  private awaitTopics(): void {
    const named: Observable<unknown> = this.group.topics.length > 0 ? this.client.ensureTopics(this.group.topics).pipe(take(1)) : of(undefined)
    this.runStep(
      named.pipe(switchMap(() => this.subscription.resolve())),
      () => {
        this.backoffAttempt = 0
        this.subscription.startRefresh((error) => this.channels.error(error))
        this.coordinatorFinder.find()
      },
      (error) => {
        const e = asRxKafkaError(error)
        if (!e.retriable) {
          this.fatal(e)
          return
        }
        this.channels.error(e)
        this.afterBackoff(() => this.awaitTopics())
      },
    )
  }

  /** Commits what is done in every held partition now. */
  commit(): Observable<void> {
    return this.commitSlots([...this.slots.values()])
  }

  /**
   * The graceful stop of member-stop.ts (drain up to `drainMs`, the retried
   * final commit, the hand-over, the leave), whose leave here is LeaveGroup:
   * a static member sends none and keeps its partitions until its session
   * times out, as KIP-345 intends.
   */
  stop(drainMs = 0): Promise<void> {
    return this.stopper.stop(drainMs)
  }

  /**
   * Who this member is in the group now: what a transactional producer needs
   * for TxnOffsetCommit, and what commits carry to be fenced. `generationId` is
   * -1 between generations.
   */
  membership(): CommitIdentity {
    return { groupId: this.group.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.group.groupInstanceId }
  }

  diagnostics(): GroupMemberDiagnostics {
    return memberDiagnostics({
      groupId: this.group.groupId,
      state: this.state,
      memberId: this.memberId,
      generationId: this.generationId,
      coordinator: this.coordinator,
      protocol: this.protocol?.name ?? null,
      rebalances: this.rebalances,
      fetcher: this.fetcher,
      slots: this.slots,
      lastCommitted: this.lastCommitted,
    })
  }

  // ---- group steps --------------------------------------------------------

  private runStep<T>(work: Observable<T>, next: (value: T) => void, error: (e: unknown) => void): void {
    this.step.unsubscribe()
    if (this.state === 'stopped' || this.state === 'leaving') return
    const step = new Subscription()
    this.step = step
    step.add(
      work.pipe(take(1)).subscribe({
        next: (value) => {
          if (this.step === step && this.state !== 'stopped' && this.state !== 'leaving') next(value)
        },
        error: (e: unknown) => {
          if (this.step === step && this.state !== 'stopped' && this.state !== 'leaving') error(e)
        },
      }),
    )
  }

  private afterBackoff(then: () => void): void {
    // Doubling from retryBackoffMs for at most six steps, never above 10 s; no jitter (one member, one coordinator).
    const delay = backoffDelay(Math.min(this.backoffAttempt, 6), { initialMs: this.fetch.retryBackoffMs, maxMs: 10_000, jitter: 0 })
    this.backoffAttempt++
    this.runStep(timer(delay, this.client.scheduler), then, (e) => this.fatal(e))
  }

  /** Starts a rebalance: eager members give up everything first. */
  private rejoin(): void {
    if (this.state === 'joining' || this.state === 'syncing' || this.state === 'stopped' || this.state === 'revoking' || this.state === 'leaving') return
    // Heartbeats go on while revoked partitions drain (they keep the session alive); join() stops them.
    if (this.protocol?.rebalance === 'cooperative' || this.slots.size === 0) {
      this.joiner.join()
      return
    }
    this.revoker.revoke([...this.slots.values()], () => this.joiner.join())
  }

  /** A group step failed without an answer: the policy's `find-coordinator`, `retry` or `fatal`. */
  private onStepError(error: unknown, retry: () => void): void {
    const e = asRxKafkaError(error)
    this.mend(groupFailureAction('step', e), e, retry)
  }

  /**
   * Does what the error policy (group-error-policy.ts) says, with `retry` as
   * the step to repeat. The only place that forgets the member id, loses the
   * partitions or looks for the coordinator because of an error.
   */
  private mend(action: GroupAction, error: RxKafkaError, retry: () => void): void {
    switch (action) {
      case 'continue':
      case 'ignore':
        return
      case 'rebalance':
        if (this.state === 'stable') this.rejoin()
        return
      case 'rejoin':
      case 'rejoin-with-id':
        this.joiner.join()
        return
      case 'reset-member':
      case 'lose-and-rejoin':
        if (action === 'reset-member') this.memberId = ''
        this.heartbeat.stop()
        this.revoker.loseAll()
        this.joiner.join()
        return
      case 'backoff':
        this.afterBackoff(retry)
        return
      case 'lose-and-retry':
      case 'lose-and-find-coordinator':
        this.revoker.loseAll()
        this.mend(action === 'lose-and-retry' ? 'retry' : 'find-coordinator', error, retry)
        return
      case 'retry':
        this.channels.error(asRetried(error))
        this.afterBackoff(retry)
        return
      case 'find-coordinator':
        this.coordinatorFinder.forget()
        this.channels.error(error)
        this.afterBackoff(() => this.coordinatorFinder.find())
        return
      case 'look-up-coordinator':
        this.coordinatorFinder.lookUpAgain()
        return
      case 'fatal':
        this.fatal(error)
        return
    }
  }

  /** What finding the coordinator (classic-coordinator.ts) may read and ask of this member. */
  private coordinatedMember(): CoordinatedMember {
    return {
      lifetime: this.lifetime,
      finding: () => {
        this.state = 'finding-coordinator'
      },
      found: (nodeId) => {
        this.coordinator = nodeId
      },
      runStep: (work, next, error) => this.runStep(work, next, error),
      join: () => this.joiner.join(),
      stepFailed: (error, retry) => this.onStepError(error, retry),
      report: (error) => this.channels.error(error),
    }
  }

  /** What the join step (classic-join.ts) may read and ask of this member. */
  private joiningMember(): JoiningMember {
    return {
      observed: this,
      state: () => this.state,
      coordinator: () => this.coordinator,
      identity: () => ({ memberId: this.memberId, generationId: this.generationId }),
      owned: () => groupSlots(this.slots.values()),
      joining: () => {
        this.state = 'joining'
        this.heartbeat.stop()
      },
      syncing: () => {
        this.state = 'syncing'
      },
      setMemberId: (memberId) => {
        this.memberId = memberId
      },
      generation: (memberId, generationId, isLeader) => {
        this.backoffAttempt = 0
        this.memberId = memberId
        this.generationId = generationId
        this.isLeader = isLeader
      },
      agreed: (protocol) => {
        this.protocol = protocol
      },
      runStep: (work, next, error) => this.runStep(work, next, error),
      findCoordinator: () => this.coordinatorFinder.find(),
      stepFailed: (error, retry) => this.onStepError(error, retry),
      mend: (action, error, retry) => this.mend(action, error, retry),
      fatal: (error) => this.fatal(error),
      assigned: (protocol, assigned) => this.assignment.assigned(protocol.name, assigned),
    }
  }

  /** What the assignment step (classic-assignment.ts) may read and ask of this member. */
  private assignedMember(): AssignedMember {
    return {
      observed: this,
      slots: this.slots,
      lastCommitted: this.lastCommitted,
      state: () => this.state,
      coordinator: () => this.coordinator,
      identity: () => ({ memberId: this.memberId, generationId: this.generationId, isLeader: this.isLeader }),
      stable: () => {
        this.rebalances++
        this.state = 'stable'
      },
      running: () => {
        this.subscription.assigned()
        this.heartbeat.alive()
        this.heartbeat.start()
        this.commitTimer.start()
      },
      revoke: (slots, then) => this.revoker.revoke(slots, then),
      join: () => this.joiner.join(),
      runStep: (work, next, error) => this.runStep(work, next, error),
      stepFailed: (error, retry) => this.onStepError(error, retry),
      fatal: (error) => this.fatal(error),
    }
  }

  /** What giving partitions up (classic-revoke.ts) may read and ask of this member. */
  private revokingMember(): RevokingMember {
    return {
      slots: this.slots,
      lastCommitted: this.lastCommitted,
      fetcher: this.fetcher,
      scheduler: this.client.scheduler,
      rebalanceTimeoutMs: this.group.rebalanceTimeoutMs,
      setState: (state) => {
        this.state = state
      },
      lostGeneration: () => {
        this.generationId = -1
      },
      commit: (slots) => this.commitSlots(slots),
      publishHandOver: (slots) => this.publishHandOver(slots),
      report: (error) => this.channels.error(error),
      runStep: (work, next, error) => this.runStep(work, next, error),
      fatal: (error) => this.fatal(error),
    }
  }

  /** What the graceful stop (member-stop.ts) may read and ask of this member. */
  private stoppingMember(): StoppingMember {
    return {
      client: this.client,
      groupId: this.group.groupId,
      retryBackoffMs: this.fetch.retryBackoffMs,
      output: this.output,
      stopped: () => this.state === 'stopped',
      begin: () => {
        const inGroup = this.generationId >= 0 && this.coordinator !== undefined
        // No rebalance step goes on: a JoinGroup in progress is abandoned (the LeaveGroup ends it for the coordinator).
        this.step.unsubscribe()
        this.state = 'leaving'
        return { slots: [...this.slots.values()], inGroup }
      },
      commit: (slots) => this.commitSlots(slots),
      coordinatorFound: (nodeId) => {
        this.coordinator = nodeId
      },
      publishHandOver: (slots) => this.publishHandOver(slots),
      leave: () => this.leave(),
      shutdown: () => this.shutdown(),
      report: (error) => this.channels.error(error),
    }
  }

  // ---- heartbeats ------------------------------------------------------

  /** What the heartbeat loop (group-heartbeat.ts) may read and ask of this member. */
  private heartbeatMember(): HeartbeatMember {
    return {
      state: () => this.state,
      coordinator: () => this.coordinator,
      identity: () => ({ memberId: this.memberId, generationId: this.generationId }),
      rejoinDue: () => this.subscription.rejoinDue(),
      rejoin: () => this.rejoin(),
      sessionLost: () => {
        this.revoker.loseAll()
        // A static member keeps its id: the coordinator knows it by its instance id.
        this.memberId = this.group.groupInstanceId === null ? '' : this.memberId
        this.joiner.join()
      },
      mend: (action, error) => this.mend(action, error, () => {}),
      report: (error) => this.channels.error(error),
    }
  }

  // ---- commits ---------------------------------------------------------

  private onCommitError(error: unknown): void {
    const e = asRxKafkaError(error)
    this.channels.error(e)
    const action = groupFailureAction('OffsetCommit', e)
    // Commits have their own connection, so one may be answered while this member already rejoins (a
    // cooperative member's follow-up join): the join in progress settles the membership, not this answer.
    if ((action === 'reset-member' || action === 'lose-and-rejoin') && this.state !== 'stable') return
    this.mend(action, e, () => {})
  }

  /** Commits the commit points of the slots that moved since their last commit (slot-commits.ts); emits once when done. */
  private commitSlots(slots: readonly PartitionSlot[]): Observable<void> {
    return commitSlots(slots, {
      client: this.client,
      coordinator: this.generationId < 0 ? undefined : this.coordinator,
      identity: { groupId: this.group.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.group.groupInstanceId },
      lastCommitted: this.lastCommitted,
      connectionKey: this.commitConnectionKey,
    })
  }

  /** LeaveGroup as the member is now, or undefined without a member id or coordinator, or for a static member (KIP-345: it comes back). */
  private leave(): Observable<void> | undefined {
    const coordinator = this.coordinator
    if (coordinator === undefined || this.memberId === '' || this.group.groupInstanceId !== null) return undefined
    return leaveGroup(this.client, coordinator, { groupId: this.group.groupId, groupInstanceId: this.group.groupInstanceId, memberId: this.memberId, generationId: this.generationId })
  }

  // ---- the end -----------------------------------------------------------

  private fatal(error: unknown): void {
    if (this.state === 'stopped') return
    const leave = this.leave()
    this.shutdown()
    this.stopper.unregister()
    leave?.pipe(catchError(() => of(undefined))).subscribe()
    this.output.error(asRxKafkaError(error))
  }

  private shutdown(): void {
    this.state = 'stopped'
    this.step.unsubscribe()
    this.heartbeat.stop()
    this.commitTimer.stop()
    this.lifetime.unsubscribe()
    this.subscription.stop()
    this.fetcher.stop()
    this.sidechannel?.stop()
    for (const s of this.slots.values()) s.close()
    this.slots.clear()
  }

  /** With a side channel: publish the commit points of partitions being handed over (never fails the caller). */
  private publishHandOver(slots: readonly PartitionSlot[]): Observable<void> {
    return publishHandOver(this.sidechannel, this.memberId, this.generationId, slots, (e) => this.channels.error(e))
  }
}
