/**
 * The scripted cluster of the producer specs: a KafkaCluster whose brokers
 * answer Produce and InitProducerId like a broker that accepts everything
 * (offsets counted per partition), unless a spec scripts the answer, and
 * that records what the producer sent and whether it let go of everything.
 */
import { asyncScheduler, type Observable, type SchedulerLike } from 'rxjs'
import type { ProduceRequest, ProduceResponse } from '../../lib/protocol/messages/Produce.js'
import { ScriptedCluster } from '../support/scripted-cluster.js'

/** What the specs read out of a batch the producer sent (header fields of RecordBatch v2). */
export interface SentBatch {
  broker: number
  topic: string
  partition: number
  records: number
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  attributes: number
  bytes: Buffer
}

export interface ProduceCall {
  broker: number
  request: ProduceRequest
  batches: SentBatch[]
  at: number
}

/** Answers one Produce request; return undefined for the default success answer. */
export type ProduceScript = (call: ProduceCall, defaultAnswer: () => ProduceResponse) => Observable<ProduceResponse> | undefined

export interface ProducerClusterOptions {
  /** Default `asyncScheduler`. */
  scheduler?: SchedulerLike
  /** topic -> leaders per partition (index = partition; -1: no leader). */
  topics: Record<string, number[]>
  brokers?: number[]
  produce?: ProduceScript
  /** How long ensureTopics waits for a topic the brokers do not have. Default 10 000. */
  topicWaitMs?: number
}

export function partitionHeader(bytes: Buffer): Omit<SentBatch, 'broker' | 'topic' | 'partition' | 'bytes'> {
  return {
    records: bytes.readInt32BE(57),
    producerId: bytes.readBigInt64BE(43),
    producerEpoch: bytes.readInt16BE(51),
    baseSequence: bytes.readInt32BE(53),
    attributes: bytes.readInt16BE(21),
  }
}

export class ProducerCluster extends ScriptedCluster {
  readonly produceCalls: ProduceCall[] = []
  /** Offsets handed out per `topic/partition`. */
  readonly logEnd = new Map<string, bigint>()
  /** Batches the broker "wrote" (successful answers), in order, per `topic/partition`. */
  readonly written = new Map<string, SentBatch[]>()
  /** What each InitProducerId asked for, as the broker decoded it (-1 where the producer named no id). */
  readonly initProducerIdCalls: { producerId: bigint; producerEpoch: number }[] = []
  nextProducerId = 1000n
  /** Answer epoch bumps with INVALID_PRODUCER_ID_MAPPING, as librdkafka's mock does for non-transactional producers. */
  refuseBump = false
  produceScript: ProduceScript | undefined

  constructor(options: ProducerClusterOptions) {
    super({ scheduler: options.scheduler ?? asyncScheduler, topics: options.topics, brokers: options.brokers, topicWaitMs: options.topicWaitMs })
    this.produceScript = options.produce
    this.handlers.Produce = (body: ProduceRequest, _version, request) => {
      const call = this.record(request!.broker, body, request!.at)
      return this.produceScript?.(call, () => this.successFor(call)) ?? this.successFor(call)
    }
    this.handlers.InitProducerId = (body: { producerId: bigint; producerEpoch: number }) => {
      this.initProducerIdCalls.push({ producerId: body.producerId, producerEpoch: body.producerEpoch })
      if (body.producerId >= 0n) {
        if (this.refuseBump) return { throttleTimeMs: 0, errorCode: 49, producerId: -1n, producerEpoch: -1 }
        return { throttleTimeMs: 0, errorCode: 0, producerId: body.producerId, producerEpoch: body.producerEpoch + 1 }
      }
      return { throttleTimeMs: 0, errorCode: 0, producerId: this.nextProducerId++, producerEpoch: 0 }
    }
  }

  /** All batches sent (every attempt), in order. */
  get sentBatches(): SentBatch[] {
    return this.produceCalls.flatMap((c) => c.batches)
  }

  /** Metadata requests after the first Produce: the refreshes the producer asked for once it was sending. */
  get refreshesWhileSending(): number {
    const first = this.requests.findIndex((r) => r.api === 'Produce')
    return first < 0 ? 0 : this.requests.slice(first).filter((r) => r.api === 'Metadata').length
  }

  /** A success answer for every partition of the call, assigning offsets. */
  successFor(call: ProduceCall, codes: Record<string, number> = {}): ProduceResponse {
    return {
      throttleTimeMs: 0,
      responses: call.request.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => {
          const key = `${t.name}/${p.index}`
          const errorCode = codes[key] ?? 0
          if (errorCode !== 0) return { index: p.index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: null }
          const batch = call.batches.find((b) => b.topic === t.name && b.partition === p.index)!
          const base = this.logEnd.get(key) ?? 0n
          this.logEnd.set(key, base + BigInt(batch.records))
          const list = this.written.get(key) ?? []
          list.push(batch)
          this.written.set(key, list)
          return { index: p.index, errorCode: 0, baseOffset: base, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null }
        }),
      })),
    }
  }

  private record(broker: number, request: ProduceRequest, at: number): ProduceCall {
    const batches: SentBatch[] = []
    for (const t of request.topicData) {
      for (const p of t.partitionData) {
        const bytes = Buffer.from(p.records!)
        batches.push({ broker, topic: t.name ?? '', partition: p.index, bytes, ...partitionHeader(bytes) })
      }
    }
    const call = { broker, request, batches, at }
    this.produceCalls.push(call)
    return call
  }
}
