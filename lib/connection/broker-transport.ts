/**
 * The seam under the cluster: what `KafkaCluster` needs from one connection
 * to one broker. The real transport is `BrokerConnection` (TCP/TLS, framing,
 * versions, SASL); the virtual cluster of `rxkafka/testing` is another (an
 * in-memory broker behind the generated codecs), and specs script their own.
 * Everything above (metadata, coordinators, the pool of connections per
 * broker and role, teardown) is the cluster's, written once.
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import type { Observable, SchedulerLike } from 'rxjs'
import type { Logger } from '../logger.js'
import type { ApiDefinition } from '../protocol/api.js'
import type { BrokerCompatibility } from './broker-compatibility.js'
import type { SaslOptions } from './sasl/authenticate.js'

/** Where a broker listens. `nodeId` is -1 for a bootstrap address whose id is not known yet. */
export interface BrokerAddress {
  /** Host name or IP address. */
  host: string
  /** TCP port. */
  port: number
  /** The broker id, -1 for a bootstrap address. */
  nodeId: number
}

/**
 * Which connection to a broker a request travels on. Brokers answer one
 * request at a time per connection, in order, so roles keep slow requests (a
 * long-polling fetch, a JoinGroup that waits for a rebalance) from delaying
 * others. The cluster derives the role from the API (see `roleOf`).
 */
export type ConnectionRole = 'default' | 'produce' | 'fetch' | 'group'

/** Options of one broker connection. Every duration is in milliseconds. */
export interface ConnectionOptions {
  /** The client id every request carries. */
  clientId: string
  /** Sent in ApiVersions v3+; brokers show it in their metrics. */
  clientSoftwareName?: string
  /** Sent in ApiVersions v3+ with clientSoftwareName. Default `'0.1.0'`. */
  clientSoftwareVersion?: string
  /**
   * How long the TCP (and TLS) connect may take, and then again how long the
   * broker's first answer (ApiVersions) may take. Default 10 000.
   */
  connectTimeoutMs?: number
  /** Default 30 000; a request's own option wins. */
  requestTimeoutMs?: number
  /** Requests written but not yet answered. Default 5. */
  maxInFlight?: number
  /** Largest response frame accepted. Default 128 MiB. */
  maxResponseBytes?: number
  /** Close the socket after this long without requests. Default 540 000 (Kafka's 9 minutes). */
  connectionsMaxIdleMs?: number
  /** First reconnect delay after a failed connect. Default 100. */
  reconnectBackoffMs?: number
  /** Largest reconnect delay. Default 10 000. */
  reconnectBackoffMaxMs?: number
  /** `true` for TLS with default options (hostname verified), or node:tls options. */
  tls?: boolean | TlsConnectionOptions
  /** SASL authentication after connecting (PLAIN, SCRAM-SHA-256/512, OAUTHBEARER). Default none. */
  sasl?: SaslOptions
  /** Where connection failures are reported. Default: nothing is logged. */
  logger?: Logger
  /** Deviations from the protocol spec to tolerate, for brokers that need it. Default: none. */
  compatibility?: BrokerCompatibility
  /**
   * Time source of every timer of the connection: request and connect
   * timeouts, the idle close, the reconnect backoff and re-authentication.
   * Default `asyncScheduler`. The cluster passes its own.
   */
  scheduler?: SchedulerLike
  /** Random source in [0, 1) of the reconnect jitter and the re-authentication point. Default `Math.random`. */
  random?: () => number
  /** The role this connection serves within its client (for logs, and the virtual cluster's request log). Default `'default'`. */
  role?: ConnectionRole
}

/** Options of one request. */
export interface RequestOptions {
  /** Give up waiting for the answer after this long. Default the connection's requestTimeoutMs. */
  timeoutMs?: number
  /** Highest version to use (for example to stay below a version whose semantics differ). */
  maxVersion?: number
  /** Lowest acceptable version; the request fails when the broker only offers less. */
  minVersion?: number
  /**
   * About how many bytes the encoded request will take. The frame's buffer
   * starts this big instead of growing by doubling from 512 bytes: for a
   * Produce request of several 512 KiB batches the doubling allocates (and
   * leaves as garbage) two to four times the frame. A wrong hint costs one
   * growth, never correctness.
   */
  sizeHint?: number
}

