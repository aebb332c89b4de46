/**
 * A real KafkaCluster over scripted transports: the producer and consumer
 * specs run against the cluster logic users get (metadata, ensureTopics,
 * coordinators, the pool, teardown), while every request reaches a handler
 * per API that the spec writes. The topology (brokers, topics and their
 * leaders) answers Metadata and FindCoordinator unless a spec scripts those
 * too; every request is recorded, after a round trip through the generated
 * codec at the version the scripted broker speaks, so a handler sees what a
 * broker would.
 *
 * A handler returns the response, an Error to fail the request, or an
 * Observable for an answer that takes time. Plain answers arrive at once,
 * inside the request's subscribe (unlike a socket), so a spec that steps a
 * VirtualTimeScheduler by hand sees every consequence of an action without
 * flushing in between.
 */
import { map, Observable, of, throwError, timer, VirtualTimeScheduler, type SchedulerLike, type Subscription } from 'rxjs'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import type {
  BrokerAddress,
  BrokerTransport,
  ConnectionOptions,
  ConnectionRole,
  ConnectionState,
  ConnectionStats,
  RequestBody,
  RequestOptions,
} from '../../lib/connection/broker-transport.js'
import { ConnectionError } from '../../lib/errors/index.js'
import { silentLogger } from '../../lib/logger.js'
import type { ApiDefinition } from '../../lib/protocol/api.js'
import type { FindCoordinatorRequest } from '../../lib/protocol/messages/FindCoordinator.js'
import type { MetadataRequest, MetadataResponse } from '../../lib/protocol/messages/Metadata.js'
import { Reader, Writer } from '../../lib/protocol/primitives.js'
import { chooseVersion } from '../../lib/protocol/versions.js'
import { clientVersionLimits } from '../../lib/connection/version-caps.js'

/** A request a scripted broker received, decoded as the broker would see it. */
export interface ScriptedRequest {
  api: string
  broker: number
  version: number
  /** Decoded at `version`; specs read whatever fields their API has. */
  body: any
  at: number
  role: ConnectionRole
}

/** Answers one request: the response, an Error to fail it, or an Observable for an answer that takes time. */
export type Handler = (body: any, version: number, request?: ScriptedRequest) => unknown

/** Highest versions the scripted brokers speak, by API name (others: the client's highest). */
const DEFAULT_VERSIONS: Record<string, number> = {
  Produce: 9,
  InitProducerId: 4,
  Metadata: 12,
  FindCoordinator: 4,
  JoinGroup: 5,
  SyncGroup: 3,
  Heartbeat: 3,
  LeaveGroup: 2,
  OffsetFetch: 6,
  OffsetCommit: 7,
  ListOffsets: 5,
  Fetch: 11,
}

export interface ScriptedClusterOptions {
  /** Default: a new VirtualTimeScheduler the spec steps with {@link ScriptedCluster.advance}. */
  scheduler?: SchedulerLike
  /** topic -> leader of each partition (index = partition; -1: no leader). */
  topics: Record<string, number[]>
  /** Default [1, 2, 3]. */
  brokers?: number[]
  /** The bootstrap list. Default: every broker's address. */
  bootstrap?: string[]
  handlers?: Record<string, Handler>
  /** How long a broker takes to answer a plain (not an Observable) answer, by API name. Default: at once. */
  answerMs?: Record<string, number>
  versions?: Record<string, number>
  topicWaitMs?: number
  retryBackoffMs?: number
  /**
   * Default 0: no periodic metadata refresh, so a stream that never completes
   * does not keep `TestScheduler.run` busy for ever; set it to test the period.
   */
  metadataMaxAgeMs?: number
}

/** The host of scripted broker `id`. */
const hostOf = (id: number): string => `scripted-broker-${id}`

export class ScriptedCluster extends KafkaCluster {
  /** Every request, in the order the brokers received them. */
  readonly requests: ScriptedRequest[] = []
  readonly handlers: Record<string, Handler>
  /** How long plain answers take, by API name (see {@link ScriptedClusterOptions.answerMs}). */
  readonly answerMs: Record<string, number>
  /** The node id FindCoordinator answers. */
  coordinator = 1
  /** Brokers that refuse connections: their requests fail with a ConnectionError, their transports back off. */
  readonly down = new Set<number>()
  private readonly topology: Map<string, number[]>
  private readonly brokerIds: number[]
  private readonly versions: Record<string, number>
  private active = 0

