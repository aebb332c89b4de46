/**
 * The cluster: bootstrap from any reachable broker, the metadata view as an
 * Observable (refreshed on a period and on demand, concurrent refreshes
 * coalesced), coordinator lookup, and a pool of transports keyed by broker id
 * and role. Nothing connects until something subscribes, and when the last
 * user unsubscribes every transport and timer is released.
 *
 * This is the only implementation of {@link ClusterClient}. What it talks to
 * is a {@link BrokerTransport} made by `config.connect` (TCP/TLS by default;
 * the virtual cluster and spec scripts plug in there), and every timer it sets
 * runs on `config.scheduler`, so its logic runs under `TestScheduler` too.
 */
import { traceMetadata } from '../observability/connection-events.js'
import { inspect, type InspectOptions } from 'node:util'
import {
  asyncScheduler,
  BehaviorSubject,
  catchError,
  concatMap,
  defer,
  distinctUntilChanged,
  EMPTY,
  exhaustMap,
  filter,
  finalize,
  from,
  interval,
  map,
  Observable,
  of,
  type SchedulerLike,
  shareReplay,
  Subscription,
  switchMap,
  take,
  throwError,
  throwIfEmpty,
  timer,
} from 'rxjs'
import { BrokerConnection } from '../connection/broker-connection.js'
import type { BrokerAddress, BrokerTransport, ConnectionOptions, ConnectionStats, ConnectTransport } from '../connection/broker-transport.js'
import { brokerError, ConnectionError, RxKafkaError, UnknownTopicError } from '../errors/index.js'
import { backoffDelay } from '../kit/backoff.js'
import { DiagnosticsRegistry } from '../kit/diagnostics-registry.js'
import { consoleLogger, type Logger } from '../logger.js'
import type { ApiDefinition } from '../protocol/api.js'
import { errorCodeInfo } from '../protocol/error-codes.js'
import { ApiVersionsApi } from '../protocol/messages/ApiVersions.js'
import { FindCoordinatorApi } from '../protocol/messages/FindCoordinator.js'
import { MetadataApi } from '../protocol/messages/Metadata.js'
import { ZERO_UUID } from '../protocol/primitives.js'
import type { CloseOptions, ClusterClient, ClusterRequestBody, ClusterRequestOptions, ConnectionRole, CoordinatorType, EnsureTopicsOptions } from './cluster-client.js'
import { EMPTY_VIEW, firstUnreadyTopic, viewFromMetadata, type ClusterView } from './cluster-view.js'
import { roleOf } from './connection-roles.js'
import { Coordinators, type CoordinatorDiagnostics } from './coordinators.js'

export type { CoordinatorDiagnostics } from './coordinators.js'
import { printableConfig, redactConfig } from './redact-config.js'

/** Settings of a cluster client. Durations in milliseconds. */
export interface ClusterConfig extends Omit<ConnectionOptions, 'clientId' | 'scheduler' | 'random' | 'role'> {
  /** Bootstrap brokers as `host:port`; any one reachable is enough. */
  brokers: readonly string[]
  /** Default `'rxkafka'`. */
  clientId?: string
  /** Refresh metadata at least this often while in use. Default 300 000; 0 turns the periodic refresh off. */
  metadataMaxAgeMs?: number
  /** Pause between retries of metadata and coordinator lookups. Default 100. */
  retryBackoffMs?: number
  /** Ask brokers to create unknown topics (they do where `auto.create.topics.enable` is on). Default true. */
  allowAutoTopicCreation?: boolean
  /** How long `ensureTopics` waits for a topic to exist and have leaders. Default 10 000. */
  topicWaitMs?: number
  /**
   * How long `close()` waits for the client's consumer groups to commit and
   * leave before it closes the sockets anyway. Default 10 000.
   */
  closeTimeoutMs?: number
  /**
   * Time source of every timer of the client: the cluster's (periodic refresh,
   * retries, teardown), its connections' (timeouts, reconnect backoff) and the
   * producers' and consumers' on it. Default `asyncScheduler`.
   */
  scheduler?: SchedulerLike
  /** Random source in [0, 1): reconnect jitter and the order unconnected brokers are asked for metadata. Default `Math.random`. */
  random?: () => number
  /**
   * Makes the transport to one broker. Default: a TCP/TLS {@link BrokerConnection}.
   * The virtual cluster of `rxkafka/testing` and spec scripts plug in here.
   */
  connect?: ConnectTransport
}

