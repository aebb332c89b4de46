import { describe, expect, it } from 'vitest'
import { ERROR_CODES, ErrorCode, UNKNOWN_ERROR_CODE_NAME, errorCodeInfo } from '../../lib/protocol/error-codes.js'
import type { ErrorName } from '../../lib/protocol/error-codes.js'
import { KafkaBrokerError, brokerError, RxKafkaError } from '../../lib/errors/index.js'

describe('ERROR_CODES table', () => {
  it('has unique codes and unique names', () => {
    expect(new Set(ERROR_CODES.map(e => e.code)).size).toBe(ERROR_CODES.length)
    expect(new Set(ERROR_CODES.map(e => e.name)).size).toBe(ERROR_CODES.length)
  })

  it('is contiguous from -1 to 133, as Kafka 4.1 defines them, in code order', () => {
    expect(ERROR_CODES.map(e => e.code)).toEqual(Array.from({ length: 135 }, (_, i) => i - 1))
  })

  it('agrees with the ErrorCode constants both ways', () => {
    expect(Object.keys(ErrorCode)).toHaveLength(ERROR_CODES.length)
    for (const e of ERROR_CODES) {
      expect(ErrorCode[e.name as ErrorName]).toBe(e.code)
      expect(errorCodeInfo(e.code)).toBe(e)
    }
  })

  it('has a one-line description for every code, and a name in Kafka spelling', () => {
    for (const e of ERROR_CODES) {
      expect(e.known).toBe(true)
      expect(e.name).toMatch(/^[A-Z][A-Z0-9_]*$/)
      expect(e.message.length).toBeGreaterThan(5)
      expect(e.message).not.toContain('\n')
      // The error message appends "(where). hint": a trailing period would double up.
      expect(e.message.endsWith('.')).toBe(false)
    }
  })

  it('never asks for a metadata refresh or coordinator lookup on a code it would not retry, except REBOOTSTRAP_REQUIRED', () => {
    const odd = ERROR_CODES.filter(e => (e.refreshMetadata || e.findCoordinator) && !e.retriable).map(e => e.name)
    expect(odd).toEqual(['REBOOTSTRAP_REQUIRED'])
  })

  it('is frozen, so no caller can change the facts for everyone', () => {
    expect(Object.isFrozen(ERROR_CODES)).toBe(true)
    expect(Object.isFrozen(errorCodeInfo(6))).toBe(true)
  })
})

