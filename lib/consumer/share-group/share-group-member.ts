/**
 * One member of a share group (KIP-932), for one subscription of
 * `consumeShareGroup`: ShareGroupHeartbeat keeps it in the group and tells it
 * which partitions to fetch from (several members share each partition); one
 * share session per partition leader acquires records and settles them. The
 * member holds at most `maxUnacknowledged` un-settled records: fetching waits
 * while it holds that many, which is how a slow handler slows its own intake.
 * Unsubscribing releases what it still holds, closes the sessions and leaves.
 */
import { randomBytes } from 'node:crypto'
import { Subscription, catchError, forkJoin, of, switchMap, take, timer, type Subscriber } from 'rxjs'
import type { ClusterClient } from '../../cluster/cluster-client.js'
import { partitionInfo } from '../../cluster/cluster-view.js'
import { UnsupportedVersionError, type RxKafkaError } from '../../errors/index.js'
import { MetadataApi } from '../../protocol/messages/Metadata.js'
import { ShareGroupHeartbeatApi, type ShareGroupHeartbeatResponse } from '../../protocol/messages/ShareGroupHeartbeat.js'
import { EpochHeartbeatRetry } from '../epoch-heartbeat-retry.js'
import { asRxKafkaError } from '../fetcher.js'
import { ShareFetchSession, type SharePartition, type ShareSessionOwner } from './share-fetch-session.js'
import type { ResolvedShareGroupOptions } from './share-group-options.js'
import type { DeliveredShareRecord, ShareAcknowledgement, ShareRecord } from './share-record.js'

let memberInstances = 0

export class ShareGroupMember implements ShareSessionOwner {
  readonly memberId = randomBytes(16).toString('base64url')
  memberEpoch = 0
  private coordinator: number | undefined
  private heartbeatIntervalMs = 3_000
  private heartbeatTimer = new Subscription()
  private heartbeatCall = new Subscription()
  private readonly lifetime = new Subscription()
  private readonly topicNames = new Map<string, string>()
  /** Assigned partitions by `topicId:partition`, and the session (leader) fetching each. */
  private readonly assigned = new Map<string, { partition: SharePartition; session: ShareFetchSession | undefined }>()
  private readonly sessions = new Map<number, ShareFetchSession>()
  private readonly unsettled = new Set<DeliveredShareRecord>()
  /** What the member does about a heartbeat's error (the error policy and the backoff). */
  private readonly heartbeatErrors: EpochHeartbeatRetry
  private stopped = false
  private readonly connectionKey: string

  constructor(
    private readonly client: ClusterClient,
    private readonly options: ResolvedShareGroupOptions,
    private readonly output: Subscriber<ShareRecord>,
    private readonly errors: (error: RxKafkaError) => void,
  ) {
    this.connectionKey = `share member ${++memberInstances} of ${options.groupId}`
    this.heartbeatErrors = new EpochHeartbeatRetry(client, 'ShareGroupHeartbeat', options.groupId, options.retryBackoffMs, {
      stopped: () => this.stopped,
      coordinator: () => this.coordinator,
      report: (error) => this.errors(error),
      fatal: (error) => this.fatal(error),
      notEnabled,
      // Back in at epoch 0 with the same id; held records stay ours to settle until their locks expire.
      rejoin: () => {
        this.memberEpoch = 0
        this.heartbeat()
      },
      sessionExpired: () => false,
      replaceNextHeartbeat: (next) => {
        this.heartbeatTimer.unsubscribe()
        this.heartbeatTimer = next()
      },
      findCoordinator: () => this.findCoordinator(),
      heartbeat: () => this.heartbeat(),
    })
  }

  start(): void {
    this.lifetime.add(
      this.client.ensureTopics(this.options.topics).pipe(take(1)).subscribe({
        next: (view) => {
          for (const t of view.topics.values()) this.topicNames.set(t.topicId, t.name)
          this.findCoordinator()
        },
        error: (error: unknown) => this.fatal(error),
      }),
    )
  }

