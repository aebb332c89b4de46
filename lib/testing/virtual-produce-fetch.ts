/**
 * The APIs of the partition logs: Produce (with the transaction
 * coordinator's check of transactional batches), Fetch (long polls that wait
 * on the brokers' data waiters, read_committed, KIP-74 byte limits) and
 * ListOffsets. Each answers as the partition's leader would, and as a
 * follower does (NOT_LEADER_OR_FOLLOWER, with the current leader where the
 * version carries it).
 */
import type { Subscription } from 'rxjs'
import { ErrorCode } from '../protocol/error-codes.js'
import { ZERO_UUID } from '../protocol/primitives.js'
import type { FetchRequest, FetchResponse, FetchResponsePartitionData } from '../protocol/messages/Fetch.js'
import type { ListOffsetsRequest, ListOffsetsResponse, ListOffsetsResponseListOffsetsPartitionResponse } from '../protocol/messages/ListOffsets.js'
import type { ProduceRequest, ProduceResponse, ProduceResponsePartitionProduceResponse } from '../protocol/messages/Produce.js'
import { ATTRIBUTE_TRANSACTIONAL, ATTRIBUTES_OFFSET, PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET } from '../protocol/records/record-batch-builder.js'
import type { VirtualBrokers, VirtualPartition, VirtualTopic } from './virtual-broker.js'
import { answering, virtualApi, type CancelWaiting, type HandlerContext } from './virtual-handler.js'
import type { VirtualTransactions } from './virtual-transactions.js'

export const PRODUCE_API = virtualApi<ProduceRequest>({
  apiKey: 0,
  name: 'Produce',
  versions: { minVersion: 3, maxVersion: 11 },
  handle: answering(produce),
  failed: (request, _version, errorCode): ProduceResponse => ({
    throttleTimeMs: 0,
    responses: request.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => ({
        index: p.index,
        errorCode,
        baseOffset: -1n,
        logAppendTimeMs: -1n,
        logStartOffset: -1n,
        recordErrors: [],
        errorMessage: null,
      })),
    })),
  }),
})

export const FETCH_API = virtualApi<FetchRequest>({
  apiKey: 1,
  name: 'Fetch',
  versions: { minVersion: 4, maxVersion: 17 },
  handle: fetch,
  failed: (request, version, errorCode): FetchResponse => ({
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: request.topics.map((t) => ({
      ...(version >= 13 ? { topicId: t.topicId ?? ZERO_UUID } : { topic: t.topic ?? '' }),
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partition,
        errorCode,
        highWatermark: -1n,
        lastStableOffset: -1n,
        logStartOffset: -1n,
        abortedTransactions: null,
        preferredReadReplica: -1,
        records: null,
      })),
    })),
  }),
})

export const LIST_OFFSETS_API = virtualApi<ListOffsetsRequest>({
  apiKey: 2,
  name: 'ListOffsets',
  versions: { minVersion: 1, maxVersion: 10 },
  handle: answering(listOffsets),
  failed: (request, _version, errorCode): ListOffsetsResponse => ({
    throttleTimeMs: 0,
    topics: request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, timestamp: -1n, offset: -1n, leaderEpoch: -1 })),
    })),
  }),
})

