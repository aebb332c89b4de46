/**
 * The transactional producer's own small sender (see transaction-manager.ts
 * for why it is not the ProducerEngine): routes each record to a partition,
 * seals one transactional batch per partition (more for big writes) stamped
 * with the partition's next sequences, and sends them, batches of one
 * partition in order and partitions of one leader in shared requests,
 * retrying what may be retried until retryTimeoutMs. Produce v12 under
 * transaction version 2, at most v11 under version 1.
 */
import { firstValueFrom } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import type { ClusterView } from '../cluster/cluster-view.js'
import { brokerError, KafkaBrokerError, RxKafkaError, TransactionStateError } from '../errors/index.js'
import { backoffDelay, type BackoffOptions } from '../kit/backoff.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { ProduceApi, type ProduceRequestTopicProduceData } from '../protocol/messages/Produce.js'
import { RecordBatchBuilder } from '../protocol/records/record-batch-builder.js'
import type { CompressionCodecName } from '../protocol/compression/index.js'
import { createTopicPartitioner, type TopicPartitioner } from './partitioners.js'
import { addSequence } from './producer-batch.js'
import type { TransactionalRecord, TransactionalWrite } from './transaction-types.js'

const MAX_BATCH_BYTES = 512 * 1024
/** Highest Produce version of "transaction version 1", and the one of version 2. */
const TV1_PRODUCE_MAX = 11
const TV2_PRODUCE = 12

/** The records of one send() going to one partition, with their indexes in the call. */
export interface PartitionWrite {
  topic: string
  partition: number
  records: { record: TransactionalRecord; index: number }[]
}

/** What the sender reads from the manager that owns it. */
export interface TransactionalSenderHost {
  readonly client: ClusterClient
  readonly transactionalId: string
  readonly compression: CompressionCodecName
  readonly backoff: BackoffOptions
  readonly retryTimeoutMs: number
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly transactionVersion: 1 | 2
  /** Next sequence per "topic\0partition" for the current producer id and epoch. */
  readonly sequences: Map<string, number>
  /** Fencing and fatal errors end the producer (and are returned as its fatal error); the rest as it is. */
  classify(error: unknown, api: string): unknown
  now(): number
  sleep(ms: number): Promise<void>
}

interface PendingBatch {
  topic: string
  partition: number
  bytes: Buffer
  /** Indexes of its records in the send() call. */
  indexes: number[]
  baseOffset: bigint
}

export class TransactionalSender {
  readonly #partitioners = new Map<string, TopicPartitioner>()

  constructor(private readonly host: TransactionalSenderHost) {}

