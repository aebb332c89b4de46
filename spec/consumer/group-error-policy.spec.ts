import { describe, expect, it } from 'vitest'
import { ConnectionError, KafkaBrokerError, ProtocolDecodeError, RequestTimeoutError, UnsupportedVersionError, brokerError, type RxKafkaError } from '../../lib/errors/index.js'
import {
  asRetried,
  epochHeartbeatAction,
  groupFailureAction,
  groupResponseAction,
  type EpochHeartbeatAction,
  type EpochHeartbeatApi,
  type GroupAction,
  type GroupApi,
  type GroupFailureSite,
} from '../../lib/consumer/group-error-policy.js'
import { ErrorCode } from '../../lib/protocol/error-codes.js'

const C = ErrorCode

/**
 * Every row is what the classic member did before the policy was a table of its own: a changed row is a
 * changed behaviour. Besides the codes the member names, each API has one row per kind of other code: a
 * coordinator code, a retriable one (COORDINATOR_LOAD_IN_PROGRESS: wait, do not look the coordinator up), a
 * non-retriable one (UNKNOWN_SERVER_ERROR) and one this client does not know (9999).
 */
const responses: [GroupApi, string, number, GroupAction][] = [
  ['JoinGroup', 'NONE', 0, 'continue'],
  ['JoinGroup', 'MEMBER_ID_REQUIRED', C.MEMBER_ID_REQUIRED, 'rejoin-with-id'],
  ['JoinGroup', 'UNKNOWN_MEMBER_ID', C.UNKNOWN_MEMBER_ID, 'reset-member'],
  ['JoinGroup', 'REBALANCE_IN_PROGRESS', C.REBALANCE_IN_PROGRESS, 'backoff'],
  ['JoinGroup', 'ILLEGAL_GENERATION', C.ILLEGAL_GENERATION, 'retry'],
  ['JoinGroup', 'GROUP_AUTHORIZATION_FAILED', C.GROUP_AUTHORIZATION_FAILED, 'fatal'],
  ['JoinGroup', 'FENCED_INSTANCE_ID', C.FENCED_INSTANCE_ID, 'fatal'],
  ['JoinGroup', 'INCONSISTENT_GROUP_PROTOCOL', C.INCONSISTENT_GROUP_PROTOCOL, 'fatal'],
  ['JoinGroup', 'INVALID_GROUP_ID', C.INVALID_GROUP_ID, 'fatal'],
  ['JoinGroup', 'INVALID_SESSION_TIMEOUT', C.INVALID_SESSION_TIMEOUT, 'fatal'],
  ['JoinGroup', 'GROUP_MAX_SIZE_REACHED', C.GROUP_MAX_SIZE_REACHED, 'fatal'],
  ['JoinGroup', 'NOT_COORDINATOR', C.NOT_COORDINATOR, 'find-coordinator'],
  ['JoinGroup', 'COORDINATOR_NOT_AVAILABLE', C.COORDINATOR_NOT_AVAILABLE, 'find-coordinator'],
  ['JoinGroup', 'COORDINATOR_LOAD_IN_PROGRESS', C.COORDINATOR_LOAD_IN_PROGRESS, 'retry'],
  ['JoinGroup', 'UNKNOWN_SERVER_ERROR', C.UNKNOWN_SERVER_ERROR, 'retry'],
  ['JoinGroup', 'a code this client does not know', 9999, 'retry'],

  ['SyncGroup', 'NONE', 0, 'continue'],
  ['SyncGroup', 'REBALANCE_IN_PROGRESS', C.REBALANCE_IN_PROGRESS, 'rejoin'],
  ['SyncGroup', 'UNKNOWN_MEMBER_ID', C.UNKNOWN_MEMBER_ID, 'reset-member'],
  ['SyncGroup', 'ILLEGAL_GENERATION', C.ILLEGAL_GENERATION, 'lose-and-rejoin'],
  ['SyncGroup', 'MEMBER_ID_REQUIRED', C.MEMBER_ID_REQUIRED, 'lose-and-retry'],
  ['SyncGroup', 'GROUP_AUTHORIZATION_FAILED', C.GROUP_AUTHORIZATION_FAILED, 'fatal'],
  ['SyncGroup', 'FENCED_INSTANCE_ID', C.FENCED_INSTANCE_ID, 'fatal'],
  ['SyncGroup', 'INCONSISTENT_GROUP_PROTOCOL', C.INCONSISTENT_GROUP_PROTOCOL, 'fatal'],
  ['SyncGroup', 'INVALID_GROUP_ID', C.INVALID_GROUP_ID, 'fatal'],
  ['SyncGroup', 'INVALID_SESSION_TIMEOUT', C.INVALID_SESSION_TIMEOUT, 'fatal'],
  ['SyncGroup', 'GROUP_MAX_SIZE_REACHED', C.GROUP_MAX_SIZE_REACHED, 'fatal'],
  ['SyncGroup', 'NOT_COORDINATOR', C.NOT_COORDINATOR, 'lose-and-find-coordinator'],
  ['SyncGroup', 'COORDINATOR_NOT_AVAILABLE', C.COORDINATOR_NOT_AVAILABLE, 'lose-and-find-coordinator'],
  ['SyncGroup', 'COORDINATOR_LOAD_IN_PROGRESS', C.COORDINATOR_LOAD_IN_PROGRESS, 'lose-and-retry'],
  ['SyncGroup', 'UNKNOWN_SERVER_ERROR', C.UNKNOWN_SERVER_ERROR, 'lose-and-retry'],
  ['SyncGroup', 'a code this client does not know', 9999, 'lose-and-retry'],

  ['Heartbeat', 'NONE', 0, 'continue'],
  ['Heartbeat', 'REBALANCE_IN_PROGRESS', C.REBALANCE_IN_PROGRESS, 'rebalance'],
  ['Heartbeat', 'ILLEGAL_GENERATION', C.ILLEGAL_GENERATION, 'lose-and-rejoin'],
  ['Heartbeat', 'UNKNOWN_MEMBER_ID', C.UNKNOWN_MEMBER_ID, 'reset-member'],
  ['Heartbeat', 'FENCED_INSTANCE_ID', C.FENCED_INSTANCE_ID, 'fatal'],
  // A heartbeat is fatal only for a fenced static member: the next rebalance step meets the other group errors.
  ['Heartbeat', 'GROUP_AUTHORIZATION_FAILED', C.GROUP_AUTHORIZATION_FAILED, 'ignore'],
  ['Heartbeat', 'NOT_COORDINATOR', C.NOT_COORDINATOR, 'look-up-coordinator'],
  ['Heartbeat', 'COORDINATOR_NOT_AVAILABLE', C.COORDINATOR_NOT_AVAILABLE, 'look-up-coordinator'],
  ['Heartbeat', 'COORDINATOR_LOAD_IN_PROGRESS', C.COORDINATOR_LOAD_IN_PROGRESS, 'ignore'],
  ['Heartbeat', 'UNKNOWN_SERVER_ERROR', C.UNKNOWN_SERVER_ERROR, 'ignore'],
  ['Heartbeat', 'a code this client does not know', 9999, 'ignore'],

  ['OffsetCommit', 'NONE', 0, 'continue'],
  ['OffsetCommit', 'REBALANCE_IN_PROGRESS', C.REBALANCE_IN_PROGRESS, 'rebalance'],
  ['OffsetCommit', 'ILLEGAL_GENERATION', C.ILLEGAL_GENERATION, 'lose-and-rejoin'],
  ['OffsetCommit', 'UNKNOWN_MEMBER_ID', C.UNKNOWN_MEMBER_ID, 'reset-member'],
  ['OffsetCommit', 'FENCED_INSTANCE_ID', C.FENCED_INSTANCE_ID, 'ignore'],
  ['OffsetCommit', 'GROUP_AUTHORIZATION_FAILED', C.GROUP_AUTHORIZATION_FAILED, 'ignore'],
  ['OffsetCommit', 'NOT_COORDINATOR', C.NOT_COORDINATOR, 'look-up-coordinator'],
  ['OffsetCommit', 'COORDINATOR_NOT_AVAILABLE', C.COORDINATOR_NOT_AVAILABLE, 'look-up-coordinator'],
  ['OffsetCommit', 'COORDINATOR_LOAD_IN_PROGRESS', C.COORDINATOR_LOAD_IN_PROGRESS, 'ignore'],
  ['OffsetCommit', 'UNKNOWN_SERVER_ERROR', C.UNKNOWN_SERVER_ERROR, 'ignore'],
  ['OffsetCommit', 'a code this client does not know', 9999, 'ignore'],
]