/** A snapshot of the cluster client for diagnostics. */
export interface ClusterDiagnostics {
  /** Streams using the client now; at 0 its sockets and timers are released. */
  users: number
  /** Whether `close()` was called. */
  closed: boolean
  /** The metadata refresher. */
  metadata: ClusterMetadataDiagnostics
  /** Known group and transaction coordinators. */
  coordinators: CoordinatorDiagnostics[]
  /** Every pooled connection with its role (`default`, `produce`, `fetch`, `group`, or with a member's key). */
  connections: PooledConnectionDiagnostics[]
}

/** The metadata refresher, in {@link ClusterDiagnostics}. */
export interface ClusterMetadataDiagnostics {
  /** How old the current view is, in ms; undefined before the first. */
  ageMs: number | undefined
  /** Whether a Metadata request is in flight. */
  refreshInFlight: boolean
  /** Metadata answers received so far. */
  refreshes: number
  /** Topics every refresh asks for (those something produced to or consumed). */
  followedTopics: string[]
  /** Brokers in the current view. */
  brokers: number
  /** Topics in the current view. */
  topics: number
  /** Why the last refresh failed, if it did (cleared by the next success). */
  lastError: string | undefined
}

/** One pooled connection, in {@link ClusterDiagnostics}. */
export interface PooledConnectionDiagnostics extends ConnectionStats {
  /** What the connection is for: `default`, `produce`, `fetch`, `group`, or one of those with a member's key. */
  role: string
}

interface PooledConnection {
  connection: BrokerTransport
  /** The role, with the request's own connection key if it has one (`group:member 1 of billing`). */
  role: string
}

/** Cap of the backoff between Metadata requests that no broker answered (as the Java client's reconnect.backoff.max.ms). */
const METADATA_RETRY_MAX_MS = 1_000
/** What a negotiated transport that does not report features (a scripted one) counts as: none finalized. */
const NO_FEATURES: ReadonlyMap<string, number> = new Map()

/** The default transport: a socket to the broker. */
const connectBySocket: ConnectTransport = (address, options) => new BrokerConnection(address, options)

/**
 * A cluster client: metadata, coordinators and connections to every broker,
 * shared by every producer and consumer made on it.
 *
 * @example
 * ```ts
 * import { KafkaCluster, produceTo } from 'rxkafka'
 * const client = new KafkaCluster({ brokers: ['localhost:9092'], clientId: 'billing' })
 * orders$.pipe(produceTo('orders', { client })).subscribe()
 * ```
 */
export class KafkaCluster implements ClusterClient {
  /** The client id every request carries. */
  readonly clientId: string
  readonly scheduler: SchedulerLike
  /** Where connection and metadata failures are reported. */
  readonly logger: Logger
  readonly parts = new DiagnosticsRegistry()
  private readonly random: () => number
  private readonly connect: ConnectTransport
  /** The config with its secrets replaced (see {@link redactConfig}): it is what inspecting the client may show. */
  private readonly config: ClusterConfig
  /**
   * What every connection of this client is made with: the config less what
   * only the cluster reads. It holds the secrets, so it is an ES private field,
   * which no inspection or serialization reaches.
   */
  readonly #connectionOptions: ConnectionOptions
  private readonly bootstrap: BrokerAddress[]
  private readonly view = new BehaviorSubject<ClusterView | undefined>(undefined)
  private readonly followedTopics = new Set<string>()
  private readonly pool = new Map<string, PooledConnection>()
  private readonly coordinators: Coordinators
  /** Coordinator addresses FindCoordinator gave that metadata may not list yet. */
  private readonly extraBrokers = new Map<number, BrokerAddress>()
  private refreshInFlight: { topics: Set<string>; result: Observable<ClusterView> } | undefined
  private refreshes = 0
  private lastMetadataError: string | undefined
  private userCount = 0
  private periodic: Subscription | undefined
  private teardownTimer: Subscription | undefined
  private closed = false
  /** The graceful stops `close()` runs first (group members: final commit, LeaveGroup). */
  private readonly closeHooks = new Set<() => Promise<void>>()
  private closing: Promise<void> | undefined

