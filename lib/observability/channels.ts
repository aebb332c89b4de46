/**
 * The names of the `node:diagnostics_channel` channels rxkafka publishes on,
 * and the payload each carries. Public API: names and payload fields only grow.
 *
 * Operations with a start and an end (a request to a broker, a metadata
 * refresh) are `TracingChannel`s: subscribe with `tracingChannel(name).subscribe({...})`;
 * one context object travels from `start` through `asyncEnd` and gets its
 * result fields (`durationMs`, `error`, ...) filled in on the way. Everything
 * else is a plain channel with one message per event.
 *
 * Nothing is built when nobody subscribes: each publisher asks the channel's
 * `hasSubscribers` before it makes a payload.
 */

/**
 * Every channel rxkafka publishes on, by what it reports.
 *
 * @example
 * ```ts
 * import diagnostics_channel from 'node:diagnostics_channel'
 * import { CHANNELS, type BatchAcknowledgedEvent, type RequestEvent } from 'rxkafka'
 *
 * diagnostics_channel.subscribe(CHANNELS.batchAcknowledged, (message) => {
 *   const e = message as BatchAcknowledgedEvent
 *   if (e.error !== undefined) console.warn(`${e.topic}/${e.partition}: ${e.records} records failed: ${e.error.message}`)
 * })
 * diagnostics_channel.tracingChannel(CHANNELS.request).subscribe({
 *   start() {}, end() {}, asyncStart() {}, error() {},
 *   asyncEnd(message) { const r = message as RequestEvent; console.log(r.api, r.broker, r.durationMs) },
 * })
 * ```
 */
export const CHANNELS = {
  /** TracingChannel: one request to a broker, from written to answered (or failed). Context: {@link RequestEvent}. */
  request: 'rxkafka:request',
  /** A connection became ready (connected, versions negotiated, authenticated), or a connect attempt failed: {@link ConnectEvent}. */
  connect: 'rxkafka:connection:connect',
  /** A connection's socket was closed: idle, failed, or closed by the client: {@link CloseEvent}. */
  close: 'rxkafka:connection:close',
  /** A connection connects again after an earlier connection or a failed attempt: {@link ReconnectEvent}. */
  reconnect: 'rxkafka:connection:reconnect',
  /** A SASL authentication (or re-authentication, KIP-368) finished or failed: {@link AuthenticationEvent}. */
  authentication: 'rxkafka:connection:authentication',
  /** TracingChannel: one metadata refresh, from asked to answered (or failed). Context: {@link MetadataEvent}. */
  metadata: 'rxkafka:metadata',
  /** A producer sealed a record batch (compressed, queued to send): {@link BatchSealedEvent}. */
  batchSealed: 'rxkafka:producer:batch-sealed',
  /** A producer's batch finished: acknowledged by its leader, or failed for good: {@link BatchAcknowledgedEvent}. */
  batchAcknowledged: 'rxkafka:producer:batch-acknowledged',
  /** A consumer's Fetch was answered: {@link FetchEvent}. */
  fetch: 'rxkafka:consumer:fetch',
  /** A group member's JoinGroup was answered: {@link GroupJoinEvent}. */
  groupJoin: 'rxkafka:group:join',
  /** A group member's SyncGroup was answered: {@link GroupSyncEvent}. */
  groupSync: 'rxkafka:group:sync',
  /** A group member got its assignment: the rebalance it took part in is over: {@link GroupRebalanceEvent}. */
  groupRebalance: 'rxkafka:group:rebalance',
  /** A group member committed offsets (or failed to): {@link GroupCommitEvent}. */
  groupCommit: 'rxkafka:group:commit',
  /** A group member left its group (LeaveGroup answered or failed): {@link GroupLeaveEvent}. */
  groupLeave: 'rxkafka:group:leave',
} as const

/** The name of one of rxkafka's channels, such as `rxkafka:request`. */
export type ChannelName = (typeof CHANNELS)[keyof typeof CHANNELS]

