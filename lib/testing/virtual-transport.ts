/**
 * One client connection to one virtual broker: the {@link BrokerTransport}
 * of the virtual cluster. `KafkaCluster` (metadata, coordinators, the pool,
 * teardown) runs on top of it unchanged; this file only models the wire.
 *
 * Every request is encoded and decoded at the chosen version on the way in
 * and every response on the way out, with the generated protocol code, so a
 * body a real broker could not read fails here too. A broker handles one
 * request per connection at a time, in order; its answer arrives `latencyMs`
 * of scheduler time after it is handled, never inside the caller's subscribe.
 */
import { Observable, type SchedulerLike, type Subscription } from 'rxjs'
import type {
  BrokerAddress,
  BrokerTransport,
  ConnectionOptions,
  ConnectionRole,
  ConnectionState,
  ConnectionStats,
  RequestBody,
  RequestOptions,
} from '../connection/broker-transport.js'
import { ConnectionError, RequestTimeoutError, RxKafkaError } from '../errors/index.js'
import type { ApiDefinition } from '../protocol/api.js'
import { Reader, Writer } from '../protocol/primitives.js'
import { chooseVersion } from '../protocol/versions.js'
import { clientVersionLimits } from '../connection/version-caps.js'
import { VIRTUAL_API_VERSIONS } from './virtual-apis.js'
import type { VirtualBrokers } from './virtual-broker.js'
import type { CancelWaiting } from './virtual-handler.js'

/** One request the cluster received, for assertions and for reading a stuck test. */
export interface VirtualRequestLogEntry {
  /** Scheduler time when the broker handled it. */
  at: number
  /** The broker that handled it. */
  broker: number
  /** The API name, such as `Fetch`. */
  api: string
  /** The API version used. */
  version: number
  /** The role of the connection it came on. */
  role: ConnectionRole
  /** The client id of the sender. */
  clientId: string
}

/** What every transport of one virtual cluster shares. */
export interface VirtualWire {
  readonly brokers: VirtualBrokers
  /** Scheduler time between a request being handled and its answer arriving. */
  readonly latencyMs: number
  readonly log: VirtualRequestLogEntry[]
}

interface PendingRequest {
  api: ApiDefinition<unknown, unknown>
  version: number
  request: unknown
  expectResponse: boolean
  /** Answered, failed, or given up by the caller: nothing more reaches the caller. */
  settled: boolean
  respond: (bytes: Buffer) => void
  fail: (error: RxKafkaError) => void
  cancelWaiting: CancelWaiting | undefined
}

/** The host name of virtual broker `id`; metadata lists brokers under it. */
export function virtualBrokerHost(id: number): string {
  return `virtual-broker-${id}`
}

/** The broker id a virtual host name stands for, or undefined for any other host. */
function brokerIdOf(host: string): number | undefined {
  const match = /^virtual-broker-(\d+)$/.exec(host)
  return match === null ? undefined : Number(match[1])
}

/** Encodes and decodes with the generated code, so the other side sees exactly what the wire would carry. */
function roundTrip<T>(encode: (w: Writer) => void, decode: (r: Reader) => T): { value: T; bytes: number } {
  const writer = new Writer(256)
  encode(writer)
  const bytes = writer.finish()
  return { value: decode(new Reader(bytes)), bytes: bytes.length }
}

/**
 * A connection of one client to one virtual broker.
 *
 * @example
 * ```ts
 * // Made by the cluster through ClusterConfig.connect; createVirtualCluster wires it.
 * const transport = new VirtualTransport(wire, { host: 'virtual-broker-1', port: 9092, nodeId: 1 }, { clientId: 'app' })
 * transport.request(MetadataApi, { topics: [] }).subscribe((m) => console.log(m.brokers))
 * ```
 */
export class VirtualTransport implements BrokerTransport {
  readonly address: BrokerAddress
  private readonly scheduler: SchedulerLike
  private readonly broker: number | undefined
  private readonly role: ConnectionRole
  private readonly queue: PendingRequest[] = []
  private active: PendingRequest | undefined
  /** Requests sent and not yet settled: queued, being handled, or with their answer on its way. */
  private readonly unsettled = new Set<PendingRequest>()
  private readonly timers = new Set<Subscription>()
  private readonly brokerDownListener = (broker: number): void => {
    if (broker === this.broker) this.failAll(`broker ${broker} went down`, false)
  }
  private closed = false
  private readonly stats = { bytesIn: 0, bytesOut: 0, requests: 0, lastError: undefined as string | undefined }

  constructor(
    private readonly wire: VirtualWire,
    address: BrokerAddress,
    private readonly options: ConnectionOptions,
  ) {
    this.address = address
    this.scheduler = wire.brokers.scheduler
    this.broker = brokerIdOf(address.host)
    this.role = options.role ?? 'default'
    wire.brokers.brokerDownListeners.add(this.brokerDownListener)
  }

