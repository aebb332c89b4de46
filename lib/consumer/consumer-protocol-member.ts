/**
 * One member of a consumer group under the consumer group protocol of
 * KIP-848 (`groupProtocol: 'consumer'`), for one subscription of
 * `consumeGroup`. The broker assigns: the member sends ConsumerGroupHeartbeat
 * with its subscription and the partitions it owns, and each answer may carry
 * its new target assignment. The member reconciles towards it one step at a
 * time: partitions taken away finish their in-flight messages, are committed
 * (with the member epoch) and dropped; new ones start; the next heartbeat
 * reports what it owns now. Members that keep their partitions never stop.
 *
 * Fencing (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID) loses every partition
 * without a commit (someone else may own them already) and rejoins at epoch 0.
 */
import { randomBytes } from 'node:crypto'
import { Observable, Subscription, catchError, of, switchMap, take, timer, type Subscriber } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { ConsumerGroupHeartbeatApi, type ConsumerGroupHeartbeatResponse } from '../protocol/messages/ConsumerGroupHeartbeat.js'
import { heartbeatRequest, JOIN_EPOCH, leaveRequest, notEnabled, type HeartbeatMember } from './consumer-heartbeat.js'
import type { ResolvedFetchOptions, ResolvedGroupOptions } from './consumer-options.js'
import { startPositions, type StartPositionSteps } from './consumer-protocol-starts.js'
import { EpochHeartbeatRetry } from './epoch-heartbeat-retry.js'
import { asRxKafkaError, Fetcher } from './fetcher.js'
import type { MemberChannels } from './group-events.js'
import { memberDiagnostics, type GroupMemberDiagnostics } from './member-diagnostics.js'
import { CommitTimer } from './member-commits.js'
import { MemberStop, type StoppingMember } from './member-stop.js'
import type { MemberState } from './member-state.js'
import { offsetChoice$, type OffsetLookup } from './offset-spec.js'
import type { CommitIdentity } from './offset-requests.js'
import { commitSlots, publishHandOver, revokeSlots } from './slot-commits.js'
import { groupSlots, resolveEnd, type PartitionStartContext } from './partition-starts.js'
import { PartitionSlot, type PartitionStream } from './partition-stream.js'
import { SidechannelOffsets } from './sidechannel.js'
import { learnTopicNames, resolveTarget, type AssignedTopics, type TargetChange, type TargetPartition } from './target-assignment.js'
import { TargetReconciler } from './target-reconciler.js'

/** Numbers members for their connection keys. */
let memberInstances = 0

export class ConsumerProtocolMember {
  state: MemberState = 'starting'
  /** Chosen by the member (ConsumerGroupHeartbeat v1) and kept for the life of the member, across fencing. */
  readonly memberId: string
  /** The graceful stop (member-stop.ts), shared with the classic member. */
  private readonly stopper: MemberStop
  memberEpoch = JOIN_EPOCH
  coordinator: number | undefined
  private heartbeatIntervalMs: number
  private rebalances = 0
  private readonly slots = new Map<string, PartitionSlot>()
  private readonly lastCommitted = new Map<string, bigint>()
  private readonly fetcher: Fetcher
  private readonly lifetime = new Subscription()
  /**
   * The next heartbeat (a timer, or a coordinator look-up before it) and the
   * one in flight: kept apart, because an answer that arrives inside
   * `subscribe` schedules the next timer before `subscribe` returns.
   */
  private heartbeatTimer = new Subscription()
  private heartbeatCall = new Subscription()
  private heartbeatInFlight = false
  private heartbeatWanted = false
  private lastHeartbeatOk = 0
  private readonly reconciler: TargetReconciler
  private readonly commitTimer: CommitTimer
  /** What the member does about a heartbeat's error (the error policy and the backoff). */
  private readonly heartbeatErrors: EpochHeartbeatRetry
  private readonly topicNames = new Map<string, string>()
  private readonly sidechannel: SidechannelOffsets | undefined
  private readonly connectionKey: string
  private readonly starts: PartitionStartContext
  /** This member as its heartbeats describe it (read at each request). */
  private readonly heartbeatMember: HeartbeatMember
  private readonly startSteps: StartPositionSteps