  /** The partition of a record: the one it names (checked), or the default partitioner's. */
  partitionOf(record: TransactionalRecord, view: ClusterView): number {
    const count = view.topics.get(record.topic)?.partitions.length ?? 0
    if (record.partition !== undefined) {
      if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= count) {
        throw new TransactionStateError(this.host.transactionalId, `record for ${record.topic} names partition ${record.partition}, which the topic (${count} partitions) does not have`, 'Name a partition in 0..partitions-1, or leave it out')
      }
      return record.partition
    }
    let partitioner = this.#partitioners.get(record.topic)
    if (partitioner === undefined) this.#partitioners.set(record.topic, (partitioner = createTopicPartitioner('default', record.topic, Math.random)))
    const key = record.key === undefined || record.key === null ? null : typeof record.key === 'string' ? Buffer.from(record.key, 'utf8') : record.key
    const all = Array.from({ length: count }, (_, i) => i)
    return partitioner.partition(key, record, count, all)
  }

  /**
   * Writes the records (grouped by partition, already added to the
   * transaction) and resolves with each one's offset, in the order of the
   * send() call of `count` records.
   */
  async write(byPartition: Map<string, PartitionWrite>, view: ClusterView, topics: string[], count: number): Promise<TransactionalWrite[]> {
    const host = this.host
    // One sealed batch (or several, for big writes) per partition, stamped with the next sequences.
    const batches: PendingBatch[] = []
    for (const [key, entry] of byPartition) {
      let builder = new RecordBatchBuilder({ initialCapacity: 16 * 1024 })
      let indexes: number[] = []
      const flush = (): void => {
        const sequence = host.sequences.get(key) ?? 0
        const sealed = builder.seal({ compression: host.compression, producerId: host.producerId, producerEpoch: host.producerEpoch, baseSequence: sequence, transactional: true })
        host.sequences.set(key, addSequence(sequence, indexes.length))
        batches.push({ topic: entry.topic, partition: entry.partition, bytes: sealed.bytes, indexes, baseOffset: -1n })
        builder = new RecordBatchBuilder({ initialCapacity: 16 * 1024 })
        indexes = []
      }
      for (const { record, index } of entry.records) {
        if (indexes.length > 0 && builder.sizeInBytes >= MAX_BATCH_BYTES) flush()
        builder.append({ key: record.key ?? null, value: record.value, headers: record.headers, timestamp: record.timestamp ?? Date.now() })
        indexes.push(index)
      }
      flush()
    }
    // Batches of one partition go in order, one request at a time; partitions of one leader share requests.
    const queues = new Map<string, PendingBatch[]>()
    for (const b of batches) {
      const key = `${b.topic}\u0000${b.partition}`
      let q = queues.get(key)
      if (q === undefined) queues.set(key, (q = []))
      q.push(b)
    }
    const started = host.now()
    let attempt = 0
    while (queues.size > 0) {
      const heads = [...queues.values()].map((q) => q[0]!)
      const byLeader = new Map<number, PendingBatch[]>()
      let unknownLeader = false
      for (const head of heads) {
        const leader = view.topics.get(head.topic)?.partitions[head.partition]?.leader ?? -1
        if (leader < 0) {
          unknownLeader = true
          continue
        }
        let list = byLeader.get(leader)
        if (list === undefined) byLeader.set(leader, (list = []))
        list.push(head)
      }
      const outcomes = await Promise.all([...byLeader].map(([leader, list]) => this.#produce(leader, list)))
      let retry = unknownLeader
      let refresh = unknownLeader
      for (const outcome of outcomes) {
        for (const done of outcome.done) {
          const key = `${done.topic}\u0000${done.partition}`
          const q = queues.get(key)!
          q.shift()
          if (q.length === 0) queues.delete(key)
        }
        if (outcome.retry !== undefined) {
          retry = true
          refresh ||= outcome.retry instanceof KafkaBrokerError ? outcome.retry.refreshMetadata : true
          if (host.now() - started > host.retryTimeoutMs) throw outcome.retry
        }
      }
      if (retry) {
        await host.sleep(backoffDelay(attempt++, host.backoff))
        if (refresh) view = await firstValueFrom(host.client.refreshMetadata(topics))
      }
    }
    const writes: TransactionalWrite[] = new Array<TransactionalWrite>(count)
    for (const b of batches) {
      b.indexes.forEach((index, i) => {
        writes[index] = { topic: b.topic, partition: b.partition, offset: b.baseOffset + BigInt(i) }
      })
    }
    return writes
  }

  /** One Produce request to one leader; says which batches are done and whether the rest should be retried. */
  async #produce(leader: number, batches: PendingBatch[]): Promise<{ done: PendingBatch[]; retry: KafkaBrokerError | RxKafkaError | undefined }> {
    const topicData = new Map<string, ProduceRequestTopicProduceData>()
    for (const b of batches) {
      let t = topicData.get(b.topic)
      if (t === undefined) topicData.set(b.topic, (t = { name: b.topic, partitionData: [] }))
      t.partitionData.push({ index: b.partition, records: b.bytes })
    }
    let response
    try {
      response = await firstValueFrom(this.host.client.request(leader, ProduceApi, {
        transactionalId: this.host.transactionalId,
        acks: -1,
        timeoutMs: 30_000,
        topicData: [...topicData.values()],
      }, this.host.transactionVersion === 2 ? { minVersion: TV2_PRODUCE, maxVersion: TV2_PRODUCE } : { minVersion: 3, maxVersion: TV1_PRODUCE_MAX }))
    } catch (error) {
      // No answer: the broker may have written them; the same sequences make the retry safe.
      if (error instanceof RxKafkaError && error.retriable) return { done: [], retry: error }
      throw this.host.classify(error, 'Produce')
    }
    const done: PendingBatch[] = []
    let retry: KafkaBrokerError | undefined
    for (const b of batches) {
      const p = response.responses.find((t) => t.name === b.topic)?.partitionResponses.find((r) => r.index === b.partition)
      if (p === undefined) {
        retry = brokerError(ErrorCode.UNKNOWN_SERVER_ERROR, { api: 'Produce', topic: b.topic, partition: b.partition })
        continue
      }
      if (p.errorCode === 0 || p.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
        b.baseOffset = p.baseOffset
        done.push(b)
        continue
      }
      const error = brokerError(p.errorCode, { api: 'Produce', broker: leader, topic: b.topic, partition: b.partition, errorMessage: p.errorMessage })
      if (error.retriable) retry = error
      else throw this.host.classify(error, 'Produce')
    }
    return { done, retry }
  }
}
