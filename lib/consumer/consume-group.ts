/**
 * A consumer group as an Observable of partition substreams (made by
 * `consumeGroup` in lib/consume-group.ts). Each subscription is one group
 * member; unsubscribing commits what is done and leaves the group.
 */
import { Observable, Subject } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { partKind, type PartKind } from '../kit/diagnostics-registry.js'
import type { RxKafkaError } from '../errors/index.js'
import { DEFAULT_ASSIGNORS } from './assignors.js'
import { resolveFetchOptions, resolveGroupOptions, type ConsumeGroupOptions } from './consumer-options.js'
import { GroupMember } from './group-member.js'
import type { GroupAssignmentEvent, PartitionStartEvent } from './group-events.js'
import type { GroupMemberDiagnostics } from './member-diagnostics.js'
import type { CommitIdentity } from './offset-requests.js'
import type { PartitionStream } from './partition-stream.js'
import type { SidechannelWriter } from './sidechannel.js'
import { ConsumerProtocolMember } from './consumer-protocol-member.js'

/** What ConsumerGroup needs of a member, whichever protocol it speaks. */
interface GroupSession {
  start(): void
  /** Commits what is done and leaves (member-stop.ts); `drainMs` > 0 first waits that long for delivered messages to be done. Resolves when the coordinator has both; rejects with a failed final commit's error. */
  stop(drainMs?: number): Promise<void>
  commit(): Observable<void>
  diagnostics(): GroupMemberDiagnostics
  /** Group id, generation (member epoch for KIP-848), member id and instance id now. */
  membership(): CommitIdentity
}

/**
 * The Observable `consumeGroup` returns: partition substreams, plus the
 * group's notifications and controls. The notification Observables are hot:
 * they report on every active subscription of this ConsumerGroup (usually
 * one) and never complete.
 */
export class ConsumerGroup extends Observable<PartitionStream> {
  /** The assignment of every generation: what this member holds, got, and gave up. */
  readonly assignments$: Observable<GroupAssignmentEvent>
  /** Where each assigned partition starts reading (after the startingOffset hook). */
  readonly partitionStarts$: Observable<PartitionStartEvent>
  /** Problems the consumer recovers from by itself (retrying, rejoining): for logs and alerts. Fatal errors error the main stream instead. */
  readonly errors$: Observable<RxKafkaError>
  /** How often the group commits done offsets by itself (0: only on revoke, unsubscribe and `commit()`). */
  readonly commitIntervalMs: number
  private readonly members: Set<GroupSession>
  private readonly stopping: Set<Promise<void>>

  /**
   * @internal Made by `consumeGroup` (from `rxkafka`), which passes the writer
   * of the side-channel topic; without one, `sidechannelTopic` is refused.
   */
  constructor(options: ConsumeGroupOptions, sidechannelWriter?: SidechannelWriter) {
    const group = resolveGroupOptions(options, DEFAULT_ASSIGNORS, sidechannelWriter)
    const fetch = resolveFetchOptions(options)
    const assignments = new Subject<GroupAssignmentEvent>()
    const starts = new Subject<PartitionStartEvent>()
    const errors = new Subject<RxKafkaError>()
    const members = new Set<GroupSession>()
    /** Stops begun by unsubscribing, until the coordinator has the commit and the leave. */
    const stopping = new Set<Promise<void>>()
    const channels = {
      assignment: (e: GroupAssignmentEvent) => assignments.next(e),
      partitionStart: (e: PartitionStartEvent) => starts.next(e),
      error: (e: RxKafkaError) => errors.next(e),
    }
    super((subscriber) =>
      options.client
        .use(
          () =>
            new Observable<PartitionStream>((inner) => {
              // Two members behind one interface: the classic protocol, or KIP-848's (its own file, not branches inside the classic one).
              const member: GroupSession =
                group.protocol === 'consumer'
                  ? new ConsumerProtocolMember(options.client, group, fetch, inner, channels)
                  : new GroupMember(options.client, group, fetch, inner, channels)
              members.add(member)
              const unregister = options.client.parts.add(GROUP_MEMBER_PARTS, member)
              member.start()
              return () => {
                members.delete(member)
                unregister()
                // Unsubscribing starts the same shutdown as stop() (without waiting for in-flight messages:
                // nobody is left to finish them); a failed commit is reported on errors$.
                const leaving = member.stop()
                stopping.add(leaving)
                leaving.then(
                  () => stopping.delete(leaving),
                  () => stopping.delete(leaving),
                )
              }
            }),
        )
        .subscribe(subscriber),
    )
    this.members = members
    this.stopping = stopping
    this.commitIntervalMs = group.commitIntervalMs
    this.assignments$ = assignments.asObservable()
    this.partitionStarts$ = starts.asObservable()
    this.errors$ = errors.asObservable()
  }