  constructor(
    private readonly client: ClusterClient,
    private readonly group: ResolvedGroupOptions,
    private readonly fetch: ResolvedFetchOptions,
    private readonly output: Subscriber<PartitionStream>,
    private readonly channels: MemberChannels,
  ) {
    this.connectionKey = `member ${++memberInstances} of ${group.groupId}`
    this.memberId = randomBytes(16).toString('base64url')
    this.heartbeatIntervalMs = group.heartbeatIntervalMs
    this.fetcher = new Fetcher(client, fetch, {
      nonFatal: (error) => this.channels.error(error),
      seek: (slot, choice) => {
        this.lifetime.add(
          offsetChoice$('offsetOutOfRange', () => choice).subscribe({
            next: (spec) => {
              if (typeof spec === 'bigint') slot.seek(spec)
              else this.lifetime.add(this.resolveSeek(slot, spec))
            },
            error: (error: unknown) => this.fatal(error),
          }),
        )
      },
    }, this.connectionKey)
    this.sidechannel = group.sidechannel === null ? undefined : new SidechannelOffsets(client, group.sidechannel, group.groupId)
    this.starts = {
      client, group, fetch, fetcher: this.fetcher, sidechannel: this.sidechannel, connectionKey: this.connectionKey,
      nonFatal: (error) => this.channels.error(asRxKafkaError(error)),
    }
    this.heartbeatMember = { group, memberId: this.memberId, rackId: fetch.rackId, epoch: () => this.memberEpoch, owned: () => this.ownedByTopicId() }
    this.heartbeatErrors = new EpochHeartbeatRetry(client, 'ConsumerGroupHeartbeat', group.groupId, fetch.retryBackoffMs, {
      stopped: () => this.state === 'stopped',
      coordinator: () => this.coordinator,
      report: (error) => this.channels.error(error),
      fatal: (error) => this.fatal(error),
      notEnabled,
      rejoin: () => this.rejoin(),
      sessionExpired: () => this.memberEpoch > 0 && this.client.scheduler.now() - this.lastHeartbeatOk > this.group.sessionTimeoutMs,
      replaceNextHeartbeat: (next) => {
        this.heartbeatTimer.unsubscribe()
        this.heartbeatTimer = next()
      },
      findCoordinator: () => this.findCoordinator(),
      heartbeat: () => this.sendHeartbeat(),
    })
    this.startSteps = {
      starts: this.starts, scheduler: client.scheduler, retryBackoffMs: fetch.retryBackoffMs, lifetime: this.lifetime, lastCommitted: this.lastCommitted,
      coordinator: () => this.coordinator,
      reportError: (error) => this.channels.error(error),
      fatal: (error) => this.fatal(error),
    }
    this.reconciler = new TargetReconciler({
      held: this.slots,
      begin: (target, change) => this.reportAssignment(target, change),
      revoke: (slots) => this.revoke(slots),
      finish: (added) => {
        if (this.state === 'revoking') this.state = 'stable'
        this.addSlots(added)
        // Report the new ownership now rather than at the next interval: the coordinator is waiting for it.
        this.sendHeartbeat()
      },
    })
    this.commitTimer = new CommitTimer(client.scheduler, group.commitIntervalMs, {
      // Only with an epoch the coordinator gave, and only partitions not being revoked (their revoke commits them).
      due: () => this.memberEpoch > 0,
      commit: () => this.commitSlots([...this.slots.values()].filter((s) => s.state === 'assigned')),
      // STALE_MEMBER_EPOCH, UNKNOWN_MEMBER_ID: the heartbeat learns the new epoch or rejoins; the next commit uses it.
      failed: (error) => this.channels.error(asRxKafkaError(error)),
    })
    this.stopper = new MemberStop(this.stoppingMember())
  }

