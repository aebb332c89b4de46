/**
 * What a group member does about an error: one pure table from the call and
 * the error to an action, so a member has one place that turns
 * "UNKNOWN_MEMBER_ID" into "forget the member id, lose every partition, join"
 * instead of a copy of that in each answer handler. The classic member
 * (group-member.ts) asks {@link groupResponseAction} and
 * {@link groupFailureAction}; the two epoch-based members, KIP-848's
 * (consumer-protocol-member.ts) and the share group's (KIP-932), ask
 * {@link epochHeartbeatAction} about their heartbeats, through the one retry
 * path they share (epoch-heartbeat-retry.ts).
 *
 * The action depends on the call as well as the code: REBALANCE_IN_PROGRESS
 * asks a JoinGroup to wait and join again, a SyncGroup to join again at once
 * and a heartbeat or a commit to start a rebalance; FENCED_INSTANCE_ID is
 * fatal everywhere, while a heartbeat's other codes only report. Whether the
 * error is reported on `errors$` is the caller's: heartbeats and commits
 * report every error they get, JoinGroup and SyncGroup only what they retry
 * (`retry`, `find-coordinator` and their `lose-and-` forms).
 *
 * The member still decides with its state where the table cannot: a commit's
 * fencing is acted on only while the member is stable (a join in progress
 * settles the membership then), and `rebalance` starts one only from stable.
 */
import { ConnectionError, KafkaBrokerError, RequestTimeoutError, UnsupportedVersionError, type RxKafkaError } from '../errors/index.js'
import { ErrorCode, errorCodeInfo } from '../protocol/error-codes.js'

/** The classic group calls whose answers carry a code the member acts on. */
export type GroupApi = 'JoinGroup' | 'SyncGroup' | 'Heartbeat' | 'OffsetCommit'

/** Where a request failed outright (no answer): a group step, a heartbeat, or a periodic commit. */
export type GroupFailureSite = 'step' | 'Heartbeat' | 'OffsetCommit'

/**
 * What the member does next.
 *
 * - `continue`: nothing went wrong.
 * - `ignore`: nothing to mend (the caller may report it).
 * - `rebalance`: the group rebalances; a stable member starts its rebalance (eager members revoke first).
 * - `rejoin`: send JoinGroup again now, with the member id and the partitions kept.
 * - `rejoin-with-id`: KIP-394: join again now with the member id the answer carries.
 * - `lose-and-rejoin`: the generation is gone: drop every partition without a commit, join with the same id.
 * - `reset-member`: the coordinator does not know the member: forget the id, drop every partition, join.
 * - `backoff`: wait (the member's backoff) and repeat the step, reporting nothing.
 * - `retry`: report, wait and repeat the step.
 * - `lose-and-retry`: drop every partition, then `retry`.
 * - `find-coordinator`: report, forget the coordinator, wait, look it up and join.
 * - `lose-and-find-coordinator`: drop every partition, then `find-coordinator`.
 * - `look-up-coordinator`: between rebalances: look the coordinator up again now, keeping the partitions.
 * - `fatal`: no rejoin can mend it: the member's stream errors.
 */
export type GroupAction =
  | 'continue'
  | 'ignore'
  | 'rebalance'
  | 'rejoin'
  | 'rejoin-with-id'
  | 'lose-and-rejoin'
  | 'reset-member'
  | 'backoff'
  | 'retry'
  | 'lose-and-retry'
  | 'find-coordinator'
  | 'lose-and-find-coordinator'
  | 'look-up-coordinator'
  | 'fatal'

/** Group errors no rejoin can mend: authorization, a fenced static member, a protocol nobody shares, a bad group id or timeouts. */
const FATAL_GROUP_ERRORS: ReadonlySet<number> = new Set<number>([
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.FENCED_INSTANCE_ID,
  ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  ErrorCode.INVALID_GROUP_ID,
  ErrorCode.INVALID_SESSION_TIMEOUT,
  ErrorCode.GROUP_MAX_SIZE_REACHED,
])

/**
 * The action for an answer of `api` with error code `code`.
 *
 * @example
 * ```ts
 * groupResponseAction('JoinGroup', ErrorCode.MEMBER_ID_REQUIRED) // 'rejoin-with-id'
 * groupResponseAction('Heartbeat', ErrorCode.NOT_COORDINATOR) // 'look-up-coordinator'
 * ```
 */