describe('known facts (checked against Apache Kafka Errors.java and the 4.1 exception hierarchy)', () => {
  const cases: Array<[number, ErrorName, { retriable: boolean; refreshMetadata: boolean; findCoordinator: boolean }]> = [
    [-1, 'UNKNOWN_SERVER_ERROR', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [0, 'NONE', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [1, 'OFFSET_OUT_OF_RANGE', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [2, 'CORRUPT_MESSAGE', { retriable: true, refreshMetadata: false, findCoordinator: false }],
    [3, 'UNKNOWN_TOPIC_OR_PARTITION', { retriable: true, refreshMetadata: true, findCoordinator: false }],
    [5, 'LEADER_NOT_AVAILABLE', { retriable: true, refreshMetadata: true, findCoordinator: false }],
    [6, 'NOT_LEADER_OR_FOLLOWER', { retriable: true, refreshMetadata: true, findCoordinator: false }],
    [7, 'REQUEST_TIMED_OUT', { retriable: true, refreshMetadata: false, findCoordinator: false }],
    [8, 'BROKER_NOT_AVAILABLE', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [9, 'REPLICA_NOT_AVAILABLE', { retriable: true, refreshMetadata: true, findCoordinator: false }],
    [10, 'MESSAGE_TOO_LARGE', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [13, 'NETWORK_EXCEPTION', { retriable: true, refreshMetadata: true, findCoordinator: false }],
    [14, 'COORDINATOR_LOAD_IN_PROGRESS', { retriable: true, refreshMetadata: false, findCoordinator: false }],
    [15, 'COORDINATOR_NOT_AVAILABLE', { retriable: true, refreshMetadata: false, findCoordinator: true }],
    [16, 'NOT_COORDINATOR', { retriable: true, refreshMetadata: false, findCoordinator: true }],
    [19, 'NOT_ENOUGH_REPLICAS', { retriable: true, refreshMetadata: false, findCoordinator: false }],
    [20, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', { retriable: true, refreshMetadata: false, findCoordinator: false }],
    [22, 'ILLEGAL_GENERATION', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [25, 'UNKNOWN_MEMBER_ID', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [27, 'REBALANCE_IN_PROGRESS', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [29, 'TOPIC_AUTHORIZATION_FAILED', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [35, 'UNSUPPORTED_VERSION', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [41, 'NOT_CONTROLLER', { retriable: true, refreshMetadata: true, findCoordinator: false }],
    [45, 'OUT_OF_ORDER_SEQUENCE_NUMBER', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [46, 'DUPLICATE_SEQUENCE_NUMBER', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [47, 'INVALID_PRODUCER_EPOCH', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [51, 'CONCURRENT_TRANSACTIONS', { retriable: true, refreshMetadata: false, findCoordinator: false }],
    [56, 'KAFKA_STORAGE_ERROR', { retriable: true, refreshMetadata: true, findCoordinator: false }],
    [59, 'UNKNOWN_PRODUCER_ID', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [70, 'FETCH_SESSION_ID_NOT_FOUND', { retriable: true, refreshMetadata: false, findCoordinator: false }],
    [71, 'INVALID_FETCH_SESSION_EPOCH', { retriable: true, refreshMetadata: false, findCoordinator: false }],
    [72, 'LISTENER_NOT_FOUND', { retriable: true, refreshMetadata: true, findCoordinator: false }],
    [74, 'FENCED_LEADER_EPOCH', { retriable: true, refreshMetadata: true, findCoordinator: false }],
    [75, 'UNKNOWN_LEADER_EPOCH', { retriable: true, refreshMetadata: true, findCoordinator: false }],
    [78, 'OFFSET_NOT_AVAILABLE', { retriable: true, refreshMetadata: true, findCoordinator: false }],
    [82, 'FENCED_INSTANCE_ID', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [88, 'UNSTABLE_OFFSET_COMMIT', { retriable: true, refreshMetadata: false, findCoordinator: false }],
    [89, 'THROTTLING_QUOTA_EXCEEDED', { retriable: true, refreshMetadata: false, findCoordinator: false }],
    [90, 'PRODUCER_FENCED', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [100, 'UNKNOWN_TOPIC_ID', { retriable: true, refreshMetadata: true, findCoordinator: false }],
    [103, 'INCONSISTENT_TOPIC_ID', { retriable: true, refreshMetadata: true, findCoordinator: false }],
    [106, 'FETCH_SESSION_TOPIC_ID_ERROR', { retriable: true, refreshMetadata: false, findCoordinator: false }],
    [110, 'FENCED_MEMBER_EPOCH', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [113, 'STALE_MEMBER_EPOCH', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [120, 'TRANSACTION_ABORTABLE', { retriable: false, refreshMetadata: false, findCoordinator: false }],
    [122, 'SHARE_SESSION_NOT_FOUND', { retriable: true, refreshMetadata: false, findCoordinator: false }],
    [123, 'INVALID_SHARE_SESSION_EPOCH', { retriable: true, refreshMetadata: false, findCoordinator: false }],
    [129, 'REBOOTSTRAP_REQUIRED', { retriable: false, refreshMetadata: true, findCoordinator: false }],
    [133, 'SHARE_SESSION_LIMIT_REACHED', { retriable: true, refreshMetadata: false, findCoordinator: false }],
  ]

  it.each(cases)('code %i is %s with the right flags', (code, name, flags) => {
    const info = errorCodeInfo(code)
    expect(info.name).toBe(name)
    expect(ErrorCode[name]).toBe(code)
    expect({ retriable: info.retriable, refreshMetadata: info.refreshMetadata, findCoordinator: info.findCoordinator }).toEqual(flags)
  })

  it('spells the remaining spot-checked names as Kafka does', () => {
    expect(errorCodeInfo(4).name).toBe('INVALID_FETCH_SIZE')
    expect(errorCodeInfo(17).name).toBe('INVALID_TOPIC_EXCEPTION')
    expect(errorCodeInfo(18).name).toBe('RECORD_LIST_TOO_LARGE')
    expect(errorCodeInfo(23).name).toBe('INCONSISTENT_GROUP_PROTOCOL')
    expect(errorCodeInfo(48).name).toBe('INVALID_TXN_STATE')
    expect(errorCodeInfo(58).name).toBe('SASL_AUTHENTICATION_FAILED')
    expect(errorCodeInfo(79).name).toBe('MEMBER_ID_REQUIRED')
    expect(errorCodeInfo(87).name).toBe('INVALID_RECORD')
    expect(errorCodeInfo(109).name).toBe('OFFSET_MOVED_TO_TIERED_STORAGE')
    expect(errorCodeInfo(128).name).toBe('INVALID_REGULAR_EXPRESSION')
    expect(errorCodeInfo(130).name).toBe('STREAMS_INVALID_TOPOLOGY')
  })

  it('marks exactly the codes whose Kafka exception is a RetriableException as retriable', () => {
    const retriable = ERROR_CODES.filter(e => e.retriable).map(e => e.code)
    expect(retriable).toEqual([
      2, 3, 5, 6, 7, 9, 13, 14, 15, 16, 19, 20, 41, 51, 56, 70, 71, 72, 74, 75, 78, 80, 83, 84, 88, 89, 100, 103, 106, 122,
      123, 133,
    ])
  })

  it('asks for a coordinator lookup only on COORDINATOR_NOT_AVAILABLE and NOT_COORDINATOR', () => {
    expect(ERROR_CODES.filter(e => e.findCoordinator).map(e => e.name)).toEqual(['COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR'])
  })
})

describe('errorCodeInfo on codes it does not know', () => {
  it.each([134, 999, -2, 32767, -32768])('gives a synthetic non-retriable entry for %i', code => {
    const info = errorCodeInfo(code)
    expect(info.known).toBe(false)
    expect(info.code).toBe(code)
    expect(info.name).toBe(UNKNOWN_ERROR_CODE_NAME)
    expect(info.retriable).toBe(false)
    expect(info.refreshMetadata).toBe(false)
    expect(info.findCoordinator).toBe(false)
    expect(info.message).toContain(String(code))
    expect(info.message).toContain('not known')
  })

  it.each([Number.NaN, 1.5, 40000, Number.POSITIVE_INFINITY])('says %s is not a valid code at all', code => {
    const info = errorCodeInfo(code)
    expect(info.known).toBe(false)
    expect(info.message).toContain('not a valid Kafka error code')
  })
})

describe('brokerError', () => {
  it('reads like "NAME: description (where). hint" and carries the facts', () => {
    const e = brokerError(ErrorCode.NOT_LEADER_OR_FOLLOWER, { api: 'Produce', broker: 2, topic: 'orders', partition: 3 })
    const info = errorCodeInfo(6)
    expect(e).toBeInstanceOf(KafkaBrokerError)
    expect(e).toBeInstanceOf(RxKafkaError)
    expect(e).toBeInstanceOf(Error)
    expect(e.name).toBe('KafkaBrokerError')
    expect(e.message).toBe(`NOT_LEADER_OR_FOLLOWER: ${info.message} (api Produce, broker 2, topic orders, partition 3). ${info.hint}`)
    expect(e.code).toBe('NOT_LEADER_OR_FOLLOWER')
    expect(e.errorCode).toBe(6)
    expect(e.errorName).toBe('NOT_LEADER_OR_FOLLOWER')
    expect(e.retriable).toBe(true)
    expect(e.refreshMetadata).toBe(true)
    expect(e.findCoordinator).toBe(false)
    expect(e.hint).toBe(info.hint)
    expect(e.broker).toBe(2)
    expect(e.topic).toBe('orders')
    expect(e.partition).toBe(3)
    expect(e.api).toBe('Produce')
    expect(e.brokerMessage).toBeUndefined()
  })

  it('includes the message the broker sent, quoted', () => {
    const e = brokerError(ErrorCode.INVALID_RECORD, {
      api: 'Produce',
      topic: 'orders',
      partition: 0,
      errorMessage: 'Compacted topic cannot accept message without key',
    })
    expect(e.message).toContain('INVALID_RECORD: ')
    expect(e.message).toContain('; the broker says: "Compacted topic cannot accept message without key" (api Produce, topic orders, partition 0)')
    expect(e.brokerMessage).toBe('Compacted topic cannot accept message without key')
    expect(e.retriable).toBe(false)
  })

  it('ignores a null or empty broker message', () => {
    for (const errorMessage of [null, '']) {
      const e = brokerError(ErrorCode.REQUEST_TIMED_OUT, { errorMessage })
      expect(e.message).not.toContain('broker says')
      expect(e.brokerMessage).toBeUndefined()
      expect(e.message).toBe(`REQUEST_TIMED_OUT: ${errorCodeInfo(7).message}. ${errorCodeInfo(7).hint}`)
    }
  })

  it('has no trailing hint when the code has none', () => {
    const e = brokerError(ErrorCode.TOPIC_ALREADY_EXISTS, { api: 'CreateTopics', topic: 'orders' })
    expect(e.hint).toBeUndefined()
    expect(e.message).toBe(`TOPIC_ALREADY_EXISTS: ${errorCodeInfo(36).message} (api CreateTopics, topic orders)`)
  })

  it('sets the coordinator flag for coordinator errors', () => {
    const e = brokerError(ErrorCode.NOT_COORDINATOR, { api: 'OffsetCommit', broker: 1 })
    expect(e.findCoordinator).toBe(true)
    expect(e.refreshMetadata).toBe(false)
    expect(e.retriable).toBe(true)
  })

  it('keeps the cause', () => {
    const cause = new Error('underlying')
    expect(brokerError(ErrorCode.UNKNOWN_SERVER_ERROR, { cause }).cause).toBe(cause)
  })

  it('turns an unknown code into a non-retriable UNKNOWN_ERROR_CODE error that names the number', () => {
    const e = brokerError(4242, { api: 'Fetch', broker: 'localhost:9092' })
    expect(e.code).toBe(UNKNOWN_ERROR_CODE_NAME)
    expect(e.errorCode).toBe(4242)
    expect(e.retriable).toBe(false)
    expect(e.message).toMatch(/^UNKNOWN_ERROR_CODE: error code 4242 is not known .* \(api Fetch, broker localhost:9092\)\. /)
  })

  it('reports code 0 as a caller bug instead of pretending the broker failed', () => {
    const e = brokerError(ErrorCode.NONE, { api: 'Produce' })
    expect(e.code).toBe('NONE')
    expect(e.retriable).toBe(false)
    expect(e.message).toContain('error code 0 means success')
    expect(e.hint).toContain('bug')
  })
})