const timeout = new RequestTimeoutError('JoinGroup', 1_000, 1)
const dropped = new ConnectionError('connection to broker 1 closed')
const undecodable = new ProtocolDecodeError('truncated response')
const failures: [GroupFailureSite, string, RxKafkaError, GroupAction][] = [
  ['step', 'a timeout', timeout, 'find-coordinator'],
  ['step', 'a dropped connection', dropped, 'find-coordinator'],
  ['step', 'NOT_COORDINATOR', brokerError(C.NOT_COORDINATOR), 'find-coordinator'],
  ['step', 'COORDINATOR_LOAD_IN_PROGRESS', brokerError(C.COORDINATOR_LOAD_IN_PROGRESS), 'retry'],
  ['step', 'GROUP_AUTHORIZATION_FAILED', brokerError(C.GROUP_AUTHORIZATION_FAILED), 'fatal'],
  ['step', 'an undecodable answer', undecodable, 'fatal'],

  ['Heartbeat', 'a timeout', timeout, 'look-up-coordinator'],
  ['Heartbeat', 'a dropped connection', dropped, 'look-up-coordinator'],
  ['Heartbeat', 'NOT_COORDINATOR', brokerError(C.NOT_COORDINATOR), 'look-up-coordinator'],
  ['Heartbeat', 'UNKNOWN_MEMBER_ID', brokerError(C.UNKNOWN_MEMBER_ID), 'ignore'],
  ['Heartbeat', 'an undecodable answer', undecodable, 'ignore'],

  // A commit that failed without an answer changes nothing: the next one tries again.
  ['OffsetCommit', 'a timeout', timeout, 'ignore'],
  ['OffsetCommit', 'a dropped connection', dropped, 'ignore'],
  ['OffsetCommit', 'an undecodable answer', undecodable, 'ignore'],
  ['OffsetCommit', 'NOT_COORDINATOR', brokerError(C.NOT_COORDINATOR), 'look-up-coordinator'],
  ['OffsetCommit', 'REBALANCE_IN_PROGRESS', brokerError(C.REBALANCE_IN_PROGRESS), 'rebalance'],
  ['OffsetCommit', 'ILLEGAL_GENERATION', brokerError(C.ILLEGAL_GENERATION), 'lose-and-rejoin'],
  ['OffsetCommit', 'UNKNOWN_MEMBER_ID', brokerError(C.UNKNOWN_MEMBER_ID), 'reset-member'],
]