  get state(): ConnectionState {
    if (this.closed) return 'closed'
    return this.broker !== undefined && this.wire.brokers.up.get(this.broker) === true ? 'ready' : 'backoff'
  }

  request<Request, Response>(api: ApiDefinition<Request, Response>, body: RequestBody<Request>, options: RequestOptions = {}): Observable<Response> {
    return new Observable<Response>((subscriber) => {
      const prepared = this.prepare(api, body, options, true)
      if (!('entry' in prepared)) return this.failSoon(prepared.failed, (e) => subscriber.error(e))
      const entry = prepared.entry
      const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000
      const timeout = this.schedule(() => {
        this.settle(entry)
        subscriber.error(new RequestTimeoutError(api.name, timeoutMs, this.brokerName()))
      }, timeoutMs)
      entry.respond = (bytes) => {
        this.unschedule(timeout)
        let response: Response
        try {
          response = api.decodeResponse(new Reader(bytes), entry.version)
        } catch (error) {
          subscriber.error(error)
          return
        }
        subscriber.next(response)
        subscriber.complete()
      }
      entry.fail = (error) => {
        this.unschedule(timeout)
        subscriber.error(error)
      }
      this.enqueue(entry)
      return () => {
        this.unschedule(timeout)
        // The broker still handles a request it has received; only the answer is dropped, as with a socket.
        this.settle(entry)
      }
    })
  }

  send<Request>(api: ApiDefinition<Request, unknown>, body: RequestBody<Request>, options: RequestOptions = {}): Observable<void> {
    return new Observable<void>((subscriber) => {
      const prepared = this.prepare(api, body, options, false)
      if (!('entry' in prepared)) return this.failSoon(prepared.failed, (e) => subscriber.error(e))
      const entry = prepared.entry
      entry.fail = (error) => subscriber.error(error)
      const up = this.state === 'ready'
      this.enqueue(entry)
      if (up) {
        // Written is done for the caller (acks 0): at once, even when the broker has earlier requests of the connection to handle first.
        this.schedule(() => {
          if (entry.settled) return
          this.settle(entry)
          subscriber.next()
          subscriber.complete()
        }, 0)
      }
      return () => {
        this.settle(entry)
      }
    })
  }

  /**
   * Virtual brokers finalize no features: their transactions are "transaction
   * version 1" (lib/testing/virtual-transactions.ts), so a client must not use
   * the implicit adds of KIP-890 part 2 with them.
   */
  readonly finalizedFeatures: ReadonlyMap<string, number> = new Map()

  versionFor(api: ApiDefinition<unknown, unknown>, options: RequestOptions = {}): number | undefined {
    const range = VIRTUAL_API_VERSIONS.get(api.apiKey)
    if (range === undefined) return undefined
    try {
      return chooseVersion(api, range, clientVersionLimits(api, options))
    } catch {
      return undefined
    }
  }

  getStats(): ConnectionStats {
    return {
      broker: `${this.address.host}:${this.address.port}`,
      nodeId: this.address.nodeId,
      state: this.state,
      inFlight: this.unsettled.size - this.queue.filter((e) => !e.settled).length,
      queued: this.queue.filter((e) => !e.settled).length,
      bytesIn: this.stats.bytesIn,
      bytesOut: this.stats.bytesOut,
      requests: this.stats.requests,
      connects: this.stats.requests > 0 ? 1 : 0,
      lastError: this.stats.lastError,
    }
  }

  /** Fails what is in flight now (nothing may be scheduled any more) and cancels every timer. */
  close(): void {
    if (this.closed) return
    // Closed first: a caller that retries from its error handler must not reach this transport again.
    this.closed = true
    const pending = [...this.unsettled]
    this.failAll('connection closed by the client', true)
    // Answers already on their way are dropped with the timers: their callers hear the close too.
    for (const entry of pending) this.failEntry(entry, 'connection closed by the client')
    this.wire.brokers.brokerDownListeners.delete(this.brokerDownListener)
    for (const timer of this.timers) timer.unsubscribe()
    this.timers.clear()
  }

  private brokerName(): number | string {
    return this.broker ?? `${this.address.host}:${this.address.port}`
  }