/** Where a connection event happened: which client, which broker, which connection role. */
export interface ConnectionEventSource {
  /** The client's `clientId`. */
  clientId: string
  /** The broker as `host:port`. */
  broker: string
  /** The broker's node id, -1 for a bootstrap address not yet identified. */
  nodeId: number
  /** The connection's role: `default`, `produce`, `fetch`, `group`, possibly with a member's key. */
  role: string
}

/**
 * The context of one request on the {@link CHANNELS.request} TracingChannel. `start` is published when the
 * request is written to the socket; `asyncEnd` when it is answered, failed, timed out or given up, with the
 * result fields set; `error` before `asyncEnd` when it failed. Requests that fail before they are written
 * (the connection could not be made) publish nothing here: see {@link CHANNELS.connect}.
 *
 * @example
 * ```ts
 * diagnostics_channel.tracingChannel(CHANNELS.request).asyncEnd.subscribe((m) => {
 *   const r = m as RequestEvent
 *   histogram.record(r.durationMs!, { api: r.api, broker: r.broker })
 * })
 * ```
 */
export interface RequestEvent extends ConnectionEventSource {
  /** The API's name, such as `Produce`. */
  api: string
  /** The API key. */
  apiKey: number
  /** The version used. */
  version: number
  /** The correlation id of the request on its connection. */
  correlationId: number
  /** Bytes of the request frame, size prefix included. */
  bytes: number
  /** False for requests the broker does not answer (Produce with acks 0). */
  expectResponse: boolean
  /** Part of the connection's own handshake (ApiVersions, SASL). */
  handshake: boolean
  /** `performance.now()` when written. */
  startedAt: number
  /** Set at the end: milliseconds from written to answered (or failed). */
  durationMs?: number
  /** Set at the end: bytes of the response frame, size prefix included (0 without an answer). */
  responseBytes?: number
  /** Set at the end: `ok`, `error` (failed or timed out) or `abandoned` (the caller unsubscribed first). */
  outcome?: 'ok' | 'error' | 'abandoned'
  /** Set when it failed: why. */
  error?: Error
}

/**
 * On {@link CHANNELS.connect}: a connection got ready, or a connect attempt failed (then `error` is set).
 *
 * @example
 * ```ts
 * diagnostics_channel.subscribe(CHANNELS.connect, (m) => {
 *   const e = m as ConnectEvent
 *   if (e.error) console.warn(`connect ${e.broker} failed (attempt ${e.attempt}): ${e.error.message}`)
 * })
 * ```
 */
export interface ConnectEvent extends ConnectionEventSource {
  /** How many connects this connection object has made, this one included. */
  attempt: number
  /** Milliseconds from starting the connect to ready (or to the failure): TCP, TLS, ApiVersions and SASL. */
  durationMs: number
  /** Whether the connection uses TLS. */
  tls: boolean
  /** Set when the attempt failed. */
  error?: Error
}

/**
 * On {@link CHANNELS.close}: a connection's socket was closed.
 *
 * @example
 * ```ts
 * diagnostics_channel.subscribe(CHANNELS.close, (m) => { const e = m as CloseEvent; if (e.reason === 'failed') console.warn(e.broker, e.error?.message) })
 * ```
 */
export interface CloseEvent extends ConnectionEventSource {
  /** `idle` (unused for connectionsMaxIdleMs), `failed` (an error; the next request reconnects) or `closed` (by the client, for good). */
  reason: 'idle' | 'failed' | 'closed'
  /** Requests in flight or queued that the close failed. */
  pending: number
  /** Set when it failed. */
  error?: Error
}

/**
 * On {@link CHANNELS.reconnect}: a connection connects again.
 *
 * @example
 * ```ts
 * diagnostics_channel.subscribe(CHANNELS.reconnect, (m) => console.log('reconnect', (m as ReconnectEvent).broker))
 * ```
 */
export interface ReconnectEvent extends ConnectionEventSource {
  /** How many connects this connection object has made, this one included. */
  attempt: number
  /** Connect attempts that failed in a row before this one. */
  failedConnects: number
  /** The last error the connection saw, if any. */
  lastError: string | undefined
}