  /** Unsubscribe: release what is held, close every session with its last settlements, leave the group. */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    // Sessions stop sending, then collect the releases of what the member still holds, then close with them.
    for (const s of this.sessions.values()) s.hold()
    for (const r of [...this.unsettled]) r.release()
    const coordinator = this.coordinator
    const closing = [...this.sessions.values()].map((s) => s.close())
    this.shutdown()
    // Detached on purpose: the caller has gone, but the settlements and the leave must still reach the brokers.
    ;(closing.length === 0 ? of([]) : forkJoin(closing))
      .pipe(
        switchMap(() => (coordinator === undefined || this.memberEpoch <= 0 ? of(undefined) : this.leave(coordinator))),
        catchError(() => of(undefined)),
      )
      .subscribe()
  }

  // ---- ShareSessionOwner ---------------------------------------------------

  room(): number {
    return this.stopped ? 0 : this.options.maxUnacknowledged - this.unsettled.size
  }

  deliver(records: DeliveredShareRecord[]): void {
    for (const r of records) this.unsettled.add(r)
    for (const r of records) {
      if (this.output.closed) {
        // The subscriber went away mid-batch: what it did not see goes back to the group.
        r.release()
        continue
      }
      this.output.next(r)
      // 'on-handled': handling ended when next returned; a record the handler did not settle is accepted,
      // unless handling failed and ended the stream (its teardown released the record instead).
      if (this.options.acknowledge === 'on-handled' && r.acknowledgement === undefined && !this.output.closed) r.accept()
    }
  }

  settle(session: ShareFetchSession, record: DeliveredShareRecord, topicId: string, how: ShareAcknowledgement): void {
    this.unsettled.delete(record)
    session.acknowledge(record, topicId, how)
    // Room again: sessions that waited for it fetch now.
    for (const s of this.sessions.values()) if (s !== session) s.pumpSoon()
  }

  nonFatal(error: RxKafkaError): void {
    this.errors(asRxKafkaError(error))
  }

  leaderMoved(partition: SharePartition): void {
    this.lifetime.add(
      this.client.refreshMetadata([partition.topic]).pipe(catchError(() => of(undefined))).subscribe(() => this.route(`${partition.topicId}:${partition.partition}`)),
    )
  }

  // ---- heartbeats ----------------------------------------------------------

  private findCoordinator(): void {
    if (this.stopped) return
    this.heartbeatTimer.unsubscribe()
    const lookup = new Subscription()
    this.heartbeatTimer = lookup
    lookup.add(this.client.findCoordinator('group', this.options.groupId).subscribe({
      next: (nodeId) => {
        this.coordinator = nodeId
        this.heartbeat()
      },
      error: (error: unknown) => this.heartbeatErrors.failed(error),
    }))
  }

  private heartbeat(): void {
    const coordinator = this.coordinator
    if (this.stopped || coordinator === undefined) return
    this.heartbeatTimer.unsubscribe()
    const call = new Subscription()
    this.heartbeatCall = call
    call.add(this.client
      .request(
        coordinator,
        ShareGroupHeartbeatApi,
        {
          groupId: this.options.groupId,
          memberId: this.memberId,
          memberEpoch: this.memberEpoch,
          rackId: this.options.rackId,
          subscribedTopicNames: [...this.options.topics],
        },
        { timeoutMs: Math.max(this.heartbeatIntervalMs, 5_000), connectionKey: this.connectionKey },
      )
      .subscribe({ next: (response) => this.onHeartbeat(coordinator, response), error: (error: unknown) => this.heartbeatErrors.failed(error) }))
  }

  private onHeartbeat(coordinator: number, response: ShareGroupHeartbeatResponse): void {
    if (this.stopped) return
    const code = response.errorCode
    if (code === 0) {
      this.heartbeatErrors.succeeded()
      this.memberEpoch = response.memberEpoch
      if (response.heartbeatIntervalMs > 0) this.heartbeatIntervalMs = response.heartbeatIntervalMs
      if (response.assignment !== null) this.onAssignment(response.assignment.topicPartitions)
      this.heartbeatTimer = timer(this.heartbeatIntervalMs, this.client.scheduler).subscribe(() => this.heartbeat())
      return
    }
    this.heartbeatErrors.answered(coordinator, code, response.errorMessage)
  }

  // ---- assignment ----------------------------------------------------------

  private onAssignment(assignment: readonly { topicId: string; partitions: readonly number[] }[]): void {
    const target = new Map<string, SharePartition>()
    for (const t of assignment) {
      const topic = this.topicNames.get(t.topicId)
      if (topic === undefined) continue
      for (const partition of t.partitions) target.set(`${t.topicId}:${partition}`, { topic, topicId: t.topicId, partition })
    }
    if (target.size < assignment.reduce((n, t) => n + t.partitions.length, 0)) this.learnTopicIds(assignment)
    for (const [k, a] of [...this.assigned]) {
      if (target.has(k)) continue
      a.session?.remove(a.partition)
      this.assigned.delete(k)
    }
    for (const [k, partition] of target) {
      if (this.assigned.has(k)) continue
      this.assigned.set(k, { partition, session: undefined })
      this.route(k)
    }
  }

  /** Topic ids we have no name for (a topic recreated under a new id): learn them, then take the assignment again. */
  private learnTopicIds(assignment: readonly { topicId: string; partitions: readonly number[] }[]): void {
    this.lifetime.add(
      this.client.request('any', MetadataApi, { topics: this.options.topics.map((name) => ({ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }).subscribe({
        next: (metadata) => {
          for (const t of metadata.topics) if (t.name !== null && t.topicId !== undefined) this.topicNames.set(t.topicId, t.name)
          if (!this.stopped) this.onAssignment(assignment)
        },
        error: (error: unknown) => this.errors(asRxKafkaError(error)),
      }),
    )
  }

  /** Puts an assigned partition in the session of its current leader. */
  private route(k: string): void {
    const a = this.assigned.get(k)
    if (a === undefined || this.stopped) return
    const leader = partitionInfo(this.client.currentView(), a.partition.topic, a.partition.partition)?.leader ?? -1
    if (leader < 0) {
      this.lifetime.add(timer(this.options.retryBackoffMs, this.client.scheduler).subscribe(() => this.leaderMoved(a.partition)))
      return
    }
    if (a.session?.broker === leader) return
    a.session?.remove(a.partition)
    let session = this.sessions.get(leader)
    if (session === undefined) {
      session = new ShareFetchSession(this.client, leader, {
        groupId: this.options.groupId,
        memberId: this.memberId,
        maxWaitMs: this.options.maxWaitMs,
        maxBytes: this.options.maxBytes,
        retryBackoffMs: this.options.retryBackoffMs,
        connectionKey: this.connectionKey,
      }, this)
      this.sessions.set(leader, session)
    }
    a.session = session
    session.add(a.partition)
  }

  // ---- the end -------------------------------------------------------------

  private leave(coordinator: number) {
    return this.client
      .request(coordinator, ShareGroupHeartbeatApi, { groupId: this.options.groupId, memberId: this.memberId, memberEpoch: -1, rackId: null, subscribedTopicNames: null }, { timeoutMs: 5_000 })
      .pipe(switchMap(() => of(undefined)))
  }

  private fatal(error: unknown): void {
    if (this.stopped) return
    const coordinator = this.coordinator
    const joined = this.memberEpoch > 0
    this.stopped = true
    for (const s of this.sessions.values()) s.hold()
    for (const r of [...this.unsettled]) r.release()
    const closing = [...this.sessions.values()].map((s) => s.close())
    this.shutdown()
    ;(closing.length === 0 ? of([]) : forkJoin(closing))
      .pipe(switchMap(() => (coordinator !== undefined && joined ? this.leave(coordinator) : of(undefined))), catchError(() => of(undefined)))
      .subscribe()
    this.output.error(asRxKafkaError(error))
  }

  private shutdown(): void {
    this.stopped = true
    this.heartbeatTimer.unsubscribe()
    this.heartbeatCall.unsubscribe()
    this.lifetime.unsubscribe()
  }
}

/** The broker has no share groups (older than Kafka 4.1, or share.version not enabled). */
function notEnabled(coordinator: number, cause: RxKafkaError): UnsupportedVersionError {
  return new UnsupportedVersionError(`the group coordinator (broker ${coordinator}) does not offer share groups (KIP-932, ShareGroupHeartbeat)`, {
    api: 'ShareGroupHeartbeat',
    broker: coordinator,
    cause,
    hint: 'use Apache Kafka 4.2 or newer (share groups are on by default there), or enable them with kafka-features.sh upgrade --feature share.version=1',
  })
}