  start(): void {
    this.stopper.register()
    if (!this.group.noMessages) this.fetcher.start()
    this.sidechannel?.start((error) => this.channels.error(asRxKafkaError(error)))
    const ready = this.group.topics.length > 0 ? this.client.ensureTopics(this.group.topics) : this.client.refreshMetadata([])
    this.lifetime.add(
      ready.pipe(take(1)).subscribe({
        next: (view) => {
          for (const t of view.topics.values()) this.topicNames.set(t.topicId, t.name)
          this.findCoordinator()
        },
        error: (error: unknown) => this.fatal(error),
      }),
    )
  }

  /** Commits what is done in every held partition now. */
  commit(): Observable<void> {
    return this.commitSlots([...this.slots.values()])
  }

  /**
   * The graceful stop of member-stop.ts, as the classic member's; the commit
   * carries the member epoch and the leave is the leave heartbeat (epoch -1,
   * or -2 for a static member, which says it will be back).
   */
  stop(drainMs = 0): Promise<void> {
    return this.stopper.stop(drainMs)
  }

  /** Group id, member epoch (as the generation), member id and instance id now: for TxnOffsetCommit. */
  membership(): CommitIdentity {
    return { groupId: this.group.groupId, generationId: this.memberEpoch, memberId: this.memberId, groupInstanceId: this.group.groupInstanceId }
  }

  diagnostics(): GroupMemberDiagnostics {
    return memberDiagnostics({
      groupId: this.group.groupId,
      state: this.state,
      memberId: this.memberId,
      generationId: this.memberEpoch,
      coordinator: this.coordinator,
      protocol: this.group.serverAssignor,
      rebalances: this.rebalances,
      fetcher: this.fetcher,
      slots: this.slots,
      lastCommitted: this.lastCommitted,
    })
  }

  // ---- coordinator and heartbeats ------------------------------------------

  private findCoordinator(): void {
    if (this.state === 'stopped') return
    this.state = this.memberEpoch > 0 ? this.state : 'finding-coordinator'
    this.heartbeatTimer.unsubscribe()
    const lookup = new Subscription()
    this.heartbeatTimer = lookup
    lookup.add(this.client.findCoordinator('group', this.group.groupId).subscribe({
      next: (nodeId) => {
        this.coordinator = nodeId
        if (this.state === 'finding-coordinator') this.state = 'joining'
        this.sendHeartbeat()
      },
      error: (error: unknown) => this.heartbeatErrors.failed(error),
    }))
  }

  /** Sends a heartbeat now (or right after the one in flight). */
  private sendHeartbeat(): void {
    if (this.state === 'stopped') return
    if (this.heartbeatInFlight) {
      this.heartbeatWanted = true
      return
    }
    const coordinator = this.coordinator
    if (coordinator === undefined) return
    this.heartbeatTimer.unsubscribe()
    this.heartbeatInFlight = true
    this.heartbeatWanted = false
    const request = new Subscription()
    this.heartbeatCall = request
    request.add(this.client
      .request(coordinator, ConsumerGroupHeartbeatApi, (version) => heartbeatRequest(version, this.heartbeatMember), {
        timeoutMs: Math.max(this.heartbeatIntervalMs, 5_000),
        connectionKey: this.connectionKey,
      })
      .subscribe({
        next: (response) => {
          this.heartbeatInFlight = false
          this.onHeartbeat(coordinator, response)
        },
        error: (error: unknown) => {
          this.heartbeatInFlight = false
          this.heartbeatErrors.failed(error)
        },
      }))
  }

  private ownedByTopicId(): { topicId: string; partitions: number[] }[] {
    const view = this.client.currentView()
    return groupSlots(this.slots.values()).map((t) => ({ topicId: view.topics.get(t.topic)?.topicId ?? this.idOf(t.topic), partitions: t.partitions }))
  }

  private idOf(topic: string): string {
    for (const [id, name] of this.topicNames) if (name === topic) return id
    return 'AAAAAAAAAAAAAAAAAAAAAA'
  }

  private scheduleHeartbeat(): void {
    // A heartbeat sent meanwhile (the report after a reconciliation) schedules the next one when it is answered.
    if (this.state === 'stopped' || this.heartbeatInFlight) return
    if (this.heartbeatWanted) {
      this.sendHeartbeat()
      return
    }
    this.heartbeatTimer.unsubscribe()
    this.heartbeatTimer = timer(this.heartbeatIntervalMs, this.client.scheduler).subscribe(() => this.sendHeartbeat())
  }