  /**
   * Commits the done offsets of every partition now (besides the periodic,
   * on-revoke and on-unsubscribe commits). Resolves when the coordinator has
   * them; rejects with the broker's error.
   */
  commit(): Promise<void> {
    return Promise.all(
      [...this.members].map(
        (member) =>
          new Promise<void>((resolve, reject) => {
            member.commit().subscribe({ error: reject, complete: resolve })
          }),
      ),
    ).then(() => undefined)
  }

  /**
   * Leaves the group without losing work, for every active subscription:
   * stops fetching, waits up to `drainTimeoutMs` (default 5 000) for the
   * messages already delivered to be done, commits, completes the substreams
   * and the group's stream, and leaves (LeaveGroup, or the leave heartbeat
   * with `groupProtocol: 'consumer'`). Resolves when the
   * coordinator has the commit and the leave; rejects when the final commit
   * failed (the error is on `errors$` too). After an unsubscribe it waits for
   * the shutdown that started. `kafka.close()` does the same
   * (without the drain) for groups still running.
   *
   * @example
   * ```ts
   * const group = kafka.consumeGroup({ groupId: 'billing', topics: ['orders'] })
   * group.pipe(mergeMap(p => p.pipe(concatMap(handle), map(m => m.done())))).subscribe()
   * process.once('SIGINT', async () => {
   *   await group.stop()
   *   await kafka.close()
   * })
   * ```
   */
  stop(options: { drainTimeoutMs?: number } = {}): Promise<void> {
    const drainMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_MS
    return Promise.all([...[...this.members].map((member) => member.stop(drainMs)), ...this.stopping]).then(() => undefined)
  }

  /**
   * Who each active member is in its group (group id, generation, member id,
   * instance id): for a transactional producer's TxnOffsetCommit. The
   * generation is -1 between generations.
   *
   * @example
   * ```ts
   * const [{ generationId, memberId }] = group.memberships()
   * ```
   */
  memberships(): CommitIdentity[] {
    return [...this.members].map((m) => m.membership())
  }

  /** A snapshot of each active member: state, generation, and per partition position, lag and un-done counts. */
  diagnostics(): GroupMemberDiagnostics[] {
    return [...this.members].map((m) => m.diagnostics())
  }
}

/** How long `stop()` waits for delivered messages to be done, by default: half of the default close timeout. */
const DEFAULT_DRAIN_MS = 5_000

/** The group members among a client's parts. */
export const GROUP_MEMBER_PARTS: PartKind<GroupMemberDiagnostics> = partKind<GroupMemberDiagnostics>('group member')

/**
 * A snapshot of every active consumer-group member using `client`: what
 * `kafka.diagnostics()` shows under consumers (state, generation, and per
 * partition position, lag, un-done messages).
 *
 * @example
 * ```ts
 * for (const member of consumerGroupDiagnostics(client)) {
 *   for (const p of member.partitions) console.log(member.groupId, p.topic, p.partition, 'lag', p.lag)
 * }
 * ```
 */
export function consumerGroupDiagnostics(client: ClusterClient): GroupMemberDiagnostics[] {
  return client.parts.snapshot(GROUP_MEMBER_PARTS)
}
