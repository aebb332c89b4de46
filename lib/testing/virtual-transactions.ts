/**
 * The virtual cluster's transaction coordinator: AddPartitionsToTxn,
 * AddOffsetsToTxn, TxnOffsetCommit and EndTxn (transaction version 1, which
 * rxkafka's transactional producer speaks to clusters, such as this one, that
 * finalize no transaction.version 2), fencing of older epochs, and
 * the markers EndTxn writes into each partition of the transaction. The
 * partition logs keep the open transactions (the last stable offset) and the
 * aborted ones (lib/testing/virtual-log.ts); the Fetch handler serves
 * read_committed readers from them. Everything happens at once: a commit's
 * markers are written before EndTxn answers, so there is no
 * CONCURRENT_TRANSACTIONS window to model.
 */
import { ErrorCode } from '../protocol/error-codes.js'
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../protocol/messages/AddOffsetsToTxn.js'
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../protocol/messages/AddPartitionsToTxn.js'
import type { EndTxnRequest, EndTxnResponse } from '../protocol/messages/EndTxn.js'
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../protocol/messages/TxnOffsetCommit.js'
import { buildControlBatch } from '../protocol/records/record-batch-builder.js'
import type { StoredOffset } from './virtual-group.js'
import type { VirtualPartition } from './virtual-broker.js'
import { answering, virtualApi } from './virtual-handler.js'
import { partitionKey } from './virtual-partition-key.js'

// Transaction version 1: no finalized features, so clients speak TV1.
export const ADD_PARTITIONS_TO_TXN_API = virtualApi<AddPartitionsToTxnRequest>({
  apiKey: 24,
  name: 'AddPartitionsToTxn',
  versions: { minVersion: 0, maxVersion: 3 },
  handle: answering((brokers, request, ctx) => brokers.transactions.addPartitions(request, ctx.broker)),
  failed: (request, _version, errorCode): AddPartitionsToTxnResponse => ({
    throttleTimeMs: 0,
    resultsByTopicV3AndBelow: (request.v3AndBelowTopics ?? []).map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: errorCode })) })),
  }),
})

export const ADD_OFFSETS_TO_TXN_API = virtualApi<AddOffsetsToTxnRequest>({
  apiKey: 25,
  name: 'AddOffsetsToTxn',
  versions: { minVersion: 0, maxVersion: 3 },
  handle: answering((brokers, request, ctx) => brokers.transactions.addOffsets(request, ctx.broker)),
  failed: (_request, _version, errorCode): AddOffsetsToTxnResponse => ({ throttleTimeMs: 0, errorCode }),
})

export const END_TXN_API = virtualApi<EndTxnRequest>({
  apiKey: 26,
  name: 'EndTxn',
  versions: { minVersion: 0, maxVersion: 4 },
  handle: answering((brokers, request, ctx) => brokers.transactions.endTxn(request, ctx.broker)),
  failed: (_request, _version, errorCode): EndTxnResponse => ({ throttleTimeMs: 0, errorCode }),
})

export const TXN_OFFSET_COMMIT_API = virtualApi<TxnOffsetCommitRequest>({
  apiKey: 28,
  name: 'TxnOffsetCommit',
  versions: { minVersion: 0, maxVersion: 4 },
  handle: answering((brokers, request, ctx) => brokers.transactions.txnOffsetCommit(request, ctx.broker)),
  failed: (request, _version, errorCode) => everyPartition(request, errorCode),
})

