/**
 * The transactional producer: one `transactionalId`, one transaction at a
 * time. It speaks the transaction protocol of KIP-98 with the group fencing
 * of KIP-447:
 *
 *   FindCoordinator(TRANSACTION) -> InitProducerId(transactionalId)      once (TV1: and after each abort)
 *   AddPartitionsToTxn                                                    TV1: before the first write to a partition
 *   Produce (transactionalId, transactional batches, acks=all)            idempotent sequences per partition
 *   AddOffsetsToTxn + TxnOffsetCommit (generation, member id)             consumed offsets (TV2: TxnOffsetCommit alone)
 *   EndTxn(commit | abort)                                                TV2: answers the next epoch
 *
 * It speaks the transaction version the coordinator's cluster finalized
 * (`transaction.version` in the ApiVersions features, read after
 * InitProducerId):
 * - 2 or more, "transaction version 2" (KIP-890 part 2): Produce v12 and
 *   TxnOffsetCommit v5 add their partition / group to the transaction
 *   implicitly (no AddPartitionsToTxn, no AddOffsetsToTxn), and EndTxn v5
 *   answers a bumped epoch (sometimes a new producer id) that the next
 *   transaction uses, sequences from 0. An abort needs no InitProducerId then.
 * - otherwise "transaction version 1": Produce up to v11, TxnOffsetCommit up
 *   to v4, EndTxn up to v4, explicit AddPartitionsToTxn and AddOffsetsToTxn,
 *   and an epoch bump by InitProducerId after each abort. The broker reads
 *   Produce v12 / TxnOffsetCommit v5 in a transaction as "TV2 client", so TV1
 *   must stay below them.
 *
 * It has its own small sender instead of the ProducerEngine: a transaction is
 * a bounded set of records that must all be acknowledged before EndTxn, and it
 * needs none of the engine's linger, circuit breakers or rerouting (a record
 * may not move to a partition the transaction did not add). Errors fall in
 * Kafka's three kinds: retriable ones are retried here, abortable ones reject
 * with the broker error (the caller aborts), fatal ones reject with
 * {@link TransactionFencedError} / {@link TransactionFailedError} and the
 * producer stays failed.
 */
import { firstValueFrom, type Observable } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { brokerError, KafkaBrokerError, RxKafkaError, TransactionFailedError, TransactionFencedError, TransactionStateError } from '../errors/index.js'
import { backoffDelay, type BackoffOptions } from '../kit/backoff.js'
import { ErrorCode } from '../protocol/error-codes.js'
import type { ApiDefinition } from '../protocol/api.js'
import { AddOffsetsToTxnApi } from '../protocol/messages/AddOffsetsToTxn.js'
import { AddPartitionsToTxnApi } from '../protocol/messages/AddPartitionsToTxn.js'
import { EndTxnApi } from '../protocol/messages/EndTxn.js'
import { InitProducerIdApi } from '../protocol/messages/InitProducerId.js'
import { TxnOffsetCommitApi } from '../protocol/messages/TxnOffsetCommit.js'
import type { CompressionCodecName } from '../protocol/compression/index.js'
import type { TransactionalProducerOptions, TransactionalRecord, TransactionalWrite, TransactionGroupMetadata, TransactionOffset } from './transaction-types.js'
import { TransactionalSender, type PartitionWrite } from './transactional-sender.js'

export type { TransactionalProducerOptions, TransactionalRecord, TransactionalWrite, TransactionGroupMetadata, TransactionOffset } from './transaction-types.js'

type ManagerState = 'uninitialised' | 'ready' | 'in-transaction' | 'failed'

/** Highest versions of "transaction version 1", and the lowest of version 2 (see the file comment). */
const TV1_TXN_OFFSET_COMMIT_MAX = 4
const TV1_END_TXN_MAX = 4
const TV1_ADD_PARTITIONS_MAX = 3
const TV2_TXN_OFFSET_COMMIT = 5
const TV2_END_TXN = 5
/** The finalized feature that names the transaction version (KIP-890, KIP-1022). */
const TRANSACTION_VERSION_FEATURE = 'transaction.version'

const FENCING_CODES: ReadonlySet<number> = new Set([ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH])
const FATAL_CODES: ReadonlySet<number> = new Set([
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  ErrorCode.INVALID_TXN_STATE,
  ErrorCode.UNSUPPORTED_VERSION,
  ErrorCode.INVALID_TRANSACTION_TIMEOUT,
  ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
])
/** Retriable inside a transaction although not retriable in general (the previous transaction is still completing). */
const RETRY_CODES: ReadonlySet<number> = new Set([ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS])
const COORDINATOR_CODES: ReadonlySet<number> = new Set([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE])