  private onHeartbeat(coordinator: number, response: ConsumerGroupHeartbeatResponse): void {
    if (this.state === 'stopped') return
    const code = response.errorCode
    if (code === 0) {
      this.heartbeatErrors.succeeded()
      this.lastHeartbeatOk = this.client.scheduler.now()
      this.memberEpoch = response.memberEpoch
      if (response.heartbeatIntervalMs > 0) this.heartbeatIntervalMs = response.heartbeatIntervalMs
      if (this.state === 'joining' || this.state === 'finding-coordinator') this.state = 'stable'
      this.commitTimer.start()
      if (response.assignment !== null) this.onTarget(response.assignment.topicPartitions)
      this.scheduleHeartbeat()
      return
    }
    this.heartbeatErrors.answered(coordinator, code, response.errorMessage)
  }

  /** Fenced or forgotten: the partitions may be someone else's already, so they are dropped without a commit. */
  private rejoin(): void {
    this.reconciler.cancel()
    for (const s of [...this.slots.values()]) this.dropSlot(s)
    // A member on its way out joins nothing: its stop still leaves, and its final commit (of partitions it no longer owns) fails.
    if (this.stopper.begun) return
    this.memberEpoch = JOIN_EPOCH
    this.state = 'joining'
    this.sendHeartbeat()
  }

  // ---- reconciliation ------------------------------------------------------

  private onTarget(assignment: AssignedTopics): void {
    // A leaving member takes nothing new: it is giving up what it holds.
    if (this.stopper.begun) return
    const unknown = assignment.filter((t) => !this.topicNames.has(t.topicId))
    if (unknown.length === 0) {
      this.reconciler.reconcile(resolveTarget(this.topicNames, assignment))
      return
    }
    const epoch = this.memberEpoch
    this.lifetime.add(
      learnTopicNames(this.client, this.topicNames, assignment).subscribe({
        next: () => {
          if (this.memberEpoch === epoch) this.reconciler.reconcile(resolveTarget(this.topicNames, assignment))
        },
        error: (error: unknown) => {
          this.channels.error(asRxKafkaError(error))
          // The next heartbeat reports what we still own; the coordinator sends the assignment again on a new epoch or after a rejoin.
          this.rejoin()
        },
      }),
    )
  }

  private reportAssignment(target: readonly TargetPartition[], { revoked, added }: TargetChange): void {
    this.rebalances++
    this.channels.assignment({
      groupId: this.group.groupId,
      generationId: this.memberEpoch,
      memberId: this.memberId,
      protocol: this.group.serverAssignor ?? 'uniform',
      isLeader: false,
      assigned: groupSlots(target),
      added: groupSlots(added),
      revoked: groupSlots(revoked),
    })
  }

  /** Stops fetching the slots, waits for their in-flight messages (bounded), commits, hands over, drops them. */
  private revoke(slots: PartitionSlot[]): Observable<void> {
    this.state = 'revoking'
    return revokeSlots(slots, {
      scheduler: this.client.scheduler,
      rebalanceTimeoutMs: this.group.rebalanceTimeoutMs,
      commit: (revoked) => this.commitSlots(revoked),
      publishHandOver: (revoked) => this.publishHandOver(revoked),
      drop: (slot) => this.dropSlot(slot),
      reportError: (error) => this.channels.error(error),
    })
  }

  private addSlots(added: TargetPartition[]): void {
    if (added.length === 0 || this.coordinator === undefined) return
    const epoch = this.memberEpoch
    const slots = added.map(({ topic, partition }) => {
      const slot = new PartitionSlot(topic, partition, epoch, this.fetcher, this.group.inOrderDone, this.fetch.maxUndoneMessages, this.fetch.maxUndoneBytes)
      this.slots.set(slot.key, slot)
      if (!this.group.noMessages) this.fetcher.add(slot)
      return slot
    })
    for (const slot of slots) {
      if (this.output.closed) return
      this.output.next(slot.stream)
    }
    this.startPositions(slots, epoch)
  }