/** TxnOffsetCommit's answer: `errorCode` for every partition asked. */
function everyPartition(request: TxnOffsetCommitRequest, errorCode: number): TxnOffsetCommitResponse {
  return { throttleTimeMs: 0, topics: request.topics.map((t) => ({ name: t.name ?? '', partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) }
}

/** What the coordinator needs from the cluster it belongs to. */
export interface TransactionHost {
  /** The partition, or undefined when the topic or partition does not exist. */
  partition(topic: string, partition: number): VirtualPartition | undefined
  /** 0, or NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE for a key this broker does not coordinate. */
  coordinatorError(key: string, broker: number): number
  /** 0 when the member may commit for the group in this generation (the group's own check, KIP-447). */
  checkGroupCommit(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number
  /** Stores a committed offset of a group. */
  commitOffset(groupId: string, key: string, offset: StoredOffset): void
  /** Wakes fetches waiting on these partitions (a marker moved their last stable offset). */
  notifyAppended(partitions: Iterable<VirtualPartition>): void
  nowMs(): number
}

interface TransactionState {
  producerId: bigint
  epoch: number
  partitions: Set<VirtualPartition>
  groups: Set<string>
  /** Group id -> partition key -> offset, applied when the transaction commits. */
  pendingOffsets: Map<string, Map<string, StoredOffset>>
}

/** The transactions of one virtual cluster, by transactional id. */
export class VirtualTransactions {
  private readonly states = new Map<string, TransactionState>()
  /** Aborted and committed transactions so far, for the cluster's snapshot. */
  committed = 0
  aborted = 0

  constructor(private readonly host: TransactionHost) {}

  /**
   * InitProducerId gave `transactionalId` a new epoch: the transaction an older
   * epoch left open is aborted (its markers carry the new epoch, as Kafka's do).
   */
  onInitProducerId(transactionalId: string, producerId: bigint, epoch: number): void {
    const state = this.states.get(transactionalId)
    if (state !== undefined && (state.partitions.size > 0 || state.groups.size > 0)) this.end(state, false, epoch)
    this.states.set(transactionalId, { producerId, epoch, partitions: new Set(), groups: new Set(), pendingOffsets: new Map() })
  }

  /** 0 when a transactional batch of this producer may be written to `partition` (added, current epoch). */
  checkProduce(producerId: bigint, epoch: number, partition: VirtualPartition): number {
    for (const state of this.states.values()) {
      if (state.producerId !== producerId) continue
      if (epoch < state.epoch) return ErrorCode.INVALID_PRODUCER_EPOCH
      return state.partitions.has(partition) ? 0 : ErrorCode.INVALID_TXN_STATE
    }
    return ErrorCode.INVALID_PRODUCER_ID_MAPPING
  }

  /** Whether a group's offset of `key` waits in an open transaction (OffsetFetch with requireStable says UNSTABLE_OFFSET_COMMIT). */
  hasPendingOffset(groupId: string, key: string): boolean {
    for (const state of this.states.values()) if (state.pendingOffsets.get(groupId)?.has(key) === true) return true
    return false
  }

  addPartitions(request: AddPartitionsToTxnRequest, broker: number): AddPartitionsToTxnResponse {
    const topics = request.v3AndBelowTopics ?? []
    const id = request.v3AndBelowTransactionalId ?? ''
    const answer = (code: (topic: string, partition: number) => number): AddPartitionsToTxnResponse => ({
      throttleTimeMs: 0,
      resultsByTopicV3AndBelow: topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(t.name, p) })) })),
    })
    const refused = this.check(id, request.v3AndBelowProducerId ?? -1n, request.v3AndBelowProducerEpoch ?? -1, broker)
    if (refused !== 0) return answer(() => refused)
    const missing = topics.some((t) => t.partitions.some((p) => this.host.partition(t.name, p) === undefined))
    if (missing) return answer((t, p) => (this.host.partition(t, p) === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED))
    const state = this.states.get(id)!
    for (const t of topics) for (const p of t.partitions) state.partitions.add(this.host.partition(t.name, p)!)
    return answer(() => 0)
  }

  addOffsets(request: AddOffsetsToTxnRequest, broker: number): AddOffsetsToTxnResponse {
    const refused = this.check(request.transactionalId, request.producerId, request.producerEpoch, broker)
    if (refused === 0) this.states.get(request.transactionalId)!.groups.add(request.groupId)
    return { throttleTimeMs: 0, errorCode: refused }
  }

  /** Sent to the group coordinator: checks the member (KIP-447) and keeps the offsets until the transaction ends. */
  txnOffsetCommit(request: TxnOffsetCommitRequest, broker: number): TxnOffsetCommitResponse {
    const state = this.states.get(request.transactionalId)
    let error = this.host.coordinatorError(request.groupId, broker)
    if (error === 0) {
      if (state === undefined || state.producerId !== request.producerId) error = ErrorCode.INVALID_PRODUCER_ID_MAPPING
      else if (request.producerEpoch < state.epoch) error = ErrorCode.PRODUCER_FENCED
      else if (!state.groups.has(request.groupId)) error = ErrorCode.INVALID_TXN_STATE
      else error = this.host.checkGroupCommit(request.groupId, request.memberId ?? '', request.groupInstanceId ?? null, request.generationIdOrMemberEpoch ?? -1)
    }
    if (error === 0) {
      let pending = state!.pendingOffsets.get(request.groupId)
      if (pending === undefined) state!.pendingOffsets.set(request.groupId, (pending = new Map()))
      for (const t of request.topics) {
        for (const p of t.partitions) pending.set(partitionKey(t.name ?? '', p.partitionIndex), { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch ?? -1, metadata: p.committedMetadata })
      }
    }
    return everyPartition(request, error)
  }

  endTxn(request: EndTxnRequest, broker: number): EndTxnResponse {
    const refused = this.check(request.transactionalId, request.producerId, request.producerEpoch, broker)
    if (refused === 0) this.end(this.states.get(request.transactionalId)!, request.committed, request.producerEpoch)
    return { throttleTimeMs: 0, errorCode: refused }
  }

  private check(transactionalId: string, producerId: bigint, epoch: number, broker: number): number {
    const coordinator = this.host.coordinatorError(transactionalId, broker)
    if (coordinator !== 0) return coordinator
    const state = this.states.get(transactionalId)
    if (state === undefined || state.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
    if (epoch < state.epoch) return ErrorCode.PRODUCER_FENCED
    if (epoch > state.epoch) return ErrorCode.INVALID_PRODUCER_EPOCH
    return 0
  }

  private end(state: TransactionState, commit: boolean, markerEpoch: number): void {
    const marker = buildControlBatch({ type: commit ? 'commit' : 'abort', coordinatorEpoch: 0, producerId: state.producerId, producerEpoch: markerEpoch, timestamp: this.host.nowMs() }).bytes
    for (const partition of state.partitions) partition.log.writeMarker(marker, state.producerId, commit, partition.leaderEpoch)
    if (commit) {
      for (const [groupId, offsets] of state.pendingOffsets) for (const [key, offset] of offsets) this.host.commitOffset(groupId, key, offset)
      this.committed++
    } else {
      this.aborted++
    }
    const touched = [...state.partitions]
    state.partitions.clear()
    state.groups.clear()
    state.pendingOffsets.clear()
    if (touched.length > 0) this.host.notifyAppended(touched)
  }
}
