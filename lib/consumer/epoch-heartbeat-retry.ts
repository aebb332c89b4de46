/**
 * The one path by which both epoch-based members (KIP-848's and the share
 * group's) act on a heartbeat's error: the error policy
 * ({@link epochHeartbeatAction} in group-error-policy.ts) decides, this
 * reports, fails, rejoins, or backs off on `client.scheduler` and then looks
 * the coordinator up again or heartbeats again. What a rejoin or a failure
 * does to the member's partitions stays the member's.
 */
import { Subscription, timer } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { UnsupportedVersionError, brokerError, type RxKafkaError } from '../errors/index.js'
import { backoffDelay } from '../kit/backoff.js'
import type { ApiDefinition } from '../protocol/api.js'
import { ConsumerGroupHeartbeatApi } from '../protocol/messages/ConsumerGroupHeartbeat.js'
import { ShareGroupHeartbeatApi } from '../protocol/messages/ShareGroupHeartbeat.js'
import { asRxKafkaError } from './fetcher.js'
import { epochHeartbeatAction, type EpochHeartbeatAction, type EpochHeartbeatApi } from './group-error-policy.js'

/** The request each heartbeat API name stands for, to ask whether a coordinator offers it. */
const DEFINITIONS: Record<EpochHeartbeatApi, ApiDefinition<unknown, unknown>> = {
  ConsumerGroupHeartbeat: ConsumerGroupHeartbeatApi as ApiDefinition<unknown, unknown>,
  ShareGroupHeartbeat: ShareGroupHeartbeatApi as ApiDefinition<unknown, unknown>,
}

/** Never wait longer than this between two tries. */
const MAX_BACKOFF_MS = 10_000

/** What the retry path reads of its member and tells it. */
export interface EpochHeartbeatMember {
  /** Stopped or failed: errors that arrive late change nothing. */
  stopped(): boolean
  /** The coordinator the member knows now, if any. */
  coordinator(): number | undefined
  /** Reports an error on the member's `errors$`. */
  report(error: RxKafkaError): void
  /** Fails the member's stream with `error`. */
  fatal(error: unknown): void
  /** The error that says the coordinator (broker `coordinator`) has no such group protocol. */
  notEnabled(coordinator: number, cause: RxKafkaError): UnsupportedVersionError
  /** Back in at epoch 0 with the same member id, the member's way (`rejoin` or `lose-and-rejoin`). */
  rejoin(): void
  /** A KIP-848 member's session has surely expired (so a retry rejoins instead); a share member has none to lose. */
  sessionExpired(): boolean
  /** Replaces the member's next heartbeat (its timer) with the one `next` schedules. */
  replaceNextHeartbeat(next: () => Subscription): void
  /** Looks the coordinator up, then heartbeats. */
  findCoordinator(): void
  /** Heartbeats again now. */
  heartbeat(): void
}

/**
 * A member's heartbeat errors, with the backoff attempt they count.
 *
 * @example
 * ```ts
 * const errors = new EpochHeartbeatRetry(client, 'ShareGroupHeartbeat', groupId, retryBackoffMs, member)
 * errors.answered(coordinator, response.errorCode, response.errorMessage) // an answer with a non-zero code
 * errors.failed(error) // no answer, or the coordinator look-up failed
 * errors.succeeded() // a heartbeat went through: the next backoff starts short
 * ```
 */
export class EpochHeartbeatRetry {
  private attempt = 0

  constructor(
    private readonly client: ClusterClient,
    private readonly api: EpochHeartbeatApi,
    private readonly groupId: string,
    private readonly retryBackoffMs: number,
    private readonly member: EpochHeartbeatMember,
  ) {}

  /** A heartbeat went through: the next error backs off from the start. */
  succeeded(): void {
    this.attempt = 0
  }

  /** `coordinator` answered the heartbeat with the non-zero error code `code`. */
  answered(coordinator: number, code: number, errorMessage: string | null): void {
    const error = brokerError(code, { api: this.api, broker: coordinator, errorMessage })
    this.act(epochHeartbeatAction(this.api, code), error, coordinator)
  }

  /** The heartbeat, or the coordinator look-up before it, failed without an answer. */
  failed(cause: unknown): void {
    if (this.member.stopped()) return
    const error = asRxKafkaError(cause)
    const coordinator = this.member.coordinator()
    const lacksApi = error instanceof UnsupportedVersionError && coordinator !== undefined && this.client.versionFor(coordinator, DEFINITIONS[this.api]) === undefined
    this.act(epochHeartbeatAction(this.api, error, lacksApi), error, coordinator)
  }

  private act(action: EpochHeartbeatAction, error: RxKafkaError, coordinator: number | undefined): void {
    switch (action) {
      case 'continue':
        return
      case 'rejoin':
      case 'lose-and-rejoin':
        this.member.report(error)
        this.member.rejoin()
        return
      case 'not-enabled':
        // The policy says not-enabled only with a coordinator known (an answer came from it, or it lacks the API).
        this.member.fatal(coordinator === undefined ? error : this.member.notEnabled(coordinator, error))
        return
      case 'fatal':
        this.member.fatal(error)
        return
      case 'retry':
      case 'find-coordinator':
        this.retry(action, error)
    }
  }

  private retry(action: 'retry' | 'find-coordinator', error: RxKafkaError): void {
    this.member.report(error)
    if (this.member.sessionExpired()) {
      // The coordinator has surely dropped the member by now: stop delivering partitions someone else may own.
      this.member.rejoin()
      return
    }
    const delay = backoffDelay(Math.min(this.attempt++, 6), { initialMs: this.retryBackoffMs, maxMs: MAX_BACKOFF_MS, jitter: 0 })
    this.member.replaceNextHeartbeat(() =>
      timer(delay, this.client.scheduler).subscribe(() => {
        if (action === 'find-coordinator') {
          this.client.invalidateCoordinator('group', this.groupId)
          this.member.findCoordinator()
        } else {
          this.member.heartbeat()
        }
      }),
    )
  }
}