  readonly metadata$: Observable<ClusterView>

  constructor(config: ClusterConfig) {
    if (config.brokers.length === 0) {
      throw new RxKafkaError('CONFIG', 'no bootstrap brokers given', { hint: 'pass brokers: ["host:port", ...]' })
    }
    this.config = redactConfig(config)
    this.clientId = config.clientId ?? 'rxkafka'
    this.scheduler = config.scheduler ?? asyncScheduler
    this.random = config.random ?? Math.random
    this.connect = config.connect ?? connectBySocket
    this.logger = config.logger ?? consoleLogger('warn')
    const {
      brokers: _b, clientId: _c, metadataMaxAgeMs: _m, retryBackoffMs: _r, allowAutoTopicCreation: _a, topicWaitMs: _t, closeTimeoutMs: _ct, scheduler: _s, random: _n, connect: _k,
      ...connectionOptions
    } = config
    this.#connectionOptions = { ...connectionOptions, clientId: this.clientId, logger: this.logger, scheduler: this.scheduler, random: this.random }
    this.bootstrap = config.brokers.map(parseBrokerAddress)
    this.coordinators = new Coordinators({
      ask: (body) => this.request('any', FindCoordinatorApi, body),
      learned: (address) => this.extraBrokers.set(address.nodeId, address),
      scheduler: this.scheduler,
      retryBackoffMs: config.retryBackoffMs ?? 100,
    })
    this.metadata$ = this.use(
      () =>
        new Observable<ClusterView>((subscriber) => {
          const subscription = new Subscription()
          // The first subscriber bootstraps; the view itself arrives through the subject.
          if (this.view.value === undefined) {
            subscription.add(this.refreshMetadata().subscribe({ error: (e: unknown) => subscriber.error(e) }))
          }
          subscription.add(
            this.view.pipe(filter((v): v is ClusterView => v !== undefined), distinctUntilChanged()).subscribe(subscriber),
          )
          return subscription
        }),
    )
  }

  currentView(): ClusterView {
    return this.view.value ?? EMPTY_VIEW
  }

  use<T>(work: () => Observable<T>): Observable<T> {
    return defer(() => {
      this.acquire()
      return work().pipe(finalize(() => this.release()))
    })
  }

  refreshMetadata(topics: readonly string[] = []): Observable<ClusterView> {
    return this.use(() =>
      defer(() => {
        this.assertOpen()
        for (const topic of topics) this.followedTopics.add(topic)
        const inFlight = this.refreshInFlight
        if (inFlight !== undefined && topics.every((t) => inFlight.topics.has(t))) return inFlight.result
        const asked = new Set(this.followedTopics)
        const result = this.fetchMetadata([...asked]).pipe(
          finalize(() => {
            if (this.refreshInFlight?.result === result) this.refreshInFlight = undefined
          }),
          shareReplay({ bufferSize: 1, refCount: false }),
        )
        this.refreshInFlight = { topics: asked, result }
        return result
      }),
    )
  }

  /**
   * Metadata of every topic the cluster lists (Metadata with a null topic list),
   * for tools. Topics are not followed afterwards.
   */
  allTopicsMetadata(): Observable<ClusterView> {
    return this.use(() => defer(() => this.fetchMetadata(null)))
  }