  constructor(options: ScriptedClusterOptions) {
    const brokerIds = options.brokers ?? [1, 2, 3]
    const scheduler = options.scheduler ?? new VirtualTimeScheduler()
    let self: ScriptedCluster | undefined
    super({
      brokers: options.bootstrap ?? brokerIds.map((id) => `${hostOf(id)}:9092`),
      clientId: 'scripted',
      scheduler,
      random: () => 0,
      logger: silentLogger,
      topicWaitMs: options.topicWaitMs,
      retryBackoffMs: options.retryBackoffMs,
      metadataMaxAgeMs: options.metadataMaxAgeMs ?? 0,
      connect: (address, connectionOptions) => new ScriptedTransport(self!, address, connectionOptions),
    })
    self = this
    this.brokerIds = brokerIds
    this.topology = new Map(Object.entries(options.topics))
    this.handlers = { ...options.handlers }
    this.answerMs = { ...options.answerMs }
    this.versions = { ...DEFAULT_VERSIONS, ...options.versions }
  }

  /** Moves a topic's leaders; the next Metadata answer shows it. */
  setLeaders(topic: string, leaders: number[]): void {
    this.topology.set(topic, leaders)
  }

  /** The requests of one API. */
  of(api: string): ScriptedRequest[] {
    return this.requests.filter((r) => r.api === api)
  }

  /** Requests subscribed and not yet answered, failed or unsubscribed. */
  get activeRequests(): number {
    return this.active
  }

  /** Streams and requests using the client now. */
  get users(): number {
    return this.diagnostics().users
  }

  /** Runs every timer due up to `ms` from now (VirtualTimeScheduler only). */
  advance(ms: number): void {
    const scheduler = this.virtualTime()
    const target = scheduler.frame + ms
    scheduler.maxFrames = target
    scheduler.flush()
    // The clock stops at the last action it ran; time passes even when nothing is due.
    scheduler.frame = target
  }

  /** Timers still scheduled (heartbeats, commit intervals, fetch waits, the client's own). */
  pendingTimers(): number {
    return this.virtualTime().actions.length
  }

  /** An answer that arrives after `ms` of scheduler time. */
  later<T>(ms: number, value: T): Observable<T> {
    return timer(ms, this.scheduler).pipe(map(() => value))
  }

  /** @internal Called by the transports. */
  answer(request: ScriptedRequest, apiName: string): Observable<unknown> {
    const handler = this.handlers[apiName] ?? this.defaultHandler(apiName)
    if (handler === undefined) return throwError(() => new Error(`ScriptedCluster: no handler for ${apiName}`))
    const answer = handler(request.body, request.version, request)
    if (answer instanceof Observable) return answer
    const delay = this.answerMs[apiName]
    if (answer instanceof Error) return delay === undefined ? throwError(() => answer) : timer(delay, this.scheduler).pipe(map(() => { throw answer }))
    return delay === undefined ? of(answer) : this.later(delay, answer)
  }

  /** @internal */
  versionOf(api: ApiDefinition<unknown, unknown>, options: RequestOptions): number {
    // The broker's range, and the client's own caps as a real connection applies them.
    return chooseVersion(api, { minVersion: api.minVersion, maxVersion: this.versions[api.name] ?? api.maxVersion }, clientVersionLimits(api, options))
  }

  /** @internal */
  brokerOf(address: BrokerAddress): number | undefined {
    const match = /^scripted-broker-(\d+)$/.exec(address.host)
    const id = match === null ? undefined : Number(match[1])
    return id !== undefined && this.brokerIds.includes(id) ? id : undefined
  }

  /** @internal */
  track(delta: number): void {
    this.active += delta
  }

  private defaultHandler(apiName: string): Handler | undefined {
    if (apiName === 'Metadata') return (body: MetadataRequest) => this.metadataAnswer(body)
    if (apiName === 'FindCoordinator') {
      return (body: FindCoordinatorRequest, version) => {
        const found = { nodeId: this.coordinator, host: hostOf(this.coordinator), port: 9092, errorCode: 0, errorMessage: null }
        return version >= 4
          ? { throttleTimeMs: 0, coordinators: (body.coordinatorKeys ?? []).map((key) => ({ key, ...found })) }
          : { throttleTimeMs: 0, ...found }
      }
    }
    return undefined
  }

  private metadataAnswer(body: MetadataRequest): MetadataResponse {
    const names = body.topics === null ? [...this.topology.keys()] : body.topics.map((t) => t.name ?? '')
    return {
      throttleTimeMs: 0,
      clusterId: 'scripted',
      controllerId: this.brokerIds[0]!,
      brokers: this.brokerIds.map((nodeId) => ({ nodeId, host: hostOf(nodeId), port: 9092, rack: null })),
      topics: names.map((name) => {
        const leaders = this.topology.get(name)
        return {
          errorCode: leaders === undefined ? 3 : 0,
          name,
          topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
          isInternal: false,
          partitions: (leaders ?? []).map((leader, partitionIndex) => ({
            errorCode: leader < 0 ? 5 : 0,
            partitionIndex,
            leaderId: leader,
            leaderEpoch: 0,
            replicaNodes: leader < 0 ? [] : [leader],
            isrNodes: leader < 0 ? [] : [leader],
            offlineReplicas: [],
          })),
          topicAuthorizedOperations: -2147483648,
        }
      }),
    }
  }

