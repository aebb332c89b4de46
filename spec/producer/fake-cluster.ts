/**
 * A small in-memory ClusterClient for producer specs: a fixed cluster view,
 * scripted Produce answers, and counters that show what the producer asked
 * for and whether it let go of everything.
 */
import { DiagnosticsRegistry } from '../../lib/kit/diagnostics-registry.js'
import { BehaviorSubject, defer, finalize, Observable, of, throwError, asyncScheduler } from 'rxjs'
import type { SchedulerLike } from 'rxjs'
import type { ClusterClient, ClusterRequestBody, ClusterRequestOptions } from '../../lib/cluster/cluster-client.js'
import type { BrokerInfo, ClusterView, PartitionInfo, TopicInfo } from '../../lib/cluster/cluster-view.js'
import type { ApiDefinition } from '../../lib/protocol/api.js'
import type { ProduceRequest, ProduceResponse } from '../../lib/protocol/messages/Produce.js'

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

export interface FakeClusterOptions {
  scheduler?: SchedulerLike
  /** topic -> leaders per partition (index = partition). */
  topics: Record<string, number[]>
  brokers?: number[]
  produce?: ProduceScript
  /** Topics ensureTopics rejects (with this error). */
  missingTopics?: Record<string, Error>
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

export class FakeCluster implements ClusterClient {
  readonly clientId = 'fake'
  readonly parts = new DiagnosticsRegistry()
  readonly scheduler: SchedulerLike
  readonly view: BehaviorSubject<ClusterView>
  readonly metadata$: Observable<ClusterView>
  readonly produceCalls: ProduceCall[] = []
  /** Offsets handed out per `topic/partition`. */
  readonly logEnd = new Map<string, bigint>()
  /** Batches the fake "wrote" (successful answers), in order, per `topic/partition`. */
  readonly written = new Map<string, SentBatch[]>()
  initProducerIdCalls: { producerId?: bigint; producerEpoch?: number }[] = []
  refreshes = 0
  users = 0
  activeRequests = 0
  nextProducerId = 1000n
  /** Answer epoch bumps with INVALID_PRODUCER_ID_MAPPING, as librdkafka's mock does for non-transactional producers. */
  refuseBump = false
  produceScript: ProduceScript | undefined
  readonly missingTopics: Record<string, Error>

  constructor(options: FakeClusterOptions) {
    this.scheduler = options.scheduler ?? asyncScheduler
    this.produceScript = options.produce
    this.missingTopics = options.missingTopics ?? {}
    const brokers = new Map<number, BrokerInfo>()
    for (const id of options.brokers ?? [1, 2, 3]) brokers.set(id, { nodeId: id, host: 'fake', port: 9000 + id, rack: null })
    this.view = new BehaviorSubject<ClusterView>({ clusterId: 'fake', controllerId: 1, brokers, topics: topicsOf(options.topics), receivedAt: 0 })
    this.metadata$ = this.use(() => this.view.asObservable())
  }

  setLeaders(topic: string, leaders: number[]): void {
    const topics = new Map(this.view.value.topics)
    topics.set(topic, topicsOf({ [topic]: leaders }).get(topic)!)
    this.view.next({ ...this.view.value, topics })
  }

  currentView(): ClusterView {
    return this.view.value
  }

  refreshMetadata(): Observable<ClusterView> {
    return this.use(() => defer(() => {
      this.refreshes++
      return of(this.view.value)
    }))
  }

  ensureTopics(topics: readonly string[]): Observable<ClusterView> {
    return this.use(() => defer(() => {
      for (const t of topics) {
        const missing = this.missingTopics[t]
        if (missing !== undefined) return throwError(() => missing)
      }
      return of(this.view.value)
    }))
  }

  request<Request, Response>(broker: number | 'any', api: ApiDefinition<Request, Response>, body: ClusterRequestBody<Request>, _options?: ClusterRequestOptions): Observable<Response> {
    return this.use(() => defer(() => {
      const value = typeof body === 'function' ? (body as (v: number) => Request)(9) : body
      this.activeRequests++
      return (this.answer(broker, api, value) as Observable<Response>).pipe(finalize(() => this.activeRequests--))
    }))
  }

  send<Request>(broker: number, api: ApiDefinition<Request, unknown>, body: ClusterRequestBody<Request>): Observable<void> {
    return this.use(() => defer(() => {
      const value = typeof body === 'function' ? (body as (v: number) => Request)(9) : body
      this.record(broker, value as unknown as ProduceRequest)
      return of(undefined)
    }))
  }

  versionFor(): number | undefined {
    return 9
  }

  findCoordinator(): Observable<number> {
    return of(1)
  }

  invalidateCoordinator(): void {}

  use<T>(work: () => Observable<T>): Observable<T> {
    return defer(() => {
      this.users++
      return work().pipe(finalize(() => this.users--))
    })
  }

  async close(): Promise<void> {}

  /** All batches sent (every attempt), in order. */
  get sentBatches(): SentBatch[] {
    return this.produceCalls.flatMap((c) => c.batches)
  }

  private record(broker: number, request: ProduceRequest): ProduceCall {
    const batches: SentBatch[] = []
    for (const t of request.topicData) {
      for (const p of t.partitionData) {
        const bytes = Buffer.from(p.records!)
        batches.push({ broker, topic: t.name ?? '', partition: p.index, bytes, ...partitionHeader(bytes) })
      }
    }
    const call = { broker, request, batches, at: this.scheduler.now() }
    this.produceCalls.push(call)
    return call
  }

  private answer(broker: number | 'any', api: ApiDefinition<unknown, unknown>, body: unknown): Observable<unknown> {
    if (api.name === 'InitProducerId') {
      const b = body as { producerId?: bigint; producerEpoch?: number }
      this.initProducerIdCalls.push({ producerId: b.producerId, producerEpoch: b.producerEpoch })
      if (b.producerId !== undefined && b.producerId >= 0n) {
        if (this.refuseBump) return of({ throttleTimeMs: 0, errorCode: 49, producerId: -1n, producerEpoch: -1 })
        return of({ throttleTimeMs: 0, errorCode: 0, producerId: b.producerId, producerEpoch: (b.producerEpoch ?? 0) + 1 })
      }
      return of({ throttleTimeMs: 0, errorCode: 0, producerId: this.nextProducerId++, producerEpoch: 0 })
    }
    if (api.name !== 'Produce' || broker === 'any') return throwError(() => new Error(`the fake cluster does not answer ${api.name}`))
    const call = this.record(broker, body as ProduceRequest)
    const defaultAnswer = (): ProduceResponse => this.successFor(call)
    const scripted = this.produceScript?.(call, defaultAnswer)
    return scripted ?? of(defaultAnswer())
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
}

function topicsOf(spec: Record<string, number[]>): Map<string, TopicInfo> {
  const topics = new Map<string, TopicInfo>()
  for (const [name, leaders] of Object.entries(spec)) {
    const partitions: PartitionInfo[] = leaders.map((leader, partition) => ({
      partition, leader, leaderEpoch: 0, replicas: [leader], isr: [leader], offlineReplicas: [], errorCode: leader < 0 ? 5 : 0,
    }))
    topics.set(name, { name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', isInternal: false, errorCode: 0, partitions })
  }
  return topics
}