export function groupResponseAction(api: GroupApi, code: number): GroupAction {
  if (code === 0) return 'continue'
  const info = errorCodeInfo(code)
  switch (api) {
    case 'JoinGroup':
      if (code === ErrorCode.MEMBER_ID_REQUIRED) return 'rejoin-with-id'
      if (code === ErrorCode.UNKNOWN_MEMBER_ID) return 'reset-member'
      if (code === ErrorCode.REBALANCE_IN_PROGRESS) return 'backoff'
      if (FATAL_GROUP_ERRORS.has(code)) return 'fatal'
      // Anything else may pass: retried after the backoff (a code not marked retriable too).
      return info.findCoordinator ? 'find-coordinator' : 'retry'
    case 'SyncGroup':
      if (code === ErrorCode.REBALANCE_IN_PROGRESS) return 'rejoin'
      if (code === ErrorCode.UNKNOWN_MEMBER_ID) return 'reset-member'
      if (code === ErrorCode.ILLEGAL_GENERATION) return 'lose-and-rejoin'
      if (info.findCoordinator) return 'lose-and-find-coordinator'
      // A sync that went wrong in a way that is neither fatal nor about the member is mended by joining again.
      if (info.retriable || !FATAL_GROUP_ERRORS.has(code)) return 'lose-and-retry'
      return 'fatal'
    case 'Heartbeat':
      if (code === ErrorCode.REBALANCE_IN_PROGRESS) return 'rebalance'
      if (code === ErrorCode.ILLEGAL_GENERATION) return 'lose-and-rejoin'
      if (code === ErrorCode.UNKNOWN_MEMBER_ID) return 'reset-member'
      if (code === ErrorCode.FENCED_INSTANCE_ID) return 'fatal'
      return info.findCoordinator ? 'look-up-coordinator' : 'ignore'
    case 'OffsetCommit':
      if (code === ErrorCode.REBALANCE_IN_PROGRESS) return 'rebalance'
      if (code === ErrorCode.ILLEGAL_GENERATION) return 'lose-and-rejoin'
      if (code === ErrorCode.UNKNOWN_MEMBER_ID) return 'reset-member'
      return info.findCoordinator ? 'look-up-coordinator' : 'ignore'
  }
}

/**
 * The action for a request that failed without an answer (a dropped
 * connection, a timeout, an error the client raised). A group step (finding
 * the coordinator, JoinGroup, SyncGroup, OffsetFetch, the leaver's commit)
 * looks for the coordinator again on coordinator trouble, retries what may
 * pass and gives up on the rest; a heartbeat only looks the coordinator up
 * again; a periodic commit acts on a broker's code as its answer would.
 *
 * @example
 * ```ts
 * groupFailureAction('step', new RequestTimeoutError(...)) // 'find-coordinator'
 * ```
 */
export function groupFailureAction(site: GroupFailureSite, error: RxKafkaError): GroupAction {
  switch (site) {
    case 'step':
      if (isCoordinatorError(error)) return 'find-coordinator'
      return error.retriable ? 'retry' : 'fatal'
    case 'Heartbeat':
      return isCoordinatorError(error) ? 'look-up-coordinator' : 'ignore'
    case 'OffsetCommit':
      return error instanceof KafkaBrokerError ? groupResponseAction('OffsetCommit', error.errorCode) : 'ignore'
  }
}

/**
 * How the member reports an error it acts on with `retry`: as retriable, as it
 * is to the member, also for a broker's code not marked retriable (the table
 * retries anything that may pass).
 *
 * @example
 * ```ts
 * asRetried(brokerError(ErrorCode.UNKNOWN_SERVER_ERROR, { api: 'JoinGroup', broker: 1 })).retriable // true
 * ```
 */
export function asRetried(error: RxKafkaError): RxKafkaError {
  if (!(error instanceof KafkaBrokerError) || error.retriable) return error
  return new KafkaBrokerError({ ...errorCodeInfo(error.errorCode), retriable: true }, { api: error.api, broker: error.broker })
}

/** Errors that mean the coordinator may have moved or gone: its own codes, a dropped connection, a timeout. */
export function isCoordinatorError(e: RxKafkaError): boolean {
  if (e instanceof KafkaBrokerError) return e.findCoordinator
  return e instanceof ConnectionError || e instanceof RequestTimeoutError
}

/** The heartbeats of the epoch-based members: KIP-848's ConsumerGroupHeartbeat and KIP-932's ShareGroupHeartbeat. */
export type EpochHeartbeatApi = 'ConsumerGroupHeartbeat' | 'ShareGroupHeartbeat'

/**
 * What an epoch-based member does about its heartbeat's error, in the words of
 * {@link GroupAction} where they fit (the join is a heartbeat at epoch 0):
 *
 * - `continue`: nothing went wrong.
 * - `lose-and-rejoin`: fenced or forgotten: drop every partition without a commit (someone else may own
 *   them already) and heartbeat at epoch 0 now, with the same member id.
 * - `rejoin`: heartbeat at epoch 0 now with the same member id, keeping what the member holds.
 * - `retry`: report, wait (the backoff) and heartbeat again.
 * - `find-coordinator`: report, wait, forget the coordinator, look it up and heartbeat.
 * - `not-enabled`: the coordinator has no such group protocol: the member's stream errors, saying so.
 * - `fatal`: no rejoin can mend it: the member's stream errors.
 *
 * A KIP-848 member whose heartbeats failed for longer than its session
 * timeout rejoins instead of `retry` or `find-coordinator`: that depends on
 * time, not on the error, so the retry path decides it.
 */
