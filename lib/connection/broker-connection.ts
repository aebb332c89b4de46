/**
 * One TCP (or TLS) connection to one broker: framing, correlation ids,
 * pipelining up to `maxInFlight`, per-request timeouts, ApiVersions
 * negotiation and SASL, with requests as cold Observables.
 *
 * Kafka brokers answer the requests of one connection strictly in order and
 * work on one at a time, so the cluster layer keeps separate connections per
 * role (a long-polling fetch must not sit in front of a produce).
 */
import * as net from 'node:net'
import * as tls from 'node:tls'
import { asyncScheduler, BehaviorSubject, firstValueFrom, Observable, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs'
import type { ApiDefinition } from '../protocol/api.js'
import { ProtocolDecodeError, RxKafkaError, AuthenticationError, ConnectionError, RequestTimeoutError } from '../errors/index.js'
import { ApiVersionsApi } from '../protocol/messages/ApiVersions.js'
import { RequestHeaderData } from '../protocol/messages/RequestHeader.js'
import { ResponseHeaderData } from '../protocol/messages/ResponseHeader.js'
import { Reader, Writer } from '../protocol/primitives.js'
import { chooseVersion, type VersionRange } from '../protocol/versions.js'
import { clientVersionLimits } from './version-caps.js'
import { FrameDecoder } from './frame-decoder.js'
import { backoffDelay } from '../kit/backoff.js'
import { silentLogger } from '../logger.js'
import type {
  BrokerAddress,
  BrokerTransport,
  ConnectionOptions,
  ConnectionState,
  ConnectionStats,
  RequestBody,
  RequestOptions,
} from './broker-transport.js'
import { authenticateSasl, type SaslOptions } from './sasl/authenticate.js'
import type { BrokerCompatibility } from './broker-compatibility.js'
import type { RequestEvent } from '../observability/channels.js'
import {
  connectEnded,
  connectionClosed,
  connectStarted,
  observeAuthentication,
  requestEnded,
  requestWritten,
} from '../observability/connection-events.js'

export type { BrokerAddress, ConnectionOptions, ConnectionState, ConnectionStats, RequestBody, RequestOptions } from './broker-transport.js'

interface PendingRequest {
  api: ApiDefinition<unknown, unknown>
  body: RequestBody<unknown>
  options: RequestOptions
  expectResponse: boolean
  subscriber: Subscriber<unknown>
  version: number
  correlationId: number
  timer: Subscription | undefined
  /** True once written; then it holds an in-flight slot until answered, timed out or unsubscribed. */
  sent: boolean
  /** Internal requests (ApiVersions, SASL) may go before the connection is ready. */
  handshake: boolean
  /** Its context on the rxkafka:request TracingChannel, only while someone subscribes. */
  trace: RequestEvent | undefined
}

const API_VERSIONS_MAX = ApiVersionsApi.maxVersion
const UNSUPPORTED_VERSION = 35
/** Correlation ids of given-up requests remembered at once; far more than can be in flight. */
const MAX_ABANDONED = 10_000

/**
 * A connection to one broker. Nothing happens until the first request is
 * subscribed; the socket then connects, negotiates versions and authenticates.
 *
 * @example
 * ```ts
 * const conn = new BrokerConnection({ host: '127.0.0.1', port: 9092, nodeId: -1 }, { clientId: 'demo' })
 * conn.request(MetadataApi, { topics: null }).subscribe(m => console.log(m.brokers))
 * ```
 */
export class BrokerConnection implements BrokerTransport {
  /** The broker this connection is to. */
  readonly address: BrokerAddress
  private readonly options: Required<Omit<ConnectionOptions, 'tls' | 'sasl' | 'compatibility'>> & { compatibility: BrokerCompatibility }
  /** Every timer of the connection runs on it (a TestScheduler makes them virtual). */
  private readonly scheduler: SchedulerLike
  /**
   * The secrets live in ES private fields, which no reflection reaches, so
   * inspecting or serializing a connection (or a client holding it) never shows
   * a password, a token provider or TLS key material.
   */
  readonly #sasl: SaslOptions | undefined
  readonly #tls: boolean | tls.ConnectionOptions | undefined
  /** Built once from the TLS options; sockets get it instead of the key material, since a TLS socket keeps its connect options. */
  #secureContext: tls.SecureContext | undefined
  private readonly stateSubject = new BehaviorSubject<ConnectionState>('idle')
  /** Every state change, starting with the current one. */
  readonly state$: Observable<ConnectionState> = this.stateSubject.asObservable()

  private socket: net.Socket | undefined
  private decoder: FrameDecoder | undefined
  private readonly queue: PendingRequest[] = []
  private readonly inFlight = new Map<number, PendingRequest>()
  /** Correlation ids of requests given up (timed out or unsubscribed) whose answers may still arrive. */
  private readonly abandoned = new Set<number>()
  private nextCorrelationId = 0
  private versions: Map<number, VersionRange> | undefined
  /** Finalized features of the last ApiVersions answer (see finalizedFeatures). */
  private features: Map<string, number> | undefined
  private failedConnects = 0
  private backoffUntil = 0
  /** The last failure itself, the cause of the errors given while backing off. */
  private lastFailure: RxKafkaError | undefined
  private idleTimer: Subscription | undefined
  private reauthTimer: Subscription | undefined
  private corked = false
  private stats = { bytesIn: 0, bytesOut: 0, requests: 0, connects: 0, lastError: undefined as string | undefined }
  /** When the current connect began, for the rxkafka:connection:connect event (0 when nobody listened). */
  private connectStartedAt = 0

  constructor(address: BrokerAddress, options: ConnectionOptions) {
    this.address = address
    const { sasl, tls: tlsOption, ...plain } = options
    this.#sasl = sasl
    this.#tls = tlsOption
    this.options = {
      clientSoftwareName: 'rxkafka',
      clientSoftwareVersion: '0.1.0',
      connectTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      maxInFlight: 5,
      maxResponseBytes: 128 * 1024 * 1024,
      connectionsMaxIdleMs: 540_000,
      reconnectBackoffMs: 100,
      reconnectBackoffMaxMs: 10_000,
      logger: silentLogger,
      scheduler: asyncScheduler,
      random: Math.random,
      role: 'default',
      ...withoutUndefined(plain),
      clientId: options.clientId,
      compatibility: options.compatibility ?? {},
    }
    this.scheduler = this.options.scheduler
  }

  /** `host:port`, as errors name the broker before its id is known. */
  get name(): string {
    return `${this.address.host}:${this.address.port}`
  }

  /** The client id it sends, as diagnostics channel events name it. */
  get clientId(): string {
    return this.options.clientId
  }

  /** The broker's node id (-1 for a bootstrap address). */
  get nodeId(): number {
    return this.address.nodeId
  }

  /** The connection's role in the pool, as diagnostics channel events name it. */
  get role(): string {
    return this.options.role
  }

  /** Where the connection is in its life now. */
  get state(): ConnectionState {
    return this.stateSubject.value
  }

  /** The broker's version range per API key, once negotiated. */
  get apiVersions(): ReadonlyMap<number, VersionRange> | undefined {
    return this.versions
  }

  /**
   * The cluster's finalized features (name -> finalized max version level) from
   * the ApiVersions answer, once negotiated; empty when the broker sent none or
   * an unknown features epoch (-1), as the field's spec says to ignore them then.
   */
  get finalizedFeatures(): ReadonlyMap<string, number> | undefined {
    return this.features
  }

  /**
   * Sends `body` as a request of `api` on subscribe; emits the decoded response
   * once and completes. Unsubscribing before the answer frees the in-flight
   * slot; the late answer is then dropped.
   */
  request<Request, Response>(
    api: ApiDefinition<Request, Response>,
    body: RequestBody<Request>,
    options: RequestOptions = {},
  ): Observable<Response> {
    return this.makeRequest(api, body, options, true, false) as Observable<Response>
  }

  /**
   * Sends a request the broker does not answer (Produce with acks 0). Emits
   * once, after the bytes were handed to the socket, then completes.
   */
  send<Request>(api: ApiDefinition<Request, unknown>, body: RequestBody<Request>, options: RequestOptions = {}): Observable<void> {
    return this.makeRequest(api, body, options, false, false) as Observable<void>
  }

  /** The version a request of `api` would use now, or undefined before negotiation. */
  versionFor(api: ApiDefinition<unknown, unknown>, options: RequestOptions = {}): number | undefined {
    if (this.versions === undefined) return undefined
    return chooseVersion(api, this.versions.get(api.apiKey), clientVersionLimits(api, { minVersion: options.minVersion, maxVersion: this.maxVersion(api, options) }))
  }

  /** The lower of the request's own cap and the compatibility setting's cap for the API. */
  private maxVersion(api: ApiDefinition<unknown, unknown>, options: RequestOptions): number | undefined {
    const capped = this.options.compatibility.maxVersions?.[api.name]
    if (capped === undefined) return options.maxVersion
    return options.maxVersion === undefined ? capped : Math.min(capped, options.maxVersion)
  }

  /** Counters for diagnostics. */
  getStats(): ConnectionStats {
    return {
      broker: this.name,
      nodeId: this.address.nodeId,
      state: this.state,
      inFlight: this.inFlight.size,
      queued: this.queue.length,
      bytesIn: this.stats.bytesIn,
      bytesOut: this.stats.bytesOut,
      requests: this.stats.requests,
      connects: this.stats.connects,
      lastError: this.stats.lastError,
    }
  }

  /** Closes the socket and fails whatever is pending. Idempotent; the connection cannot be used again. */
  close(): void {
    if (this.state === 'closed') return
    if (this.socket !== undefined) connectionClosed(this, 'closed', this.inFlight.size + this.queue.length)
    this.failAll(new ConnectionError('connection closed by the client', { broker: this.name }))
    this.destroySocket()
    this.clearIdleTimer()
    this.stateSubject.next('closed')
    this.stateSubject.complete()
  }

  private makeRequest(
    api: ApiDefinition<unknown, unknown>,
    body: RequestBody<unknown>,
    options: RequestOptions,
    expectResponse: boolean,
    handshake: boolean,
    pinnedVersion = -1,
  ): Observable<unknown> {
    return new Observable<unknown>((subscriber) => {
      if (this.state === 'closed') {
        subscriber.error(new ConnectionError('connection is closed', { broker: this.name, api: api.name }))
        return undefined
      }
      const pending: PendingRequest = {
        api,
        body,
        options,
        expectResponse,
        subscriber,
        version: pinnedVersion,
        correlationId: -1,
        timer: undefined,
        sent: false,
        handshake,
        trace: undefined,
      }
      const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs
      pending.timer = this.scheduler.schedule(() => {
        pending.timer = undefined
        const written = pending.sent
        this.abandon(pending)
        const timedOut = new RequestTimeoutError(api.name, timeoutMs, this.address.nodeId >= 0 ? this.address.nodeId : this.name)
        if (pending.trace !== undefined) requestEnded(pending.trace, 'error', 0, timedOut)
        pending.trace = undefined
        subscriber.error(timedOut)
        // A handshake request's failure is the handshake's to report (it closes the socket itself).
        if (written && !pending.handshake) {
          // A broker answers a connection's requests in order, so everything written after this one waits
          // behind it: the connection is closed (as the Java client does) and the next request reconnects.
          this.fail(
            new ConnectionError(`closed after ${api.name} got no answer within ${timeoutMs} ms`, {
              broker: this.name,
              hint: 'the broker may be stuck or overloaded; requests are retried on a new connection',
            }),
          )
        }
      }, timeoutMs)
      this.enqueue(pending)
      return () => {
        pending.timer?.unsubscribe()
        pending.timer = undefined
        if (pending.trace !== undefined) requestEnded(pending.trace, 'abandoned', 0)
        pending.trace = undefined
        this.abandon(pending)
      }
    })
  }

  private enqueue(pending: PendingRequest): void {
    this.clearIdleTimer()
    if (pending.handshake) {
      this.write(pending)
      return
    }
    this.queue.push(pending)
    switch (this.state) {
      case 'idle':
        this.connect()
        break
      case 'backoff':
        if (this.scheduler.now() >= this.backoffUntil) {
          this.connect()
        } else {
          this.queue.pop()
          this.finish(
            pending,
            // The last connect's own diagnosis (refused, TLS or HTTP peer, ...) says what to fix; "unreachable" alone does not.
            new ConnectionError(`broker unreachable after ${this.failedConnects} failed connects (last: ${this.stats.lastError ?? 'unknown'})`, {
              broker: this.name,
              api: pending.api.name,
              hint: `next attempt in ${this.backoffUntil - this.scheduler.now()} ms; check that the broker is up and the address is right`,
              cause: this.lastFailure ?? this.stats.lastError,
            }),
          )
        }
        break
      case 'ready':
        this.drain()
        break
      default:
        break // connecting, negotiating or authenticating: drained when ready
    }
  }

  /** Writes queued requests while in-flight slots are free. */
  private drain(): void {
    while (this.state === 'ready' && this.queue.length > 0 && this.inFlight.size < this.options.maxInFlight) {
      this.write(this.queue.shift()!)
    }
  }

  private write(pending: PendingRequest): void {
    const socket = this.socket
    if (socket === undefined) {
      this.finish(pending, new ConnectionError('not connected', { broker: this.name, api: pending.api.name }))
      return
    }
    let frame: Buffer
    try {
      if (pending.version < 0) {
        pending.version = chooseVersion(pending.api, this.versions?.get(pending.api.apiKey), clientVersionLimits(pending.api, {
          minVersion: pending.options.minVersion,
          maxVersion: this.maxVersion(pending.api, pending.options),
        }))
      }
      pending.correlationId = this.nextCorrelationId
      this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff
      frame = this.encode(pending)
    } catch (error) {
      this.finish(pending, error instanceof RxKafkaError ? error : new RxKafkaError('ENCODE', String(error), { api: pending.api.name }))
      return
    }
    pending.sent = true
    pending.trace = requestWritten(this, pending.api, pending.version, pending.correlationId, frame.length, pending.expectResponse, pending.handshake)
    this.stats.requests++
    this.stats.bytesOut += frame.length
    if (!this.corked) {
      // Coalesce every request written in this tick into one writev.
      this.corked = true
      socket.cork()
      process.nextTick(() => {
        this.corked = false
        socket.uncork()
      })
    }
    if (pending.expectResponse) {
      this.inFlight.set(pending.correlationId, pending)
      socket.write(frame)
    } else {
      // Brokers do not answer these (Produce with acks 0); a peer that does needs compatibility.unexpectedAnswers.
      if (this.options.compatibility.unexpectedAnswers === true) this.forget(pending.correlationId)
      socket.write(frame, (error) => {
        if (error) this.finish(pending, new ConnectionError(`write failed: ${error.message}`, { broker: this.name }))
        else this.finish(pending, undefined, undefined, true)
      })
    }
  }

  private encode(pending: PendingRequest): Buffer {
    const { api, version } = pending
    const body = typeof pending.body === 'function' ? (pending.body as (v: number) => unknown)(version) : pending.body
    const w = new Writer(Math.max(512, pending.options.sizeHint ?? 0))
    w.reserve(4)
    RequestHeaderData.encode(w, api.requestHeaderVersion(version), {
      requestApiKey: api.apiKey,
      requestApiVersion: version,
      correlationId: pending.correlationId,
      clientId: this.options.clientId,
    })
    api.encodeRequest(w, version, body)
    w.buffer.writeInt32BE(w.offset - 4, 0)
    return w.finish()
  }

  private onFrame(frame: Buffer): void {
    if (frame.length < 4) {
      this.fail(new ProtocolDecodeError(`response frame of ${frame.length} bytes has no correlation id`, { broker: this.name }))
      return
    }
    const correlationId = frame.readInt32BE(0)
    const pending = this.inFlight.get(correlationId)
    if (pending === undefined) {
      if (this.abandoned.delete(correlationId)) return // the caller gave up on it; drop the late answer
      this.fail(
        new ProtocolDecodeError(`response with unknown correlation id ${correlationId}`, {
          broker: this.name,
          hint: 'the connection is out of step with the broker and is being reset',
        }),
      )
      return
    }
    this.inFlight.delete(correlationId)
    let response: unknown
    try {
      const reader = new Reader(frame)
      reader.nullsAsEmpty = this.options.compatibility.nullsInNonNullableFields === true
      ResponseHeaderData.decode(reader, pending.api.responseHeaderVersion(pending.version))
      response = this.decodeBody(pending, reader)
    } catch (error) {
      const located =
        error instanceof ProtocolDecodeError
          ? new ProtocolDecodeError(`cannot decode ${pending.api.name} v${pending.version} response: ${error.message}`, {
              broker: this.name,
              api: pending.api.name,
              path: error.path,
              cause: error,
            })
          : error
      this.finish(pending, located)
      this.drain()
      return
    }
    this.finish(pending, undefined, response, true, frame.length + 4)
    this.drain()
  }

  /**
   * ApiVersions answers a version it does not know in v0 format (KIP-511), so a
   * failed decode is tried again as v0. With compatibility.undecodableApiVersions,
   * an answer in neither keeps only the error code, which leads every version,
   * and the negotiation steps down one version.
   */
  private decodeBody(pending: PendingRequest, reader: Reader): unknown {
    if (pending.api !== ApiVersionsApi || pending.version === 0) {
      return pending.api.decodeResponse(reader, pending.version)
    }
    const start = reader.offset
    try {
      const body = ApiVersionsApi.decodeResponse(reader, pending.version)
      if (body.errorCode !== UNSUPPORTED_VERSION) return body
    } catch (error) {
      if (!(error instanceof ProtocolDecodeError)) throw error
    }
    reader.offset = start
    try {
      return ApiVersionsApi.decodeResponse(reader, 0)
    } catch (error) {
      if (!(error instanceof ProtocolDecodeError) || this.options.compatibility.undecodableApiVersions !== true) throw error
      reader.offset = start
      return { errorCode: reader.int16(), apiKeys: [] }
    }
  }

  private connect(): void {
    this.stateSubject.next('connecting')
    this.stats.connects++
    this.connectStartedAt = connectStarted(this, this.stats.connects, this.failedConnects, this.stats.lastError)
    const { host, port } = this.address
    const tlsOption = this.#tls
    const socket =
      tlsOption === undefined || tlsOption === false
        ? net.connect({ host, port })
        : tls.connect({
            host,
            port,
            ...(net.isIP(host) === 0 ? { servername: host } : {}),
            ...(tlsOption === true ? {} : this.tlsConnectOptions(tlsOption)),
          })
    socket.setNoDelay(true)
    this.socket = socket
    const bytesBefore = this.stats.bytesIn
    this.decoder = new FrameDecoder(this.options.maxResponseBytes, this.name)
    const connectTimer = this.scheduler.schedule(() => {
      this.onConnectFailed(new ConnectionError(`connect timed out after ${this.options.connectTimeoutMs} ms`, {
        broker: this.name,
        hint: 'check that the broker is up and reachable from here',
      }))
    }, this.options.connectTimeoutMs)
    const connectEvent = tlsOption === undefined || tlsOption === false ? 'connect' : 'secureConnect'
    socket.once(connectEvent, () => {
      connectTimer.unsubscribe()
      if (this.socket !== socket) return
      void this.handshake()
    })
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return
      this.stats.bytesIn += chunk.length
      try {
        this.decoder!.push(chunk, (frame) => this.onFrame(frame))
      } catch (error) {
        this.fail(error instanceof RxKafkaError ? error : new ConnectionError(String(error), { broker: this.name }))
      }
    })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      connectTimer.unsubscribe()
      if (this.socket !== socket) return
      const wrapped = new ConnectionError(describeSocketError(error, this.name), {
        broker: this.name,
        hint: hintForSocketError(error),
        cause: error,
      })
      if (this.state === 'connecting') this.onConnectFailed(wrapped)
      else this.fail(wrapped)
    })
    socket.on('close', () => {
      connectTimer.unsubscribe()
      if (this.socket !== socket) return
      const duringHandshake = this.state === 'negotiating' && bytesBefore === this.stats.bytesIn
      const error = duringHandshake
        ? new ConnectionError('the peer closed the connection without answering ApiVersions', {
            broker: this.name,
            hint: 'if this port expects TLS, set `tls: true`; otherwise check that it is a Kafka listener',
          })
        : new ConnectionError('the broker closed the connection', {
            broker: this.name,
            hint: 'it may be restarting, or it rejected a request (check the broker log); requests are retried by the layers above',
          })
      if (this.state === 'connecting' || this.state === 'negotiating' || this.state === 'authenticating') {
        this.onConnectFailed(error)
      } else this.fail(error)
    })
  }

  /** The TLS options less the key material, plus a secure context made from all of them (once). */
  private tlsConnectOptions(options: tls.ConnectionOptions): tls.ConnectionOptions {
    this.#secureContext ??= options.secureContext ?? tls.createSecureContext(options)
    const { key: _key, pfx: _pfx, passphrase: _passphrase, ...rest } = options
    return { ...rest, secureContext: this.#secureContext }
  }

  private async handshake(): Promise<void> {
    try {
      this.stateSubject.next('negotiating')
      const negotiated = await this.negotiateVersions()
      this.versions = negotiated.ranges
      this.features = negotiated.features
      if (this.#sasl !== undefined) {
        this.stateSubject.next('authenticating')
        await this.authenticate(this.#sasl)
      }
    } catch (error) {
      if (this.state === 'closed') return // close() during the handshake: nothing to report
      const failure =
        error instanceof RxKafkaError ? error : new ConnectionError(`handshake failed: ${String(error)}`, { broker: this.name })
      if (failure instanceof AuthenticationError) {
        // Wrong credentials do not get better with retries: fail fast and stay idle.
        connectEnded(this, this.stats.connects, this.connectStartedAt, this.#tls !== undefined && this.#tls !== false, failure)
        this.failAll(failure)
        this.destroySocket()
        this.stateSubject.next('idle')
      } else this.onConnectFailed(failure)
      return
    }
    this.failedConnects = 0
    connectEnded(this, this.stats.connects, this.connectStartedAt, this.#tls !== undefined && this.#tls !== false)
    this.stateSubject.next('ready')
    this.drain()
    this.armIdleTimer()
  }

  private async authenticate(sasl: SaslOptions, reauthentication = false): Promise<void> {
    const session = await observeAuthentication(this, sasl.mechanism, reauthentication, authenticateSasl(sasl, {
      broker: this.name,
      request: (api, body) => this.handshakeRequest(api, body),
    }))
    if (session.sessionLifetimeMs > 0) {
      // KIP-368: re-authenticate before the broker's session deadline, at a random 85-95% of it.
      const delay = Math.floor(session.sessionLifetimeMs * (0.85 + this.options.random() * 0.1))
      this.reauthTimer = this.scheduler.schedule(() => void this.reauthenticate(sasl), delay)
    }
  }

  /**
   * Re-authenticates a live connection. New requests wait in the queue meanwhile;
   * answers to requests already in flight still arrive and are matched by correlation id.
   */
  private async reauthenticate(sasl: SaslOptions): Promise<void> {
    this.reauthTimer = undefined
    if (this.state !== 'ready') return
    this.stateSubject.next('authenticating')
    try {
      await this.authenticate(sasl, true)
    } catch (error) {
      this.fail(error instanceof RxKafkaError ? error : new AuthenticationError(`re-authentication failed: ${String(error)}`))
      return
    }
    // The connection may have failed or been closed while authenticating.
    if ((this.state as ConnectionState) !== 'authenticating') return
    this.stateSubject.next('ready')
    this.drain()
  }

  /** ApiVersions at our highest version; a broker that does not know it answers with the range it does know. */
  private async negotiateVersions(): Promise<{ ranges: Map<number, VersionRange>; features: Map<string, number> }> {
    let version = API_VERSIONS_MAX
    for (;;) {
      const response = await this.handshakeRequest(
        ApiVersionsApi,
        {
          clientSoftwareName: this.options.clientSoftwareName,
          clientSoftwareVersion: this.options.clientSoftwareVersion,
        },
        version,
        // The first answer is part of setting up the connection, so connectTimeoutMs bounds it, not the longer
        // requestTimeoutMs: a port that accepts but never speaks Kafka must fail soon and say so.
        this.options.connectTimeoutMs,
      ).catch((error: unknown) => {
        if (!(error instanceof RequestTimeoutError)) throw error
        throw new ConnectionError(`connected, but the peer did not answer ApiVersions within ${this.options.connectTimeoutMs} ms`, {
          broker: this.name,
          api: 'ApiVersions',
          hint:
            'This may not be a Kafka port: a server that waits for the client to speak first (HTTP, a database, SSH) ' +
            'accepts the connection and then says nothing. Check the host and port (Kafka usually listens on 9092); ' +
            'if it is a Kafka broker, it is overloaded: raise connectTimeoutMs',
        })
      })
      const ranges = new Map<number, VersionRange>()
      for (const key of response.apiKeys) ranges.set(key.apiKey, { minVersion: key.minVersion, maxVersion: key.maxVersion })
      if (response.errorCode === 0) {
        const features = new Map<string, number>()
        if ((response.finalizedFeaturesEpoch ?? -1n) >= 0n) for (const f of response.finalizedFeatures ?? []) features.set(f.name, f.maxVersionLevel)
        return { ranges, features }
      }
      if (response.errorCode !== UNSUPPORTED_VERSION || version === 0) {
        throw new ConnectionError(`ApiVersions v${version} failed with error code ${response.errorCode}`, {
          broker: this.name,
          api: 'ApiVersions',
          hint: 'the peer may not be a Kafka broker, or a very old one',
        })
      }
      const brokerMax = ranges.get(ApiVersionsApi.apiKey)?.maxVersion
      version = brokerMax !== undefined && brokerMax < version ? brokerMax : version - 1
    }
  }

  /** A request of the connection's own handshake (ApiVersions, SASL), written before the connection is ready. */
  private handshakeRequest<Request, Response>(
    api: ApiDefinition<Request, Response>,
    body: Request,
    version?: number,
    timeoutMs?: number,
  ): Promise<Response> {
    const options = timeoutMs === undefined ? {} : { timeoutMs }
    return firstValueFrom(this.makeRequest(api, body, options, true, true, version) as Observable<Response>)
  }

  private onConnectFailed(error: RxKafkaError): void {
    this.failedConnects++
    this.options.logger.warn('connect failed', { broker: this.name, nodeId: this.address.nodeId, role: this.options.role, attempt: this.failedConnects, error: error.message })
    // Up to 20% jitter (the shared backoff shortens, never lengthens) keeps many clients from reconnecting in lockstep.
    const delay = backoffDelay(
      this.failedConnects - 1,
      { initialMs: this.options.reconnectBackoffMs, maxMs: this.options.reconnectBackoffMaxMs, factor: 2, jitter: 0.2 },
      this.options.random,
    )
    this.backoffUntil = this.scheduler.now() + delay
    connectEnded(this, this.stats.connects, this.connectStartedAt, this.#tls !== undefined && this.#tls !== false, error)
    this.failAll(error)
    this.destroySocket()
    this.stateSubject.next('backoff')
  }

  /** A failure of an established connection: fail what is pending; the next request reconnects. */
  private fail(error: RxKafkaError): void {
    this.options.logger.warn('connection failed', { broker: this.name, nodeId: this.address.nodeId, pending: this.inFlight.size, error: error.message })
    if (this.socket !== undefined) connectionClosed(this, 'failed', this.inFlight.size + this.queue.length, error)
    this.failAll(error)
    this.destroySocket()
    if (this.state !== 'closed') this.stateSubject.next('idle')
  }

  private failAll(error: RxKafkaError): void {
    this.stats.lastError = error.message
    this.lastFailure = error
    const pending = [...this.inFlight.values(), ...this.queue]
    this.inFlight.clear()
    this.queue.length = 0
    this.abandoned.clear()
    for (const p of pending) this.finish(p, error)
  }

  /** Completes a request: with an error, with a response, or (one-way sends) with nothing to decode. */
  private finish(pending: PendingRequest, error: unknown, response?: unknown, ok = false, responseBytes = 0): void {
    pending.timer?.unsubscribe()
    pending.timer = undefined
    if (pending.trace !== undefined) {
      requestEnded(pending.trace, ok ? 'ok' : 'error', responseBytes, ok ? undefined : error)
      pending.trace = undefined
    }
    if (ok) {
      pending.subscriber.next(response)
      pending.subscriber.complete()
    } else pending.subscriber.error(error)
    if (this.inFlight.size === 0 && this.queue.length === 0) this.armIdleTimer()
  }

  /** Forgets a request whose caller gave up; a late answer to it is dropped. */
  private abandon(pending: PendingRequest): void {
    const queued = this.queue.indexOf(pending)
    if (queued >= 0) this.queue.splice(queued, 1)
    if (pending.sent && this.inFlight.delete(pending.correlationId)) {
      this.forget(pending.correlationId)
      this.drain()
    }
  }

  /** Remembers a correlation id whose answer, if one ever comes, is to be dropped. Bounded: the oldest go first. */
  private forget(correlationId: number): void {
    this.abandoned.add(correlationId)
    if (this.abandoned.size > MAX_ABANDONED) this.abandoned.delete(this.abandoned.values().next().value!)
  }

  private destroySocket(): void {
    const socket = this.socket
    this.socket = undefined
    this.decoder = undefined
    this.versions = undefined
    this.features = undefined
    this.reauthTimer?.unsubscribe()
    this.reauthTimer = undefined
    if (socket !== undefined) {
      socket.removeAllListeners('data')
      socket.on('error', () => undefined) // errors after destroy are expected and uninteresting
      socket.destroy()
    }
  }

  private armIdleTimer(): void {
    this.clearIdleTimer()
    if (this.state !== 'ready') return
    this.idleTimer = this.scheduler.schedule(() => {
      this.idleTimer = undefined
      if (this.inFlight.size === 0 && this.queue.length === 0 && this.state === 'ready') {
        connectionClosed(this, 'idle', 0)
        this.destroySocket()
        this.stateSubject.next('idle')
      }
    }, this.options.connectionsMaxIdleMs)
  }

  private clearIdleTimer(): void {
    this.idleTimer?.unsubscribe()
    this.idleTimer = undefined
  }
}

function describeSocketError(error: NodeJS.ErrnoException, broker: string): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return `connection refused by ${broker}`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve host of ${broker}`
    case 'ECONNRESET':
      return `connection reset by ${broker}`
    default:
      return `socket error on ${broker}: ${error.message}`
  }
}

function hintForSocketError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'nothing listens on that port: check that the broker is running and the port is right'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'check the host name in the broker list or in the advertised listeners'
    default:
      if (error.code?.startsWith('ERR_TLS') === true || /certificate|SSL|TLS/i.test(error.message)) {
        return 'TLS handshake failed: check the CA, the host name, or whether the port expects TLS at all'
      }
      return 'the layers above retry retriable connection errors'
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