describe('the classic group error policy', () => {
  it.each(responses)('%s answered %s (%i): %s', (api, _name, code, action) => {
    expect(groupResponseAction(api, code)).toBe(action)
  })

  it.each(failures)('%s failed with %s: %s', (site, _what, error, action) => {
    expect(groupFailureAction(site, error)).toBe(action)
  })

  it('an error the member retries is reported as retriable, with its code and where it came from; others as they are', () => {
    const unknown = brokerError(C.UNKNOWN_SERVER_ERROR, { api: 'JoinGroup', broker: 1 })
    expect(unknown.retriable).toBe(false)
    const reported = asRetried(unknown) as KafkaBrokerError
    expect(reported).toBeInstanceOf(KafkaBrokerError)
    expect(reported).toMatchObject({ retriable: true, errorCode: C.UNKNOWN_SERVER_ERROR, api: 'JoinGroup', broker: 1 })
    const loading = brokerError(C.COORDINATOR_LOAD_IN_PROGRESS, { api: 'JoinGroup', broker: 1 })
    expect(asRetried(loading)).toBe(loading)
    expect(asRetried(timeout)).toBe(timeout)
  })
})

/**
 * What the two epoch-based members did about their heartbeats before they shared the policy: the KIP-848
 * member's heartbeatErrorAction and retryAfterError, the share member's onHeartbeat and retryLater. Every
 * code a member named has a row, and so has each kind of other code as above.
 */