export type EpochHeartbeatAction = Extract<GroupAction, 'continue' | 'rejoin' | 'lose-and-rejoin' | 'retry' | 'find-coordinator' | 'fatal'> | 'not-enabled'

/** ConsumerGroupHeartbeat codes no rejoin can mend (any other code neither retriable nor about the coordinator is fatal too). */
const FATAL_CONSUMER_HEARTBEAT_ERRORS: ReadonlySet<number> = new Set<number>([
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ErrorCode.FENCED_INSTANCE_ID,
  ErrorCode.UNRELEASED_INSTANCE_ID,
  ErrorCode.UNSUPPORTED_ASSIGNOR,
  ErrorCode.INVALID_REQUEST,
  ErrorCode.INVALID_REGULAR_EXPRESSION,
  ErrorCode.INVALID_GROUP_ID,
  ErrorCode.GROUP_ID_NOT_FOUND,
  ErrorCode.GROUP_MAX_SIZE_REACHED,
])

/**
 * ShareGroupHeartbeat codes no rejoin can mend, though some are marked
 * retriable (any other code neither retriable nor about the coordinator is
 * fatal too). Shorter than the KIP-848 list because a share member sends no
 * instance id, assignor or regular expression, so their codes cannot come;
 * INCONSISTENT_GROUP_PROTOCOL is named: the group id belongs to a group of
 * another type.
 */
const FATAL_SHARE_HEARTBEAT_ERRORS: ReadonlySet<number> = new Set<number>([
  ErrorCode.GROUP_ID_NOT_FOUND,
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ErrorCode.INVALID_REQUEST,
  ErrorCode.GROUP_MAX_SIZE_REACHED,
  ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
])

/**
 * The action for an epoch-based member's heartbeat that was answered with
 * error code `outcome` (a number), or that failed outright with `outcome` (an
 * error: no answer, or the coordinator look-up before it failed).
 * `coordinatorLacksApi` is read only for an outright UnsupportedVersionError:
 * the member knows its coordinator and that coordinator does not offer `api`
 * at all (a broker without the protocol, rather than a version nobody shares).
 *
 * The two members differ where their protocols do: fencing costs a KIP-848
 * member its partitions (they are someone else's now) while a share member
 * keeps the records it holds until their locks expire; and a share member
 * looks the coordinator up again before every retry (a KIP-848 member does so
 * only for coordinator errors). Both fail on what is neither retriable nor
 * about the coordinator: an authorization error, an undecodable answer, a code
 * this client does not know. (Until stop 26 the share member retried those
 * for ever, reporting each on `errors$`; a member that cannot mend an error
 * now fails with it, as the KIP-848 and classic members do.)
 *
 * @example
 * ```ts
 * epochHeartbeatAction('ConsumerGroupHeartbeat', ErrorCode.FENCED_MEMBER_EPOCH) // 'lose-and-rejoin'
 * epochHeartbeatAction('ShareGroupHeartbeat', ErrorCode.FENCED_MEMBER_EPOCH) // 'rejoin'
 * epochHeartbeatAction('ConsumerGroupHeartbeat', new RequestTimeoutError(...)) // 'find-coordinator'
 * ```
 */
export function epochHeartbeatAction(api: EpochHeartbeatApi, outcome: number | RxKafkaError, coordinatorLacksApi = false): EpochHeartbeatAction {
  if (typeof outcome !== 'number') {
    if (outcome instanceof UnsupportedVersionError && coordinatorLacksApi) return 'not-enabled'
    if (isCoordinatorError(outcome)) return 'find-coordinator'
    if (!outcome.retriable) return 'fatal'
    return api === 'ShareGroupHeartbeat' ? 'find-coordinator' : 'retry'
  }
  const code = outcome
  if (code === 0) return 'continue'
  if (code === ErrorCode.FENCED_MEMBER_EPOCH || code === ErrorCode.UNKNOWN_MEMBER_ID) return api === 'ConsumerGroupHeartbeat' ? 'lose-and-rejoin' : 'rejoin'
  // An answer at all means the coordinator knows the API: this version of it has no such group (protocol off).
  if (code === ErrorCode.UNSUPPORTED_VERSION) return 'not-enabled'
  const info = errorCodeInfo(code)
  switch (api) {
    case 'ConsumerGroupHeartbeat':
      if (FATAL_CONSUMER_HEARTBEAT_ERRORS.has(code)) return 'fatal'
      if (info.findCoordinator) return 'find-coordinator'
      return info.retriable ? 'retry' : 'fatal'
    case 'ShareGroupHeartbeat':
      if (FATAL_SHARE_HEARTBEAT_ERRORS.has(code)) return 'fatal'
      return info.findCoordinator || info.retriable ? 'find-coordinator' : 'fatal'
  }
}
