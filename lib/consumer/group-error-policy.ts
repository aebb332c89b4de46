/**
 * What the classic group member (group-member.ts) does about an error: one
 * pure table from the call and the error to an action, so the member has one
 * place that turns "UNKNOWN_MEMBER_ID" into "forget the member id, lose every
 * partition, join" instead of a copy of that in each answer handler.
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
import { ConnectionError, KafkaBrokerError, RequestTimeoutError, type RxKafkaError } from '../errors/index.js'
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