const CGH = 'ConsumerGroupHeartbeat'
const SGH = 'ShareGroupHeartbeat'
const epochAnswers: [EpochHeartbeatApi, string, number, EpochHeartbeatAction][] = [
  [CGH, 'NONE', 0, 'continue'],
  [CGH, 'FENCED_MEMBER_EPOCH', C.FENCED_MEMBER_EPOCH, 'lose-and-rejoin'],
  [CGH, 'UNKNOWN_MEMBER_ID', C.UNKNOWN_MEMBER_ID, 'lose-and-rejoin'],
  [CGH, 'UNSUPPORTED_VERSION', C.UNSUPPORTED_VERSION, 'not-enabled'],
  [CGH, 'GROUP_AUTHORIZATION_FAILED', C.GROUP_AUTHORIZATION_FAILED, 'fatal'],
  [CGH, 'TOPIC_AUTHORIZATION_FAILED', C.TOPIC_AUTHORIZATION_FAILED, 'fatal'],
  [CGH, 'FENCED_INSTANCE_ID', C.FENCED_INSTANCE_ID, 'fatal'],
  [CGH, 'UNRELEASED_INSTANCE_ID', C.UNRELEASED_INSTANCE_ID, 'fatal'],
  [CGH, 'UNSUPPORTED_ASSIGNOR', C.UNSUPPORTED_ASSIGNOR, 'fatal'],
  [CGH, 'INVALID_REQUEST', C.INVALID_REQUEST, 'fatal'],
  [CGH, 'INVALID_REGULAR_EXPRESSION', C.INVALID_REGULAR_EXPRESSION, 'fatal'],
  [CGH, 'INVALID_GROUP_ID', C.INVALID_GROUP_ID, 'fatal'],
  [CGH, 'GROUP_ID_NOT_FOUND', C.GROUP_ID_NOT_FOUND, 'fatal'],
  [CGH, 'GROUP_MAX_SIZE_REACHED', C.GROUP_MAX_SIZE_REACHED, 'fatal'],
  // Not named, but neither retriable nor about the coordinator: fatal all the same.
  [CGH, 'INCONSISTENT_GROUP_PROTOCOL', C.INCONSISTENT_GROUP_PROTOCOL, 'fatal'],
  [CGH, 'NOT_COORDINATOR', C.NOT_COORDINATOR, 'find-coordinator'],
  [CGH, 'COORDINATOR_NOT_AVAILABLE', C.COORDINATOR_NOT_AVAILABLE, 'find-coordinator'],
  [CGH, 'COORDINATOR_LOAD_IN_PROGRESS', C.COORDINATOR_LOAD_IN_PROGRESS, 'retry'],
  [CGH, 'UNKNOWN_SERVER_ERROR', C.UNKNOWN_SERVER_ERROR, 'fatal'],
  [CGH, 'a code this client does not know', 9999, 'fatal'],

  [SGH, 'NONE', 0, 'continue'],
  // A share member keeps the records it holds across a rejoin: their locks decide, not the member epoch.
  [SGH, 'FENCED_MEMBER_EPOCH', C.FENCED_MEMBER_EPOCH, 'rejoin'],
  [SGH, 'UNKNOWN_MEMBER_ID', C.UNKNOWN_MEMBER_ID, 'rejoin'],
  [SGH, 'UNSUPPORTED_VERSION', C.UNSUPPORTED_VERSION, 'not-enabled'],
  [SGH, 'GROUP_ID_NOT_FOUND', C.GROUP_ID_NOT_FOUND, 'fatal'],
  [SGH, 'GROUP_AUTHORIZATION_FAILED', C.GROUP_AUTHORIZATION_FAILED, 'fatal'],
  [SGH, 'TOPIC_AUTHORIZATION_FAILED', C.TOPIC_AUTHORIZATION_FAILED, 'fatal'],
  [SGH, 'INVALID_REQUEST', C.INVALID_REQUEST, 'fatal'],
  [SGH, 'GROUP_MAX_SIZE_REACHED', C.GROUP_MAX_SIZE_REACHED, 'fatal'],
  [SGH, 'INCONSISTENT_GROUP_PROTOCOL', C.INCONSISTENT_GROUP_PROTOCOL, 'fatal'],
  // A code it does not name that is neither retriable nor about the coordinator fails it, as it does the KIP-848 member
  // (until stop 26 the share member retried those for ever).
  [SGH, 'FENCED_INSTANCE_ID', C.FENCED_INSTANCE_ID, 'fatal'],
  [SGH, 'INVALID_GROUP_ID', C.INVALID_GROUP_ID, 'fatal'],
  // What may pass is retried after a new coordinator look-up.
  [SGH, 'NOT_COORDINATOR', C.NOT_COORDINATOR, 'find-coordinator'],
  [SGH, 'COORDINATOR_NOT_AVAILABLE', C.COORDINATOR_NOT_AVAILABLE, 'find-coordinator'],
  [SGH, 'COORDINATOR_LOAD_IN_PROGRESS', C.COORDINATOR_LOAD_IN_PROGRESS, 'find-coordinator'],
  [SGH, 'UNKNOWN_SERVER_ERROR', C.UNKNOWN_SERVER_ERROR, 'fatal'],
  [SGH, 'a code this client does not know', 9999, 'fatal'],
]