/** The error a partition-level request to `broker` gets, or 0. */
function leadershipError(partition: VirtualPartition | undefined, broker: number, currentLeaderEpoch: number | undefined): number {
  if (partition === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
  if (currentLeaderEpoch !== undefined && currentLeaderEpoch >= 0) {
    if (currentLeaderEpoch < partition.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH
    if (currentLeaderEpoch > partition.leaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH
  }
  if (partition.leader < 0) return ErrorCode.LEADER_NOT_AVAILABLE
  if (partition.leader !== broker) return ErrorCode.NOT_LEADER_OR_FOLLOWER
  return 0
}

/** 0, or why the coordinator refuses a transactional batch (an older epoch, a partition not added to the transaction), read from its v2 header before the append. */
function transactionalRefusal(transactions: VirtualTransactions, records: Buffer | null, partition: VirtualPartition): number {
  if (records === null || records.length < PRODUCER_EPOCH_OFFSET + 2) return 0
  if ((records.readInt16BE(ATTRIBUTES_OFFSET) & ATTRIBUTE_TRANSACTIONAL) === 0) return 0
  return transactions.checkProduce(records.readBigInt64BE(PRODUCER_ID_OFFSET), records.readInt16BE(PRODUCER_EPOCH_OFFSET), partition)
}

function produce(brokers: VirtualBrokers, request: ProduceRequest, ctx: HandlerContext): ProduceResponse {
  const touched: VirtualPartition[] = []
  const leaders = new Set<number>()
  const responses = request.topicData.map((t) => {
    // Names are there up to Produce v12; the served versions stop below v13 (topic ids).
    const name = t.name ?? ''
    const topic = brokers.topics.get(name)
    return {
      name,
      partitionResponses: t.partitionData.map((pd): ProduceResponsePartitionProduceResponse => {
        const partition = topic?.partitions[pd.index]
        const fail = (errorCode: number, errorMessage: string | null = null): ProduceResponsePartitionProduceResponse => ({
          index: pd.index,
          errorCode,
          baseOffset: -1n,
          logAppendTimeMs: -1n,
          logStartOffset: -1n,
          recordErrors: [],
          errorMessage,
          ...(errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER && partition !== undefined && ctx.version >= 10
            ? { currentLeader: { leaderId: partition.leader, leaderEpoch: partition.leaderEpoch } }
            : {}),
        })
        if (request.acks !== 0 && request.acks !== 1 && request.acks !== -1) return fail(ErrorCode.INVALID_REQUIRED_ACKS)
        const leadership = leadershipError(partition, ctx.broker, undefined)
        if (leadership !== 0 || partition === undefined) {
          if (leadership === ErrorCode.NOT_LEADER_OR_FOLLOWER && partition !== undefined) leaders.add(partition.leader)
          return fail(leadership)
        }
        const refusedByTxn = transactionalRefusal(brokers.transactions, pd.records, partition)
        if (refusedByTxn !== 0) return fail(refusedByTxn)
        const outcome = partition.log.append(pd.records, partition.leaderEpoch, ctx.nowMs)
        if (outcome.errorCode !== 0 || !('baseOffset' in outcome)) {
          return fail(outcome.errorCode, 'errorMessage' in outcome ? outcome.errorMessage : null)
        }
        touched.push(partition)
        return {
          index: pd.index,
          errorCode: 0,
          baseOffset: outcome.baseOffset,
          logAppendTimeMs: outcome.logAppendTimeMs,
          logStartOffset: partition.log.logStartOffset,
          recordErrors: [],
          errorMessage: null,
        }
      }),
    }
  })
  if (touched.length > 0) brokers.notifyAppended(touched)
  const response: ProduceResponse = { responses, throttleTimeMs: 0 }
  if (ctx.version >= 10 && leaders.size > 0) {
    response.nodeEndpoints = [...leaders].filter((b) => b >= 0).map((nodeId) => ({ nodeId, host: `virtual-broker-${nodeId}`, port: 9092, rack: null }))
  }
  return response
}

function fetch(brokers: VirtualBrokers, request: FetchRequest, ctx: HandlerContext): CancelWaiting | undefined {
  if (ctx.version >= 7 && (request.sessionId ?? 0) !== 0) {
    // Fetch sessions are not kept: a client holding a session id is told to start over.
    ctx.reply({ throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] } satisfies FetchResponse)
    return undefined
  }
  const topicOf = (t: FetchRequest['topics'][number]): VirtualTopic | undefined =>
    ctx.version >= 13 ? brokers.topicById(t.topicId ?? ZERO_UUID) : brokers.topics.get(t.topic ?? '')
  const involved = new Set<VirtualPartition>()
  for (const t of request.topics) {
    const topic = topicOf(t)
    for (const p of t.partitions) {
      const partition = topic?.partitions[p.partition]
      if (partition !== undefined) involved.add(partition)
    }
  }
  const answer = (final: boolean): FetchResponse | undefined => {
    let total = 0
    let errors = false
    const budget = { bytes: request.maxBytes ?? 0x7fffffff, first: true }
    const responses = request.topics.map((t) => {
      const topic = topicOf(t)
      return {
        ...(ctx.version >= 13 ? { topicId: t.topicId ?? ZERO_UUID } : { topic: t.topic ?? '' }),
        partitions: t.partitions.map((p): FetchResponsePartitionData => {
          const partition = topic?.partitions[p.partition]
          const base = {
            partitionIndex: p.partition,
            lastStableOffset: -1n,
            logStartOffset: -1n,
            abortedTransactions: null,
            preferredReadReplica: -1,
          }
          let errorCode: number = leadershipError(partition, ctx.broker, ctx.version >= 9 ? p.currentLeaderEpoch : undefined)
          if (topic === undefined) errorCode = ctx.version >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
          if (errorCode !== 0 || partition === undefined) {
            errors = true
            return {
              ...base,
              errorCode,
              highWatermark: -1n,
              records: null,
              ...(ctx.version >= 12 && partition !== undefined && errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER
                ? { currentLeader: { leaderId: partition.leader, leaderEpoch: partition.leaderEpoch } }
                : {}),
            }
          }
          const log = partition.log
          const readCommitted = (request.isolationLevel ?? 0) === 1
          const stable = log.lastStableOffset
          const position = {
            ...base,
            highWatermark: log.endOffset,
            lastStableOffset: stable,
            logStartOffset: log.logStartOffset,
            abortedTransactions: readCommitted ? log.abortedIn(p.fetchOffset, stable) : null,
          }
          if (p.fetchOffset < log.logStartOffset || p.fetchOffset > log.endOffset) {
            errors = true
            return { ...position, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: null }
          }
          // Whole batches; the first batch of the response goes out even when it is larger than the limits (KIP-74).
          const limit = Math.min(p.partitionMaxBytes, budget.bytes)
          // read_committed readers get nothing at or past the last stable offset (an open transaction's records).
          const batches = log.read(p.fetchOffset, limit, budget.first).filter((b) => !readCommitted || b.baseOffset < stable)
          const size = batches.reduce((sum, b) => sum + b.bytes.length, 0)
          if (batches.length > 0) budget.first = false
          budget.bytes = Math.max(0, budget.bytes - size)
          total += size
          return {
            ...position,
            errorCode: 0,
            records: batches.length === 0 ? Buffer.alloc(0) : Buffer.concat(batches.map((b) => b.bytes), size),
          }
        }),
      }
    })
    if (!final && !errors && total < request.minBytes && request.maxWaitMs > 0) return undefined
    return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses }
  }
  const immediate = answer(false)
  if (immediate !== undefined) {
    ctx.reply(immediate)
    return undefined
  }
  let timer: Subscription | undefined
  const finish = (): void => {
    stopWaiting()
    timer?.unsubscribe()
    timer = undefined
  }
  const stopWaiting = brokers.waitForData(
    involved,
    () => {
      const ready = answer(false)
      if (ready === undefined) return
      finish()
      ctx.reply(ready)
    },
    () => finish(),
  )
  timer = brokers.scheduler.schedule(() => {
    timer = undefined
    finish()
    ctx.reply(answer(true))
  }, request.maxWaitMs)
  return finish
}

function listOffsets(brokers: VirtualBrokers, request: ListOffsetsRequest, ctx: HandlerContext): ListOffsetsResponse {
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((t) => {
      const topic = brokers.topics.get(t.name)
      return {
        name: t.name,
        partitions: t.partitions.map((p): ListOffsetsResponseListOffsetsPartitionResponse => {
          const partition = topic?.partitions[p.partitionIndex]
          const errorCode = leadershipError(partition, ctx.broker, ctx.version >= 4 ? p.currentLeaderEpoch : undefined)
          if (errorCode !== 0 || partition === undefined) {
            return { partitionIndex: p.partitionIndex, errorCode, timestamp: -1n, offset: -1n, leaderEpoch: -1 }
          }
          const log = partition.log
          const found = (offset: bigint, timestamp: bigint): ListOffsetsResponseListOffsetsPartitionResponse => ({
            partitionIndex: p.partitionIndex,
            errorCode: 0,
            timestamp,
            offset,
            leaderEpoch: partition.leaderEpoch,
          })
          const ts = p.timestamp
          if (ts === -2n || ts === -4n) return found(log.logStartOffset, -1n)
          if (ts === -1n) return found(log.endOffset, -1n)
          if (ts === -3n) {
            const max = log.maxTimestampRecord()
            return max === undefined ? found(-1n, -1n) : found(max.offset, BigInt(max.timestamp))
          }
          if (ts < 0n) {
            return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.INVALID_REQUEST, timestamp: -1n, offset: -1n, leaderEpoch: -1 }
          }
          const hit = log.offsetForTimestamp(Number(ts))
          return hit === undefined ? found(-1n, -1n) : found(hit.offset, BigInt(hit.timestamp))
        }),
      }
    }),
  }
}