/**
 * A transactional producer over a cluster client. One transaction at a time:
 * `begin`, then `send` and `sendOffsets` as often as needed, then `commit` or
 * `abort`. Methods reject with a broker error for abortable failures (abort
 * next) and with TransactionFencedError / TransactionFailedError for fatal
 * ones. The transaction forms of `rxkafka` (`kafka.transaction`,
 * `transactionalWindow`) drive it; use it directly only for something they do
 * not cover.
 *
 * @example
 * ```ts
 * const tm = new TransactionManager(kafka.cluster, { transactionalId: 'billing-1' })
 * await tm.begin()
 * try {
 *   await tm.send([{ topic: 'invoices', key: 'c-1', value: 'paid' }])
 *   await tm.commit()
 * } catch (e) { await tm.abort(); throw e }
 * ```
 */
export class TransactionManager {
  /** The transactional id this producer runs under. */
  readonly transactionalId: string
  readonly #client: ClusterClient
  readonly #timeoutMs: number
  readonly #compression: CompressionCodecName
  readonly #backoff: BackoffOptions
  readonly #retryTimeoutMs: number
  readonly #sender: TransactionalSender
  /** Next sequence per "topic\0partition" for the current producer id and epoch. */
  readonly #sequences = new Map<string, number>()
  /** Partitions and groups added to the open transaction. */
  readonly #partitionsInTxn = new Set<string>()
  readonly #groupsInTxn = new Set<string>()
  #state: ManagerState = 'uninitialised'
  #producerId = -1n
  #producerEpoch = -1
  /** The failure that ended the producer, returned by every later call. */
  #fatal: RxKafkaError | undefined
  /** Set after an abort: the next begin() bumps the epoch, so no sequence of the aborted writes can matter. */
  #needsReinit = false
  #transactions = 0
  #aborts = 0
  /** The transaction version in use: 2 when the coordinator's cluster finalized `transaction.version` >= 2 (read at InitProducerId). */
  #transactionVersion: 1 | 2 = 1
  #initializing: Promise<void> | undefined

