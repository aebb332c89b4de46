/**
 * The classic group member's heartbeat loop: a Heartbeat every
 * `heartbeatIntervalMs` on its own timer while the member holds a generation,
 * at most one in flight, on the 'default' connection (never queued behind a
 * JoinGroup/SyncGroup on 'group' or a long fetch on 'fetch'). An answer's code
 * goes through the error policy (group-error-policy.ts) and back to the member
 * as an action; so does a request that fails. When no heartbeat succeeded for
 * longer than the session timeout the coordinator has surely dropped the
 * member, and the loop says so instead of beating on.
 */
import { Subscription, timer } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { KafkaBrokerError, brokerError, type RxKafkaError } from '../errors/index.js'
import { ErrorCode, errorCodeInfo } from '../protocol/error-codes.js'
import { HeartbeatApi } from '../protocol/messages/Heartbeat.js'
import type { ResolvedGroupOptions } from './consumer-options.js'
import { asRxKafkaError } from './fetcher.js'
import { groupFailureAction, groupResponseAction, type GroupAction } from './group-error-policy.js'
import type { MemberState } from './member-state.js'

/** What the heartbeat loop reads of its member and tells it. */
export interface HeartbeatMember {
  state(): MemberState
  coordinator(): number | undefined
  /** The member id and generation a heartbeat is sent as. */
  identity(): { memberId: string; generationId: number }
  /** Checked before each beat of a stable member: a rejoin is due (the subscription changed). */
  rejoinDue(): boolean
  /** Starts a rebalance the member's way. */
  rejoin(): void
  /** No heartbeat succeeded for longer than the session timeout (the error is reported already). */
  sessionLost(): void
  /** Does what the error policy says about a heartbeat's error. */
  mend(action: GroupAction, error: RxKafkaError): void
  report(error: RxKafkaError): void
}

/**
 * A member's heartbeats; `start` when it has a generation, `stop` when it
 * rejoins or stops.
 *
 * @example
 * ```ts
 * const heartbeat = new GroupHeartbeat(client, group, member, lifetime)
 * heartbeat.alive() // the assignment just came
 * heartbeat.start()
 * ```
 */
export class GroupHeartbeat {
  private timer: Subscription | undefined
  private inFlight = false
  private lastOk = 0

  constructor(
    private readonly client: ClusterClient,
    private readonly group: ResolvedGroupOptions,
    private readonly member: HeartbeatMember,
    /** The member's lifetime: a heartbeat in flight ends with it. */
    private readonly lifetime: Subscription,
  ) {}

  /** The session counts as alive from now (a new assignment). */
  alive(): void {
    this.lastOk = this.client.scheduler.now()
  }

  start(): void {
    if (this.timer !== undefined) return
    this.timer = timer(this.group.heartbeatIntervalMs, this.group.heartbeatIntervalMs, this.client.scheduler).subscribe(() => this.beat())
  }

  /** Stops the timer; an answer still in flight is then ignored. */
  stop(): void {
    this.timer?.unsubscribe()
    this.timer = undefined
  }

  private beat(): void {
    const member = this.member
    const state = member.state()
    // Heartbeats go on while a leaving member drains, so its session (and its right to commit) lasts.
    if (state !== 'stable' && state !== 'revoking' && state !== 'leaving') return
    if (this.client.scheduler.now() - this.lastOk > this.group.sessionTimeoutMs) {
      // The coordinator has surely dropped us: stop delivering partitions someone else may own now.
      member.report(
        new KafkaBrokerError(
          { ...errorCodeInfo(ErrorCode.UNKNOWN_MEMBER_ID), message: `no successful heartbeat for more than sessionTimeoutMs (${this.group.sessionTimeoutMs} ms)` },
          { api: 'Heartbeat', broker: member.coordinator() },
        ),
      )
      member.sessionLost()
      return
    }
    const coordinator = member.coordinator()
    if (this.inFlight || coordinator === undefined) return
    if (state === 'stable' && member.rejoinDue()) {
      // A subscribed topic grew (or was re-created), or a pattern matches other topics now: only a new assignment gives
      // the new partitions to someone.
      member.rejoin()
      return
    }
    this.inFlight = true
    this.lifetime.add(
      this.client
        .request(
          coordinator,
          HeartbeatApi,
          (version) => ({
            groupId: this.group.groupId,
            ...member.identity(),
            ...(version >= 3 ? { groupInstanceId: this.group.groupInstanceId } : {}),
          }),
          { timeoutMs: Math.max(this.group.heartbeatIntervalMs, 5_000) },
        )
        .subscribe({
          next: (response) => {
            this.inFlight = false
            this.onAnswer(coordinator, response.errorCode)
          },
          error: (error: unknown) => {
            this.inFlight = false
            const e = asRxKafkaError(error)
            member.report(e)
            member.mend(groupFailureAction('Heartbeat', e), e)
          },
        }),
    )
  }

  private onAnswer(coordinator: number, code: number): void {
    if (this.member.state() === 'stopped' || this.timer === undefined) return
    const action = groupResponseAction('Heartbeat', code)
    // An answer, even "rebalancing", proves the session alive.
    if (action === 'continue' || action === 'rebalance') this.alive()
    if (action === 'continue') return
    const e = brokerError(code, { api: 'Heartbeat', broker: coordinator })
    // Every heartbeat error is reported, but the start of a rebalance (normal) and a fatal one (the stream's error).
    if (action !== 'rebalance' && action !== 'fatal') this.member.report(e)
    this.member.mend(action, e)
  }
}