  private startPositions(slots: PartitionSlot[], epoch: number): void {
    startPositions(this.startSteps, slots, (slot, offset, c) => {
      if (slot.state === 'closed') return
      slot.start(offset)
      this.channels.partitionStart({ topic: slot.topic, partition: slot.partition, offset, committed: c, generationId: epoch })
    })
  }

  private resolveSeek(slot: PartitionSlot, which: OffsetLookup): Subscription {
    return resolveEnd(this.starts, slot, which, (offset) => slot.seek(offset))
  }

  private dropSlot(slot: PartitionSlot): void {
    slot.close()
    this.fetcher.remove(slot)
    this.slots.delete(slot.key)
    this.lastCommitted.delete(slot.key)
  }

  // ---- commits -------------------------------------------------------------

  /** Commits, with the member epoch, the commit points of the slots that moved since their last commit; emits once when done. */
  private commitSlots(slots: readonly PartitionSlot[]): Observable<void> {
    return commitSlots(slots, {
      client: this.client,
      coordinator: this.memberEpoch > 0 ? this.coordinator : undefined,
      identity: { groupId: this.group.groupId, generationId: this.memberEpoch, memberId: this.memberId, groupInstanceId: this.group.groupInstanceId },
      lastCommitted: this.lastCommitted,
      connectionKey: this.connectionKey,
    })
  }

  /** With a side channel: publish the commit points of partitions being handed over (never fails the caller). */
  private publishHandOver(slots: readonly PartitionSlot[]): Observable<void> {
    return publishHandOver(this.sidechannel, this.memberId, this.memberEpoch, slots, (e) => this.channels.error(e))
  }

  // ---- the end -------------------------------------------------------------

  /** What the graceful stop (member-stop.ts) may read and ask of this member. */
  private stoppingMember(): StoppingMember {
    return {
      client: this.client,
      groupId: this.group.groupId,
      retryBackoffMs: this.fetch.retryBackoffMs,
      output: this.output,
      stopped: () => this.state === 'stopped',
      begin: () => {
        const inGroup = this.coordinator !== undefined && this.memberEpoch > 0
        // The reconciliation in progress ends: its partitions are committed and handed over with the rest.
        this.reconciler.cancel()
        this.state = 'leaving'
        return { slots: [...this.slots.values()], inGroup }
      },
      commit: (slots) => this.commitSlots(slots),
      coordinatorFound: (nodeId) => {
        this.coordinator = nodeId
      },
      publishHandOver: (slots) => this.publishHandOver(slots),
      // Also before the first epoch: a join heartbeat may have reached the coordinator.
      leave: () => (this.coordinator === undefined ? undefined : this.leave(this.coordinator)),
      shutdown: () => this.shutdown(),
      report: (error) => this.channels.error(error),
    }
  }

  /** The leave heartbeat (see {@link leaveRequest}). */
  private leave(coordinator: number): Observable<void> {
    return this.client
      .request(coordinator, ConsumerGroupHeartbeatApi, (version) => leaveRequest(version, this.group, this.memberId), { timeoutMs: 5_000 })
      .pipe(switchMap(() => of(undefined)))
  }

  private fatal(error: unknown): void {
    if (this.state === 'stopped') return
    const coordinator = this.coordinator
    const joined = this.memberEpoch > 0
    this.shutdown()
    this.stopper.unregister()
    if (coordinator !== undefined && joined) this.leave(coordinator).pipe(catchError(() => of(undefined))).subscribe()
    this.output.error(asRxKafkaError(error))
  }

  private shutdown(): void {
    this.state = 'stopped'
    this.heartbeatTimer.unsubscribe()
    this.heartbeatCall.unsubscribe()
    this.reconciler.cancel()
    this.commitTimer.stop()
    this.lifetime.unsubscribe()
    this.fetcher.stop()
    this.sidechannel?.stop()
    for (const s of this.slots.values()) s.close()
    this.slots.clear()
  }
}