/**
 * On {@link CHANNELS.authentication}: a SASL authentication finished (or failed: `error` is set).
 *
 * @example
 * ```ts
 * diagnostics_channel.subscribe(CHANNELS.authentication, (m) => { const e = m as AuthenticationEvent; if (e.error) alert(e.mechanism, e.broker) })
 * ```
 */
export interface AuthenticationEvent extends ConnectionEventSource {
  /** The SASL mechanism, such as `SCRAM-SHA-512`. */
  mechanism: string
  /** True for a re-authentication of a live connection (KIP-368). */
  reauthentication: boolean
  /** Milliseconds the exchange took. */
  durationMs: number
  /** The session lifetime the broker granted, 0 for none. */
  sessionLifetimeMs: number
  /** Set when it failed. */
  error?: Error
}

/**
 * The context of one metadata refresh on the {@link CHANNELS.metadata} TracingChannel.
 *
 * @example
 * ```ts
 * diagnostics_channel.tracingChannel(CHANNELS.metadata).asyncEnd.subscribe((m) => console.log((m as MetadataEvent).durationMs))
 * ```
 */
export interface MetadataEvent {
  /** The client's `clientId`. */
  clientId: string
  /** The topics asked for; null for every topic. */
  topics: readonly string[] | null
  /** `performance.now()` when asked. */
  startedAt: number
  /** Set at the end: milliseconds until answered or failed. */
  durationMs?: number
  /** Set at the end: brokers and topics in the answer. */
  brokers?: number
  /** Set at the end: topics in the answer. */
  topicCount?: number
  /** Set when no broker answered. */
  error?: Error
}

/** Which producer and partition a batch event is about. */
export interface BatchEventSource {
  /** The client's `clientId`. */
  clientId: string
  /** The producer's name (the `name` option, or `producer-N`). */
  producer: string
  /** The topic. */
  topic: string
  /** The partition. */
  partition: number
  /** Records in the batch. */
  records: number
  /** The batch's encoded bytes before compression. */
  uncompressedBytes: number
  /** The batch's bytes as sent (after compression). */
  bytes: number
}

/**
 * On {@link CHANNELS.batchSealed}: a batch was sealed and queued to send.
 *
 * @example
 * ```ts
 * diagnostics_channel.subscribe(CHANNELS.batchSealed, (m) => { const e = m as BatchSealedEvent; fill.record(e.records) })
 * ```
 */
export interface BatchSealedEvent extends BatchEventSource {
  /** Milliseconds from its first record to sealing (linger plus fill time), in scheduler time. */
  lingerMs: number
}

/**
 * On {@link CHANNELS.batchAcknowledged}: a batch finished, acknowledged or (with `error`) failed for good.
 *
 * @example
 * ```ts
 * diagnostics_channel.subscribe(CHANNELS.batchAcknowledged, (m) => { const e = m as BatchAcknowledgedEvent; latency.record(e.latencyMs) })
 * ```
 */
export interface BatchAcknowledgedEvent extends BatchEventSource {
  /** Produce requests that carried it. */
  attempts: number
  /** Milliseconds from sealed to finished, in scheduler time (retries included). */
  latencyMs: number
  /** Milliseconds from its first record to finished, in scheduler time. */
  totalMs: number
  /** The offset of its first record, -1n when unknown (acks 0, or failed). */
  baseOffset: bigint
  /** Set when it failed for good (every message of it gets an error result). */
  error?: Error
}

/** One partition of a Fetch answer, in {@link FetchEvent}. */
export interface FetchPartitionEvent {
  /** The topic. */
  topic: string
  /** The partition. */
  partition: number
  /** The partition's error code, 0 when none. */
  errorCode: number
  /** Its high watermark, -1n when unknown. */
  highWatermark: bigint
  /** Records in the answer for it (from the batch headers). */
  records: number
  /** Record bytes in the answer for it. */
  bytes: number
}

/**
 * On {@link CHANNELS.fetch}: a consumer's Fetch was answered.
 *
 * @example
 * ```ts
 * diagnostics_channel.subscribe(CHANNELS.fetch, (m) => { const e = m as FetchEvent; received.add(e.records) })
 * ```
 */