  ensureTopics(topics: readonly string[], options: EnsureTopicsOptions = {}): Observable<ClusterView> {
    const waitMs = this.config.topicWaitMs ?? 10_000
    const backoffMs = this.config.retryBackoffMs ?? 100
    const requireLeaders = options.requireLeaders ?? true
    return this.use(() =>
      defer(() => {
        const started = this.scheduler.now()
        const retryUntil = options.retryUntil ?? started + waitMs
        let failedRequests = 0
        const attempt = (): Observable<ClusterView> =>
          this.refreshMetadata(topics).pipe(
            // No broker answered (still starting, restarting): ask again with backoff until the caller's deadline.
            catchError((error: unknown) => {
              const retriable = error instanceof RxKafkaError && error.retriable
              const left = retryUntil - this.scheduler.now()
              if (!retriable || left <= 0) return throwError(() => error)
              // The last wait ends at the deadline itself, so the caller hears of the failure when it is due.
              const delay = Math.min(left, backoffDelay(failedRequests++, { initialMs: backoffMs, maxMs: METADATA_RETRY_MAX_MS, factor: 2, jitter: 0.2 }, this.random))
              return timer(delay, this.scheduler).pipe(switchMap(attempt))
            }),
            switchMap((view) => {
              const missing = firstUnreadyTopic(view, topics, requireLeaders)
              if (missing === undefined) return of(view)
              const info = errorCodeInfo(missing.errorCode)
              if (missing.errorCode !== 0 && !info.retriable) {
                return throwError(() => brokerError(missing.errorCode, { topic: missing.topic, api: 'Metadata' }))
              }
              const waited = this.scheduler.now() - started
              if (waited >= waitMs) return throwError(() => new UnknownTopicError(missing.topic, waited, missing.errorCode))
              return timer(Math.min(backoffMs * 2, waitMs - waited), this.scheduler).pipe(switchMap(attempt))
            }),
          )
        const known = this.view.value
        if (known !== undefined && firstUnreadyTopic(known, topics, requireLeaders) === undefined) {
          for (const topic of topics) this.followedTopics.add(topic)
          return of(known)
        }
        return attempt()
      }),
    )
  }

  request<Request, Response>(
    broker: number | 'any',
    api: ApiDefinition<Request, Response>,
    body: ClusterRequestBody<Request>,
    options: ClusterRequestOptions = {},
  ): Observable<Response> {
    return this.overTransport(broker, api, options, (transport) => transport.request(api, body, options))
  }

  send<Request>(
    broker: number,
    api: ApiDefinition<Request, unknown>,
    body: ClusterRequestBody<Request>,
    options: ClusterRequestOptions = {},
  ): Observable<void> {
    return this.overTransport(broker, api, options, (transport) => transport.send(api, body, options))
  }