const unsupported = new UnsupportedVersionError('no usable version', { api: 'ConsumerGroupHeartbeat' })
/** [api, what failed, the error, the coordinator is known and does not offer the API, action] */
const epochFailures: [EpochHeartbeatApi, string, RxKafkaError, boolean, EpochHeartbeatAction][] = [
  [CGH, 'a timeout', timeout, false, 'find-coordinator'],
  [CGH, 'a dropped connection', dropped, false, 'find-coordinator'],
  [CGH, 'NOT_COORDINATOR (the coordinator look-up)', brokerError(C.NOT_COORDINATOR), false, 'find-coordinator'],
  [CGH, 'COORDINATOR_LOAD_IN_PROGRESS', brokerError(C.COORDINATOR_LOAD_IN_PROGRESS), false, 'retry'],
  [CGH, 'GROUP_AUTHORIZATION_FAILED (the coordinator look-up)', brokerError(C.GROUP_AUTHORIZATION_FAILED), false, 'fatal'],
  [CGH, 'an undecodable answer', undecodable, false, 'fatal'],
  [CGH, 'UnsupportedVersion from a coordinator without the API', unsupported, true, 'not-enabled'],
  // A version nobody shares (or topicRegex on v0) is not a broker without the protocol: it is fatal as it is.
  [CGH, 'UnsupportedVersion from a coordinator with the API', unsupported, false, 'fatal'],
  [CGH, 'a timeout, the API unknown', timeout, true, 'find-coordinator'],

  // The share member retries an outright failure that may pass after a new coordinator look-up; what cannot pass fails it.
  [SGH, 'a timeout', timeout, false, 'find-coordinator'],
  [SGH, 'a dropped connection', dropped, false, 'find-coordinator'],
  [SGH, 'COORDINATOR_LOAD_IN_PROGRESS', brokerError(C.COORDINATOR_LOAD_IN_PROGRESS), false, 'find-coordinator'],
  [SGH, 'GROUP_AUTHORIZATION_FAILED (the coordinator look-up)', brokerError(C.GROUP_AUTHORIZATION_FAILED), false, 'fatal'],
  [SGH, 'an undecodable answer', undecodable, false, 'fatal'],
  [SGH, 'UnsupportedVersion from a coordinator without the API', unsupported, true, 'not-enabled'],
  [SGH, 'UnsupportedVersion from a coordinator with the API', unsupported, false, 'fatal'],
]

describe('the epoch-based members\' heartbeat error policy', () => {
  it.each(epochAnswers)('%s answered %s (%i): %s', (api, _name, code, action) => {
    expect(epochHeartbeatAction(api, code)).toBe(action)
  })

  it.each(epochFailures)('%s failed with %s (coordinator lacks the API: %s): %s', (api, _what, error, lacksApi, action) => {
    expect(epochHeartbeatAction(api, error, lacksApi)).toBe(action)
  })
})