export interface FetchEvent {
  /** The client's `clientId`. */
  clientId: string
  /** The broker (leader) asked. */
  broker: number
  /** The top-level error code, 0 when none. */
  errorCode: number
  /** Partitions in the answer. */
  partitions: FetchPartitionEvent[]
  /** Records over every partition. */
  records: number
  /** Record bytes over every partition. */
  bytes: number
}

/** Which group member a group event is about. */
export interface GroupEventSource {
  /** The client's `clientId`. */
  clientId: string
  /** The group id. */
  groupId: string
  /** The member id (empty before the coordinator gave one). */
  memberId: string
  /** The generation the event belongs to, -1 before the first. */
  generationId: number
}

/**
 * On {@link CHANNELS.groupJoin}: JoinGroup answered (or failed: `error`).
 *
 * @example
 * ```ts
 * diagnostics_channel.subscribe(CHANNELS.groupJoin, (m) => { const e = m as GroupJoinEvent; console.log(e.groupId, e.generationId, e.leader) })
 * ```
 */
export interface GroupJoinEvent extends GroupEventSource {
  /** Whether this member leads the generation (it computes the assignment). */
  leader: boolean
  /** The assignor the group chose, null when the join failed. */
  protocol: string | null
  /** Milliseconds the JoinGroup took (it waits for every member). */
  durationMs: number
  /** Set when the join failed or must be retried. */
  error?: Error
}

/**
 * On {@link CHANNELS.groupSync}: SyncGroup answered (or failed: `error`).
 *
 * @example
 * ```ts
 * diagnostics_channel.subscribe(CHANNELS.groupSync, (m) => console.log((m as GroupSyncEvent).durationMs))
 * ```
 */
export interface GroupSyncEvent extends GroupEventSource {
  /** Milliseconds the SyncGroup took. */
  durationMs: number
  /** Set when it failed. */
  error?: Error
}

/**
 * On {@link CHANNELS.groupRebalance}: the member has its new assignment.
 *
 * @example
 * ```ts
 * diagnostics_channel.subscribe(CHANNELS.groupRebalance, (m) => { const e = m as GroupRebalanceEvent; rebalances.add(1); pause.record(e.durationMs) })
 * ```
 */
export interface GroupRebalanceEvent extends GroupEventSource {
  /** The assignor's name. */
  protocol: string
  /** Milliseconds from its first JoinGroup to having the assignment; -1 when nobody listened when it began. */
  durationMs: number
  /** Partitions assigned now. */
  assigned: number
  /** Partitions new to this member. */
  added: number
  /** Partitions it gave up. */
  revoked: number
}

/** One partition's offset in a {@link GroupCommitEvent}. */
export interface CommittedOffset {
  /** The topic. */
  topic: string
  /** The partition. */
  partition: number
  /** The offset committed: the next one the group reads. */
  offset: bigint
}

/**
 * On {@link CHANNELS.groupCommit}: an OffsetCommit finished (or failed: `error`).
 *
 * @example
 * ```ts
 * diagnostics_channel.subscribe(CHANNELS.groupCommit, (m) => { const e = m as GroupCommitEvent; if (e.error) console.warn('commit failed', e.error.message) })
 * ```
 */
export interface GroupCommitEvent extends GroupEventSource {
  /** The offsets committed: for each partition, the next offset to read. */
  offsets: CommittedOffset[]
  /** Milliseconds it took. */
  durationMs: number
  /** Set when it failed. */
  error?: Error
}

/**
 * On {@link CHANNELS.groupLeave}: LeaveGroup answered (or failed: `error`).
 *
 * @example
 * ```ts
 * diagnostics_channel.subscribe(CHANNELS.groupLeave, (m) => console.log('left', (m as GroupLeaveEvent).groupId))
 * ```
 */
export interface GroupLeaveEvent extends GroupEventSource {
  /** Milliseconds it took. */
  durationMs: number
  /** Set when it failed. */
  error?: Error
}