  constructor(client: ClusterClient, options: TransactionalProducerOptions) {
    this.#client = client
    this.transactionalId = options.transactionalId
    this.#timeoutMs = options.transactionTimeoutMs ?? 60_000
    this.#compression = options.compression ?? 'none'
    this.#backoff = { initialMs: 5, maxMs: 1_000, factor: 2, jitter: 0.2, ...options.retryBackoff }
    this.#retryTimeoutMs = options.retryTimeoutMs ?? 30_000
    const manager = this
    this.#sender = new TransactionalSender({
      client,
      transactionalId: this.transactionalId,
      compression: this.#compression,
      backoff: this.#backoff,
      retryTimeoutMs: this.#retryTimeoutMs,
      get producerId() { return manager.#producerId },
      get producerEpoch() { return manager.#producerEpoch },
      get transactionVersion() { return manager.#transactionVersion },
      sequences: this.#sequences,
      classify: (error, api) => this.#classify(error, api),
      now: () => this.#now(),
      sleep: (ms) => this.#sleep(ms),
    })
  }

  /** The producer id and epoch in use (-1 before the first transaction). */
  get producer(): {
    /** The producer id the coordinator gave this transactional id. */
    producerId: bigint
    /** The current epoch: a newer one fences this producer. */
    producerEpoch: number
  } {
    return { producerId: this.#producerId, producerEpoch: this.#producerEpoch }
  }

  /**
   * The transaction protocol in use: 2 (KIP-890 part 2: implicit adds, epoch
   * bumped by every EndTxn) when the cluster finalized `transaction.version`
   * 2 or more, else 1. Known after the first InitProducerId; 1 before.
   */
  get transactionVersion(): 1 | 2 {
    return this.#transactionVersion
  }

  /** Whether a transaction is open. */
  get inTransaction(): boolean {
    return this.#state === 'in-transaction'
  }

  /** Committed and aborted transactions so far. */
  get counts(): {
    /** Transactions committed. */
    committed: number
    /** Transactions aborted. */
    aborted: number
  } {
    return { committed: this.#transactions, aborted: this.#aborts }
  }

  /** The fatal error that ended this producer, if one did. */
  get fatalError(): RxKafkaError | undefined {
    return this.#fatal
  }

  /**
   * Initialises the producer id now (InitProducerId), without beginning a
   * transaction: fences older producers with the same transactionalId and
   * aborts what they left open. A restarted consumer-transform-produce app
   * must do this before it reads its group's offsets, because those stay
   * unstable (KIP-447) while its predecessor's transaction is open. Idempotent.
   */
  async initialize(): Promise<void> {
    this.#checkUsable()
    if (this.#state !== 'uninitialised') return
    this.#initializing ??= this.#initProducerId().finally(() => {
      this.#initializing = undefined
    })
    await this.#initializing
  }

  /**
   * Begins a transaction, initialising the producer id first (which fences
   * every older producer with the same transactionalId and aborts what it left
   * open) or bumping the epoch after an abort.
   */
  async begin(): Promise<void> {
    this.#checkUsable()
    if (this.#state === 'in-transaction') {
      throw new TransactionStateError(this.transactionalId, 'begin() while a transaction is open', 'Commit or abort the open transaction first; one producer runs one transaction at a time')
    }
    if (this.#initializing !== undefined) await this.#initializing.catch(() => undefined)
    this.#checkUsable()
    if (this.#state === 'uninitialised' || this.#needsReinit) await this.#initProducerId()
    this.#partitionsInTxn.clear()
    this.#groupsInTxn.clear()
    this.#state = 'in-transaction'
  }

  /** Writes records in the open transaction; resolves when every one is acknowledged by all in-sync replicas. */
  async send(records: readonly TransactionalRecord[]): Promise<TransactionalWrite[]> {
    this.#checkOpen('send')
    if (records.length === 0) return []
    const topics = [...new Set(records.map((r) => r.topic))]
    const view = await firstValueFrom(this.#client.ensureTopics(topics))
    const byPartition = new Map<string, PartitionWrite>()
    records.forEach((record, index) => {
      const partition = this.#sender.partitionOf(record, view)
      const key = `${record.topic}\u0000${partition}`
      let entry = byPartition.get(key)
      if (entry === undefined) byPartition.set(key, (entry = { topic: record.topic, partition, records: [] }))
      entry.records.push({ record, index })
    })
    const added = [...byPartition.values()].filter((p) => !this.#partitionsInTxn.has(`${p.topic}\u0000${p.partition}`))
    if (this.#transactionVersion === 2) {
      // Produce v12 adds them at the broker. Counted before the write: a lost answer may still have added them, so EndTxn must go.
      for (const p of added) this.#partitionsInTxn.add(`${p.topic}\u0000${p.partition}`)
    } else if (added.length > 0) {
      await this.#addPartitions(added.map((p) => ({ topic: p.topic, partition: p.partition })))
    }

    return this.#sender.write(byPartition, view, topics, records.length)
  }

  /**
   * Commits consumed offsets in the open transaction (AddOffsetsToTxn, then
   * TxnOffsetCommit to the group coordinator with the member's generation and
   * id): they count only if the transaction commits, and a member fenced by a
   * rebalance cannot commit them.
   */
  async sendOffsets(group: TransactionGroupMetadata, offsets: readonly TransactionOffset[]): Promise<void> {
    this.#checkOpen('sendOffsets')
    if (offsets.length === 0) return
    const tv2 = this.#transactionVersion === 2
    // TV2: TxnOffsetCommit v5 adds the group's offsets partition itself. Counted before the call, as for Produce.
    if (tv2) this.#groupsInTxn.add(group.groupId)
    else if (!this.#groupsInTxn.has(group.groupId)) {
      await this.#coordinatorCall('transaction', this.transactionalId, AddOffsetsToTxnApi, {
        transactionalId: this.transactionalId,
        producerId: this.#producerId,
        producerEpoch: this.#producerEpoch,
        groupId: group.groupId,
      }, (r) => r.errorCode)
      this.#groupsInTxn.add(group.groupId)
    }
    const topics = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }[]>()
    for (const o of offsets) {
      let list = topics.get(o.topic)
      if (list === undefined) topics.set(o.topic, (list = []))
      list.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch ?? -1, committedMetadata: null })
    }
    await this.#coordinatorCall('group', group.groupId, TxnOffsetCommitApi, (version: number) => ({
      transactionalId: this.transactionalId,
      groupId: group.groupId,
      producerId: this.#producerId,
      producerEpoch: this.#producerEpoch,
      ...(version >= 3 ? { generationIdOrMemberEpoch: group.generationId, memberId: group.memberId, groupInstanceId: group.groupInstanceId } : {}),
      topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
    }), (r) => {
      for (const t of r.topics) for (const p of t.partitions) if (p.errorCode !== 0) return p.errorCode
      return 0
    }, tv2 ? { minVersion: TV2_TXN_OFFSET_COMMIT, maxVersion: TV2_TXN_OFFSET_COMMIT } : { maxVersion: TV1_TXN_OFFSET_COMMIT_MAX, minVersion: 3 })
  }

  /** Commits the open transaction: its writes and offsets become visible together. */
  async commit(): Promise<void> {
    this.#checkOpen('commit')
    await this.#endTxn(true)
    this.#transactions++
  }

  /**
   * Aborts the open transaction (a no-op without one): nothing it wrote or
   * committed becomes visible. The next begin() bumps the epoch.
   */
  async abort(): Promise<void> {
    if (this.#state !== 'in-transaction') return
    this.#aborts++
    // A transaction that never wrote anything is not open at the coordinator: nothing to end there, and no sequence used.
    if (this.#partitionsInTxn.size === 0 && this.#groupsInTxn.size === 0) {
      if (this.#transactionVersion === 1) this.#needsReinit = true
      this.#state = 'ready'
      return
    }
    // TV1 bumps the epoch by InitProducerId; TV2's EndTxn answers the bumped epoch (#endTxn clears this on success).
    this.#needsReinit = true
    try {
      await this.#endTxn(false)
      if (this.#transactionVersion === 2) this.#needsReinit = false
    } finally {
      // Even when EndTxn failed, the next begin() re-initialises, which aborts what the coordinator still has open.
      this.#partitionsInTxn.clear()
      this.#groupsInTxn.clear()
      if (this.#state === 'in-transaction') this.#state = 'ready'
    }
  }

  async #endTxn(committed: boolean): Promise<void> {
    if (this.#partitionsInTxn.size > 0 || this.#groupsInTxn.size > 0) {
      const tv2 = this.#transactionVersion === 2
      const response = await this.#coordinatorCall('transaction', this.transactionalId, EndTxnApi, {
        transactionalId: this.transactionalId,
        producerId: this.#producerId,
        producerEpoch: this.#producerEpoch,
        committed,
      }, (r) => r.errorCode, tv2 ? { minVersion: TV2_END_TXN, maxVersion: TV2_END_TXN } : { maxVersion: TV1_END_TXN_MAX })
      if (tv2) {
        // KIP-890 part 2: every transaction ends with a new epoch (a new producer id once the epoch runs out); sequences restart.
        if (response.producerId === undefined || response.producerId < 0n || response.producerEpoch === undefined || response.producerEpoch < 0) {
          throw this.#failWith(new TransactionFailedError(this.transactionalId, 'EndTxn v5 answered without the next producer id and epoch', {
            api: 'EndTxn',
            hint: 'The coordinator finalized transaction.version 2 but did not bump the epoch; report this broker behaviour',
          }))
        }
        this.#producerId = response.producerId
        this.#producerEpoch = response.producerEpoch
        this.#sequences.clear()
      }
    }
    this.#partitionsInTxn.clear()
    this.#groupsInTxn.clear()
    if (this.#state === 'in-transaction') this.#state = 'ready'
  }

  async #initProducerId(): Promise<void> {
    const bump = this.#producerId >= 0n
    const response = await this.#coordinatorCall('transaction', this.transactionalId, InitProducerIdApi, (version: number) => ({
      transactionalId: this.transactionalId,
      transactionTimeoutMs: this.#timeoutMs,
      ...(bump && version >= 3 ? { producerId: this.#producerId, producerEpoch: this.#producerEpoch } : {}),
    }), (r) => r.errorCode)
    this.#producerId = response.producerId
    this.#producerEpoch = response.producerEpoch
    this.#sequences.clear()
    this.#needsReinit = false
    this.#transactionVersion = await this.#coordinatorTransactionVersion()
    this.#state = 'ready'
  }

  /**
   * 2 when the transaction coordinator announced a finalized
   * `transaction.version` of 2 or more (its connection has just answered
   * InitProducerId, so its ApiVersions are known), else 1.
   */
  async #coordinatorTransactionVersion(): Promise<1 | 2> {
    const coordinator = await firstValueFrom(this.#client.findCoordinator('transaction', this.transactionalId))
    const level = this.#client.finalizedFeatures(coordinator)?.get(TRANSACTION_VERSION_FEATURE) ?? 0
    return level >= 2 ? 2 : 1
  }

  async #addPartitions(partitions: { topic: string; partition: number }[]): Promise<void> {
    const topics = new Map<string, number[]>()
    for (const p of partitions) {
      let list = topics.get(p.topic)
      if (list === undefined) topics.set(p.topic, (list = []))
      list.push(p.partition)
    }
    await this.#coordinatorCall('transaction', this.transactionalId, AddPartitionsToTxnApi, {
      v3AndBelowTransactionalId: this.transactionalId,
      v3AndBelowProducerId: this.#producerId,
      v3AndBelowProducerEpoch: this.#producerEpoch,
      v3AndBelowTopics: [...topics].map(([name, list]) => ({ name, partitions: list })),
    }, (r) => {
      for (const t of r.resultsByTopicV3AndBelow ?? []) {
        for (const p of t.resultsByPartition) {
          if (p.partitionErrorCode !== 0 && p.partitionErrorCode !== ErrorCode.OPERATION_NOT_ATTEMPTED) return p.partitionErrorCode
        }
      }
      return 0
    }, { maxVersion: TV1_ADD_PARTITIONS_MAX })
    for (const p of partitions) this.#partitionsInTxn.add(`${p.topic}\u0000${p.partition}`)
  }

  /**
   * A request to the transaction or group coordinator: coordinator errors look
   * it up again, CONCURRENT_TRANSACTIONS and other retriable errors are retried
   * with backoff up to retryTimeoutMs; the rest is classified.
   */
  async #coordinatorCall<Req, Res>(
    type: 'transaction' | 'group',
    key: string,
    api: ApiDefinition<Req, Res>,
    body: Req | ((version: number) => Req),
    errorOf: (response: Res) => number,
    options: { maxVersion?: number; minVersion?: number } = {},
  ): Promise<Res> {
    const started = this.#now()
    for (let attempt = 0; ; attempt++) {
      let failure: unknown
      try {
        const coordinator = await firstValueFrom(this.#client.findCoordinator(type, key))
        const response = await firstValueFrom(this.#client.request(coordinator, api, body, options) as Observable<Res>)
        const code = errorOf(response)
        if (code === 0) return response
        if (COORDINATOR_CODES.has(code)) this.#client.invalidateCoordinator(type, key)
        failure = brokerError(code, { api: api.name })
        if (!(COORDINATOR_CODES.has(code) || RETRY_CODES.has(code) || (failure as KafkaBrokerError).retriable)) throw this.#classify(failure, api.name)
      } catch (error) {
        if (error instanceof TransactionFencedError || error instanceof TransactionFailedError) throw error
        if (!(error instanceof RxKafkaError) || !error.retriable) throw this.#classify(error, api.name)
        if (error.code === 'CONNECTION' || error.code === 'REQUEST_TIMEOUT') this.#client.invalidateCoordinator(type, key)
        failure = error
      }
      if (this.#now() - started > this.#retryTimeoutMs) throw failure
      await this.#sleep(backoffDelay(Math.min(attempt, 10), this.#backoff))
    }
  }

  /** Fencing and fatal codes end the producer; everything else is abortable and returned as it is. */
  #classify(error: unknown, api: string): unknown {
    if (error instanceof KafkaBrokerError) {
      if (FENCING_CODES.has(error.errorCode)) return this.#failWith(new TransactionFencedError(this.transactionalId, api, error))
      // Under transaction version 2 the coordinator takes an EndTxn at the epoch before its own as a retry of the
      // last one; when that one was an abort (a newer instance's InitProducerId, or the transaction timeout, aborted
      // this transaction and bumped the epoch) and this EndTxn asks to commit, it answers INVALID_TXN_STATE. This
      // producer's epoch is behind: it was fenced, as PRODUCER_FENCED would have said.
      if (api === 'EndTxn' && this.#transactionVersion === 2 && error.errorCode === ErrorCode.INVALID_TXN_STATE) {
        return this.#failWith(new TransactionFencedError(this.transactionalId, api, error))
      }
      if (FATAL_CODES.has(error.errorCode)) {
        return this.#failWith(new TransactionFailedError(this.transactionalId, `the broker refused ${api}`, {
          api,
          cause: error,
          hint: error.hint ?? 'Check that the cluster supports transactions and that this principal may use the transactionalId',
        }))
      }
    }
    return error
  }

  #failWith(error: RxKafkaError): RxKafkaError {
    this.#state = 'failed'
    this.#fatal ??= error
    return this.#fatal
  }

  #checkUsable(): void {
    if (this.#fatal !== undefined) throw this.#fatal
  }

  #checkOpen(what: string): void {
    this.#checkUsable()
    if (this.#state !== 'in-transaction') {
      throw new TransactionStateError(this.transactionalId, `${what}() without an open transaction`, 'Call it inside the transaction: between begin() and commit()/abort(), or inside the kafka.transaction callback before it resolves')
    }
  }

  #now(): number {
    return this.#client.scheduler.now()
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#client.scheduler.schedule(() => resolve(), ms)
    })
  }
}