  /**
   * One request over the transport it belongs on, as a user of the cluster
   * (what `use` does, in one Observable: this is the path of every Produce).
   * A connection error to a broker also forgets the coordinators cached on it,
   * as a client marks a coordinator unknown when its connection drops.
   */
  private overTransport<T>(
    broker: number | 'any',
    api: ApiDefinition<unknown, unknown>,
    options: ClusterRequestOptions,
    send: (transport: BrokerTransport) => Observable<T>,
  ): Observable<T> {
    return new Observable<T>((subscriber) => {
      this.acquire()
      let inner: Subscription | undefined
      try {
        inner = send(this.connectionFor(broker, api, options)).subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => {
            if (error instanceof ConnectionError && typeof broker === 'number') this.coordinators.forgetAt(broker)
            subscriber.error(error)
          },
          complete: () => subscriber.complete(),
        })
      } catch (error) {
        subscriber.error(error)
      }
      return () => {
        inner?.unsubscribe()
        this.release()
      }
    })
  }

  versionFor(broker: number, api: ApiDefinition<unknown, unknown>): number | undefined {
    for (const pooled of this.pool.values()) {
      if (pooled.connection.address.nodeId === broker) {
        const version = pooled.connection.versionFor(api)
        if (version !== undefined) return version
      }
    }
    return undefined
  }

  /**
   * The finalized features `broker` announced (see {@link ClusterClient.finalizedFeatures}).
   *
   * @example
   * ```ts
   * cluster.finalizedFeatures(1)?.get('transaction.version') // 2 on a fresh Kafka 4.x
   * ```
   */
  finalizedFeatures(broker: number): ReadonlyMap<string, number> | undefined {
    for (const pooled of this.pool.values()) {
      if (pooled.connection.address.nodeId === broker) {
        const features = pooled.connection.versionFor(ApiVersionsApi) === undefined ? undefined : (pooled.connection.finalizedFeatures ?? NO_FEATURES)
        if (features !== undefined) return features
      }
    }
    return undefined
  }

  findCoordinator(type: CoordinatorType, key: string): Observable<number> {
    return this.use(() => this.coordinators.find(type, key))
  }

  invalidateCoordinator(type: CoordinatorType, key: string): void {
    this.coordinators.invalidate(type, key)
  }

  /** A snapshot of the connections, the metadata refresher and the coordinators (see "Reading diagnostics" in the README). */
  diagnostics(): ClusterDiagnostics {
    const current = this.view.value
    return {
      users: this.userCount,
      closed: this.closed,
      metadata: {
        ageMs: current === undefined ? undefined : this.scheduler.now() - current.receivedAt,
        refreshInFlight: this.refreshInFlight !== undefined,
        refreshes: this.refreshes,
        followedTopics: [...this.followedTopics],
        brokers: current?.brokers.size ?? 0,
        topics: current?.topics.size ?? 0,
        lastError: this.lastMetadataError,
      },
      coordinators: this.coordinators.snapshot(),
      connections: [...this.pool.values()].map((p) => ({ ...p.connection.getStats(), role: p.role })),
    }
  }

  /**
   * What `JSON.stringify` and `util.inspect` (so `console.log`) show: the
   * settings with their secrets redacted (lib/cluster/redact-config.ts), and the state in brief.
   */
  toJSON(): Record<string, unknown> {
    const { brokers, clientId: _clientId, ...settings } = printableConfig(this.config)
    return { clientId: this.clientId, brokers, ...settings, users: this.userCount, closed: this.closed, connections: this.pool.size }
  }

  /** What `util.inspect` and `console.log` show: {@link KafkaCluster.toJSON}, without secrets. */
  [inspect.custom](_depth: number, options: InspectOptions, show: typeof inspect): string {
    return `${this.constructor.name} ${show(this.toJSON(), { ...options, depth: 4 })}`
  }

  onClose(stop: () => Promise<void>): () => void {
    // A fresh function per registration, so one part registered twice unregisters each on its own.
    const hook = (): Promise<void> => stop()
    this.closeHooks.add(hook)
    return () => {
      this.closeHooks.delete(hook)
    }
  }

  close(options: CloseOptions = {}): Promise<void> {
    if (this.closing !== undefined) return this.closing
    const timeoutMs = options.timeoutMs ?? this.config.closeTimeoutMs ?? 10_000
    const hooks = [...this.closeHooks]
    this.closeHooks.clear()
    if (hooks.length === 0) {
      // Nothing to wait for: close at once, as a synchronous caller expects.
      this.finishClose()
      this.closing = Promise.resolve()
      return this.closing
    }
    // The stops need the connections: the client stays open (and in use) until they finish or the time is up.
    this.acquire()
    const stops = hooks.map((hook) =>
      hook().catch((error: unknown) => {
        // The part has reported it (a group on its errors$); the log says why close() did not wait for more.
        this.logger.warn('a part failed to stop gracefully before close', { error: error instanceof Error ? error.message : String(error) })
      }),
    )
    this.closing = new Promise<void>((resolve) => {
      let timeout: Subscription | undefined
      const finish = (): void => {
        timeout?.unsubscribe()
        this.finishClose()
        resolve()
      }
      timeout = this.scheduler.schedule(() => {
        this.logger.warn(`close: parts still stopping after ${timeoutMs} ms; closing the sockets anyway`)
        finish()
      }, timeoutMs)
      void Promise.all(stops).then(() => {
        if (!this.closed) finish()
      })
    })
    return this.closing
  }

  private finishClose(): void {
    if (this.closed) return
    this.closed = true
    this.teardown()
    this.view.complete()
  }

  /** Asks brokers in turn (connected ones first, then the rest, then the bootstrap list) until one answers. */
  private fetchMetadata(topics: string[] | null): Observable<ClusterView> {
    const candidates = this.metadataCandidates()
    const failures: string[] = []
    let answeredNotAsKafka = 0
    const allowAutoTopicCreation = this.config.allowAutoTopicCreation ?? true
    return from(candidates).pipe(
      concatMap((address) =>
        this.connectionTo(address, 'default', 'default')
          .request(MetadataApi, () => ({
            // null asks for every topic (v1+)
            topics: topics === null ? null : topics.map((name) => ({ name, topicId: ZERO_UUID })),
            allowAutoTopicCreation,
            includeTopicAuthorizedOperations: false,
          }))
          .pipe(
            catchError((error: unknown) => {
              failures.push(`${address.host}:${address.port}: ${error instanceof Error ? error.message : String(error)}`)
              if (connectedButNotKafka(error)) answeredNotAsKafka++
              if (error instanceof RxKafkaError && !error.retriable && !(error instanceof ConnectionError)) {
                return throwError(() => error)
              }
              return EMPTY
            }),
          ),
      ),
      take(1),
      map((response) => {
        const next = viewFromMetadata(this.view.value ?? EMPTY_VIEW, response, this.scheduler.now())
        this.refreshes++
        this.lastMetadataError = undefined
        this.onNewView(next)
        return next
      }),
      throwIfEmpty(() => {
        // Every address took the connection but did not speak Kafka: a wrong address, not a broker still starting,
        // so ensureTopics does not wait for it to come up.
        const wrongPeers = failures.length > 0 && answeredNotAsKafka === failures.length
        const error = new ConnectionError(`no broker answered a Metadata request: ${failures.join('; ')}`, {
          api: 'Metadata',
          retriable: !wrongPeers,
          hint: 'check the broker list and that at least one broker is up and reachable',
        })
        this.lastMetadataError = error.message
        this.logger.warn('metadata refresh failed', { error: error.message })
        return error
      }),
      traceMetadata<ClusterView>(this.clientId, topics),
    )
  }

  private metadataCandidates(): BrokerAddress[] {
    const current = this.view.value
    const ready: BrokerAddress[] = []
    const known: BrokerAddress[] = []
    if (current !== undefined) {
      for (const b of current.brokers.values()) {
        const address = { host: b.host, port: b.port, nodeId: b.nodeId }
        const pooled = this.pool.get(poolKey(address, 'default'))
        if (pooled?.connection.state === 'ready') ready.push(address)
        else known.push(address)
      }
    }
    return [...ready, ...shuffle(known, this.random), ...this.bootstrap]
  }

  private onNewView(next: ClusterView): void {
    // Connections to brokers that left the cluster or moved to another address are closed.
    for (const [key, pooled] of this.pool) {
      const nodeId = pooled.connection.address.nodeId
      if (nodeId < 0) {
        // A bootstrap connection is only for finding the cluster; once brokers have ids, requests go by id.
        if (next.brokers.size > 0 && pooled.connection.getStats().inFlight === 0 && pooled.connection.getStats().queued === 0) {
          pooled.connection.close()
          this.pool.delete(key)
        }
        continue
      }
      const broker = next.brokers.get(nodeId) ?? this.extraBrokers.get(nodeId)
      if (broker === undefined || broker.host !== pooled.connection.address.host || broker.port !== pooled.connection.address.port) {
        pooled.connection.close()
        this.pool.delete(key)
      }
    }
    this.view.next(next)
  }

  /** The transport a request of `api` to `broker` travels on: its role comes from the API unless the options name one. */
  private connectionFor(broker: number | 'any', api: ApiDefinition<unknown, unknown>, options: ClusterRequestOptions): BrokerTransport {
    this.assertOpen()
    const role = options.role ?? roleOf(api)
    const poolRole = options.connectionKey === undefined ? role : `${role}:${options.connectionKey}`
    if (broker === 'any') {
      let best: BrokerTransport | undefined
      for (const pooled of this.pool.values()) {
        if (pooled.connection.state !== 'ready' || pooled.role !== poolRole) continue
        if (best === undefined || pooled.connection.getStats().inFlight < best.getStats().inFlight) best = pooled.connection
      }
      if (best !== undefined) return best
      // Otherwise the first candidate not known to be failing (its connects are backing off), so a retry reaches another broker.
      const candidates = this.metadataCandidates()
      const usable = candidates.find((address) => this.pool.get(poolKey(address, poolRole))?.connection.state !== 'backoff')
      return this.connectionTo(usable ?? candidates[0]!, poolRole, role)
    }
    const info = this.view.value?.brokers.get(broker) ?? this.extraBrokers.get(broker)
    if (info === undefined) {
      throw new ConnectionError(`broker ${broker} is not in the cluster metadata`, {
        broker,
        hint: 'metadata may be stale: refresh it and look up the leader again',
      })
    }
    return this.connectionTo({ host: info.host, port: info.port, nodeId: broker }, poolRole, role)
  }

  private connectionTo(address: BrokerAddress, poolRole: string, role: ConnectionRole): BrokerTransport {
    const key = poolKey(address, poolRole)
    const pooled = this.pool.get(key)
    if (pooled !== undefined && pooled.connection.state !== 'closed') return pooled.connection
    const connection = this.connect(address, { ...this.#connectionOptions, role })
    this.pool.set(key, { connection, role: poolRole })
    return connection
  }

  /**
   * Makes a broker addressable by id before metadata lists it (as FindCoordinator
   * answers do). The virtual cluster knows its brokers from the start.
   */
  protected knowBroker(address: BrokerAddress): void {
    this.extraBrokers.set(address.nodeId, address)
  }

  private acquire(): void {
    this.assertOpen()
    this.userCount++
    this.teardownTimer?.unsubscribe()
    this.teardownTimer = undefined
    const period = this.config.metadataMaxAgeMs ?? 300_000
    if (this.periodic === undefined && period > 0) {
      this.periodic = interval(period, this.scheduler)
        .pipe(exhaustMap(() => this.refreshMetadata().pipe(catchError(() => EMPTY))))
        .subscribe()
    }
  }

  private release(): void {
    this.userCount--
    if (this.userCount > 0 || this.closed) return
    // Deferred one tick of the scheduler (a macrotask on the wall clock), so that `await a(); await b()`
    // keeps its connections between calls.
    this.teardownTimer = this.scheduler.schedule(() => {
      this.teardownTimer = undefined
      if (this.userCount === 0) this.teardown()
    }, 0)
  }

  private teardown(): void {
    this.periodic?.unsubscribe()
    this.periodic = undefined
    this.teardownTimer?.unsubscribe()
    this.teardownTimer = undefined
    for (const pooled of this.pool.values()) pooled.connection.close()
    this.pool.clear()
    this.refreshInFlight = undefined
  }

  protected assertOpen(): void {
    if (this.closed) {
      throw new RxKafkaError('CLOSED', 'the Kafka client is closed', { hint: 'create a new client with createKafka()' })
    }
  }
}

/** A connection that was made but whose peer did not answer ApiVersions as a Kafka broker (itself, or as the cause of a backoff). */
function connectedButNotKafka(error: unknown): boolean {
  const root = error instanceof RxKafkaError && error.cause instanceof RxKafkaError ? error.cause : error
  return root instanceof ConnectionError && root.api === 'ApiVersions'
}

function poolKey(address: BrokerAddress, role: string): string {
  return address.nodeId >= 0 ? `${address.nodeId}/${role}` : `bootstrap ${address.host}:${address.port}/${role}`
}

/** Parses `host:port`, `[::1]:port` or a bare host (port 9092). */
export function parseBrokerAddress(text: string): BrokerAddress {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  if (bracketed !== null) return { host: bracketed[1]!, port: Number(bracketed[2] ?? 9092), nodeId: -1 }
  const colon = text.lastIndexOf(':')
  const host = colon < 0 ? text : text.slice(0, colon)
  const port = colon < 0 ? 9092 : Number(text.slice(colon + 1))
  if (host.length === 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new RxKafkaError('CONFIG', `invalid broker address ${JSON.stringify(text)}`, { hint: 'use host:port, for example localhost:9092' })
  }
  return { host, port, nodeId: -1 }
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}