  private virtualTime(): VirtualTimeScheduler {
    if (!(this.scheduler instanceof VirtualTimeScheduler)) throw new Error('ScriptedCluster: advance() and pendingTimers() need a VirtualTimeScheduler')
    return this.scheduler
  }
}

/** A connection to a scripted broker: decodes what the client sent and asks the spec's handler. */
class ScriptedTransport implements BrokerTransport {
  readonly address: BrokerAddress
  private closed = false
  private readonly live = new Set<{ fail: (error: unknown) => void }>()
  private requests = 0

  constructor(
    private readonly cluster: ScriptedCluster,
    address: BrokerAddress,
    private readonly options: ConnectionOptions,
  ) {
    this.address = address
  }

  get state(): ConnectionState {
    if (this.closed) return 'closed'
    const broker = this.cluster.brokerOf(this.address)
    return broker !== undefined && !this.cluster.down.has(broker) ? 'ready' : 'backoff'
  }

  request<Request, Response>(api: ApiDefinition<Request, Response>, body: RequestBody<Request>, options: RequestOptions = {}): Observable<Response> {
    return this.exchange(api as ApiDefinition<unknown, unknown>, body, options) as Observable<Response>
  }

  send<Request>(api: ApiDefinition<Request, unknown>, body: RequestBody<Request>, options: RequestOptions = {}): Observable<void> {
    return new Observable<void>((subscriber) => {
      // One-way: recorded like any request, done once "written"; whatever the handler says is not heard.
      const sub = this.exchange(api as ApiDefinition<unknown, unknown>, body, options, false).subscribe({ error: (e: unknown) => subscriber.error(e) })
      if (!subscriber.closed) {
        subscriber.next()
        subscriber.complete()
      }
      return sub
    })
  }

  versionFor(api: ApiDefinition<unknown, unknown>, options: RequestOptions = {}): number | undefined {
    try {
      return this.cluster.versionOf(api, options)
    } catch {
      return undefined
    }
  }

  getStats(): ConnectionStats {
    return {
      broker: `${this.address.host}:${this.address.port}`,
      nodeId: this.address.nodeId,
      state: this.state,
      inFlight: this.live.size,
      queued: 0,
      bytesIn: 0,
      bytesOut: 0,
      requests: this.requests,
      connects: this.requests > 0 ? 1 : 0,
      lastError: undefined,
    }
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    for (const request of [...this.live]) request.fail(new ConnectionError('connection closed by the client', { broker: this.address.nodeId }))
  }

  private exchange(api: ApiDefinition<unknown, unknown>, body: RequestBody<unknown>, options: RequestOptions, answered = true): Observable<unknown> {
    return new Observable<unknown>((subscriber) => {
      const broker = this.cluster.brokerOf(this.address)
      if (this.closed || broker === undefined || this.cluster.down.has(broker)) {
        const why = this.closed ? 'connection is closed' : broker === undefined ? `no scripted broker at ${this.address.host}` : `connection refused by broker ${broker}`
        subscriber.error(new ConnectionError(why, { broker: broker ?? this.address.host, api: api.name }))
        return undefined
      }
      const version = this.cluster.versionOf(api, options)
      const shaped = typeof body === 'function' ? (body as (v: number) => unknown)(version) : body
      const writer = new Writer(256)
      api.encodeRequest(writer, version, shaped)
      const decoded = api.decodeRequest(new Reader(writer.finish()), version)
      const request: ScriptedRequest = { api: api.name, broker, version, body: decoded, at: this.cluster.scheduler.now(), role: this.options.role ?? 'default' }
      this.cluster.requests.push(request)
      this.requests++
      if (!answered) return this.cluster.answer(request, api.name).subscribe({ error: () => undefined })
      const entry = { fail: (error: unknown) => subscriber.error(error) }
      this.live.add(entry)
      this.cluster.track(1)
      let inner: Subscription | undefined
      const settle = (): void => {
        if (this.live.delete(entry)) this.cluster.track(-1)
      }
      subscriber.add(settle)
      // Settled before the answer is passed on, as a connection forgets a request before its caller hears the answer.
      inner = this.cluster.answer(request, api.name).subscribe({
        next: (value) => {
          settle()
          subscriber.next(value)
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      })
      return () => {
        inner?.unsubscribe()
        inner = undefined
      }
    })
  }
}