/** Where a connection is in its life. */
export type ConnectionState =
  | 'idle'
  | 'connecting'
  | 'negotiating'
  | 'authenticating'
  | 'ready'
  | 'backoff'
  | 'closed'

/** Counters and state of a connection, for diagnostics. */
export interface ConnectionStats {
  /** `host:port` of the broker. */
  broker: string
  /** The broker id, -1 for a bootstrap connection. */
  nodeId: number
  /** Where the connection is in its life. */
  state: ConnectionState
  /** Requests written and not yet answered. */
  inFlight: number
  /** Requests waiting to be written (for the connection, or for an in-flight slot). */
  queued: number
  /** Bytes received so far. */
  bytesIn: number
  /** Bytes sent so far. */
  bytesOut: number
  /** Requests written so far. */
  requests: number
  /** Connection attempts so far (climbing: the broker flaps or refuses). */
  connects: number
  /** The last failure, if any. */
  lastError: string | undefined
}

/** A body, or a function that shapes the body for the version that was chosen. */
export type RequestBody<Request> = Request | ((version: number) => Request)

/**
 * One connection to one broker, as the cluster uses it. Nothing happens until
 * a request is subscribed. A request's answer is never delivered inside the
 * caller's `subscribe` (always later, on the transport's scheduler or socket).
 *
 * @example
 * ```ts
 * const transport: BrokerTransport = new BrokerConnection({ host: '127.0.0.1', port: 9092, nodeId: -1 }, { clientId: 'demo' })
 * transport.request(MetadataApi, { topics: null }).subscribe((m) => console.log(m.brokers))
 * ```
 */
export interface BrokerTransport {
  /** The broker this transport is to. */
  readonly address: BrokerAddress
  /** `ready` once the transport can send at once; the cluster prefers ready transports for metadata and `'any'` requests. */
  readonly state: ConnectionState
  /**
   * Sends `body` as a request of `api` on subscribe; emits the decoded response
   * once and completes. Unsubscribing before the answer frees the slot; a late
   * answer is dropped.
   */
  request<Request, Response>(api: ApiDefinition<Request, Response>, body: RequestBody<Request>, options?: RequestOptions): Observable<Response>
  /** Sends a request the broker does not answer (Produce with acks 0); emits once when written. */
  send<Request>(api: ApiDefinition<Request, unknown>, body: RequestBody<Request>, options?: RequestOptions): Observable<void>
  /** The version a request of `api` would use now, or undefined before the versions are negotiated. */
  versionFor(api: ApiDefinition<unknown, unknown>, options?: RequestOptions): number | undefined
  /**
   * The cluster's finalized features as this broker announced them in
   * ApiVersions v3+ (feature name -> finalized max version level, for example
   * `transaction.version` -> 2), or undefined before the versions are
   * negotiated. Empty when the broker announces none. Optional so scripted
   * transports of specs need not answer; the cluster then reads "none".
   */
  readonly finalizedFeatures?: ReadonlyMap<string, number> | undefined
  /** Counters for diagnostics. */
  getStats(): ConnectionStats
  /** Fails whatever is pending and releases everything. Idempotent; the transport cannot be used again. */
  close(): void
}

/**
 * Makes the transport to a broker: the cluster calls it once per (broker,
 * role) connection it needs. `options` are the client's connection options
 * with the cluster's scheduler, random source and the connection's role.
 *
 * @example
 * ```ts
 * const connect: ConnectTransport = (address, options) => new BrokerConnection(address, options)
 * new KafkaCluster({ brokers: ['localhost:9092'], connect })
 * ```
 */
export type ConnectTransport = (address: BrokerAddress, options: ConnectionOptions) => BrokerTransport