  /** Validates, negotiates the version, builds and round-trips the request body; what went wrong when it cannot be sent. */
  private prepare<Request>(
    api: ApiDefinition<Request, unknown>,
    body: RequestBody<Request>,
    options: RequestOptions,
    expectResponse: boolean,
  ): { entry: PendingRequest } | { failed: unknown } {
    try {
      if (this.closed) throw new ConnectionError('connection is closed', { broker: this.brokerName(), api: api.name })
      if (this.broker === undefined || !this.wire.brokers.up.has(this.broker)) {
        throw new ConnectionError(`there is no virtual broker at ${this.address.host}:${this.address.port}`, {
          broker: this.brokerName(),
          api: api.name,
          hint: `the virtual cluster has brokers ${this.wire.brokers.settings.brokerIds.map(virtualBrokerHost).join(', ')} (port 9092)`,
        })
      }
      const version = chooseVersion(api, VIRTUAL_API_VERSIONS.get(api.apiKey), clientVersionLimits(api, options))
      const shaped = typeof body === 'function' ? (body as (version: number) => Request)(version) : body
      const { value, bytes } = roundTrip(
        (w) => api.encodeRequest(w, version, shaped),
        (r) => api.decodeRequest(r, version),
      )
      this.stats.bytesOut += bytes
      return {
        entry: {
          api: api as ApiDefinition<unknown, unknown>,
          version,
          request: value,
          expectResponse,
          settled: false,
          respond: () => undefined,
          fail: () => undefined,
          cancelWaiting: undefined,
        },
      }
    } catch (error) {
      return { failed: error }
    }
  }

  /**
   * Reports a request that could not be sent on the scheduler, as the real
   * layer reports a failed connect or encode: never inside the caller's
   * subscribe, where it would re-enter the caller's own error handling.
   */
  private failSoon(error: unknown, fail: (error: unknown) => void): () => void {
    const scheduled = this.schedule(() => fail(error), 0)
    return () => this.unschedule(scheduled)
  }

  private enqueue(entry: PendingRequest): void {
    const broker = this.broker!
    this.unsettled.add(entry)
    if (this.wire.brokers.up.get(broker) !== true) {
      // Connection refused: reported after the latency, like any answer.
      this.later(() => this.failEntry(entry, `broker ${broker} is down`, 'refresh metadata and retry on the new leader or coordinator'))
      return
    }
    this.queue.push(entry)
    if (this.active === undefined) this.processNext()
  }

  /** The broker handles one request per connection at a time, in order; the next starts when the previous is answered. */
  private processNext(): void {
    const entry = this.queue.shift()
    if (entry === undefined) return
    const broker = this.broker!
    this.active = entry
    this.stats.requests++
    this.wire.log.push({
      at: this.scheduler.now(),
      broker,
      api: entry.api.name,
      version: entry.version,
      role: this.role,
      clientId: this.options.clientId,
    })
    let answered = false
    const reply = (response: unknown): void => {
      if (answered || this.active !== entry) return
      answered = true
      this.active = undefined
      if (entry.expectResponse) {
        const writer = new Writer(256)
        entry.api.encodeResponse(writer, entry.version, response)
        const bytes = writer.finish()
        this.stats.bytesIn += bytes.length
        this.later(() => {
          if (entry.settled) return
          this.settle(entry)
          entry.respond(bytes)
        })
      }
      this.processNext()
    }
    entry.cancelWaiting = this.wire.brokers.handle(entry.api.apiKey, entry.request, {
      broker,
      version: entry.version,
      clientId: this.options.clientId,
      nowMs: this.scheduler.now(),
      reply,
    })
  }

  /** Fails the request being handled and every queued one: now, or on the scheduler as a socket's close event would. */
  private failAll(why: string, now: boolean): void {
    const entries = this.active === undefined ? [...this.queue] : [this.active, ...this.queue]
    this.active = undefined
    this.queue.length = 0
    if (entries.length > 0) this.stats.lastError = why
    for (const entry of entries) {
      entry.cancelWaiting?.()
      if (now) this.failEntry(entry, why)
      // Delivered on the scheduler, as a socket's close event would be, never inside the caller's stack.
      else this.schedule(() => this.failEntry(entry, why), 0)
    }
  }

  /** Fails a request with a ConnectionError, unless it is settled already. */
  private failEntry(entry: PendingRequest, why: string, hint = 'refresh metadata and retry'): void {
    if (entry.settled) return
    this.settle(entry)
    entry.fail(new ConnectionError(why, { broker: this.brokerName(), api: entry.api.name, hint }))
  }

  private settle(entry: PendingRequest): void {
    entry.settled = true
    this.unsettled.delete(entry)
  }

  private later(work: () => void): void {
    this.schedule(work, this.wire.latencyMs)
  }

  private schedule(work: () => void, delayMs: number): Subscription {
    const scheduled: Subscription = this.scheduler.schedule(() => {
      this.timers.delete(scheduled)
      work()
    }, delayMs)
    this.timers.add(scheduled)
    return scheduled
  }

  private unschedule(scheduled: Subscription): void {
    scheduled.unsubscribe()
    this.timers.delete(scheduled)
  }
}
