/**
 * Publishers for the connection layer's channels: requests, connects, closes,
 * reconnects, authentications and metadata refreshes. Each asks
 * `hasSubscribers` first, so an unobserved client builds no payload.
 */
import diagnostics_channel from 'node:diagnostics_channel'
import { performance } from 'node:perf_hooks'
import { defer, finalize, tap, type MonoTypeOperatorFunction, type Observable } from 'rxjs'
import {
  CHANNELS,
  type AuthenticationEvent,
  type CloseEvent,
  type ConnectEvent,
  type ConnectionEventSource,
  type MetadataEvent,
  type ReconnectEvent,
  type RequestEvent,
} from './channels.js'

const requestTracing = diagnostics_channel.tracingChannel<unknown, RequestEvent>(CHANNELS.request)
const metadataTracing = diagnostics_channel.tracingChannel<unknown, MetadataEvent>(CHANNELS.metadata)
const connectChannel = diagnostics_channel.channel(CHANNELS.connect)
const closeChannel = diagnostics_channel.channel(CHANNELS.close)
const reconnectChannel = diagnostics_channel.channel(CHANNELS.reconnect)
const authenticationChannel = diagnostics_channel.channel(CHANNELS.authentication)

/** What a connection tells the publishers about itself; read only when someone subscribes. */
export interface ObservedConnection {
  readonly clientId: string
  readonly name: string
  readonly nodeId: number
  readonly role: string
}

function source(connection: ObservedConnection): ConnectionEventSource {
  return { clientId: connection.clientId, broker: connection.name, nodeId: connection.nodeId, role: connection.role }
}

/** @internal A request was written: the context to finish it with, or undefined when nobody listens. */
export function requestWritten(
  connection: ObservedConnection,
  api: { name: string; apiKey: number },
  version: number,
  correlationId: number,
  bytes: number,
  expectResponse: boolean,
  handshake: boolean,
): RequestEvent | undefined {
  if (!requestTracing.hasSubscribers) return undefined
  const event: RequestEvent = {
    ...source(connection),
    api: api.name,
    apiKey: api.apiKey,
    version,
    correlationId,
    bytes,
    expectResponse,
    handshake,
    startedAt: performance.now(),
  }
  requestTracing.start.publish(event)
  requestTracing.end.publish(event)
  return event
}

/** @internal A traced request ended: answered (`error` undefined), failed, or abandoned by its caller. */
export function requestEnded(event: RequestEvent, outcome: 'ok' | 'error' | 'abandoned', responseBytes: number, error?: unknown): void {
  event.durationMs = performance.now() - event.startedAt
  event.responseBytes = responseBytes
  event.outcome = outcome
  if (error !== undefined) {
    event.error = error instanceof Error ? error : new Error(String(error))
    requestTracing.error.publish(event)
  }
  requestTracing.asyncStart.publish(event)
  requestTracing.asyncEnd.publish(event)
}

/** @internal The start of a connect, for its duration: 0 when nobody listens to connects. */
export function connectStarted(connection: ObservedConnection, attempt: number, failedConnects: number, lastError: string | undefined): number {
  if (attempt > 1 && reconnectChannel.hasSubscribers) {
    const event: ReconnectEvent = { ...source(connection), attempt, failedConnects, lastError }
    reconnectChannel.publish(event)
  }
  return connectChannel.hasSubscribers ? performance.now() : 0
}

/** @internal A connect became ready (no error) or failed. */
export function connectEnded(connection: ObservedConnection, attempt: number, startedAt: number, tls: boolean, error?: Error): void {
  if (!connectChannel.hasSubscribers) return
  const event: ConnectEvent = { ...source(connection), attempt, durationMs: startedAt === 0 ? 0 : performance.now() - startedAt, tls }
  if (error !== undefined) event.error = error
  connectChannel.publish(event)
}

/** @internal A socket that was open (or opening) was closed. */
export function connectionClosed(connection: ObservedConnection, reason: CloseEvent['reason'], pending: number, error?: Error): void {
  if (!closeChannel.hasSubscribers) return
  const event: CloseEvent = { ...source(connection), reason, pending }
  if (error !== undefined) event.error = error
  closeChannel.publish(event)
}

/** @internal Runs a SASL exchange and reports how it went. */
export function observeAuthentication<T extends { sessionLifetimeMs: number }>(
  connection: ObservedConnection,
  mechanism: string,
  reauthentication: boolean,
  work: Promise<T>,
): Promise<T> {
  if (!authenticationChannel.hasSubscribers) return work
  const startedAt = performance.now()
  const publish = (sessionLifetimeMs: number, error?: unknown): void => {
    const event: AuthenticationEvent = {
      ...source(connection),
      mechanism,
      reauthentication,
      durationMs: performance.now() - startedAt,
      sessionLifetimeMs,
    }
    if (error !== undefined) event.error = error instanceof Error ? error : new Error(String(error))
    authenticationChannel.publish(event)
  }
  return work.then(
    (session) => {
      publish(session.sessionLifetimeMs)
      return session
    },
    (error: unknown) => {
      publish(0, error)
      throw error
    },
  )
}

/** @internal Traces a metadata fetch on {@link CHANNELS.metadata} when someone listens. */
export function traceMetadata<V extends { brokers: ReadonlyMap<unknown, unknown>; topics: ReadonlyMap<unknown, unknown> }>(
  clientId: string,
  topics: readonly string[] | null,
): MonoTypeOperatorFunction<V> {
  return (source: Observable<V>) =>
    defer(() => {
      if (!metadataTracing.hasSubscribers) return source
      const event: MetadataEvent = { clientId, topics, startedAt: performance.now() }
      metadataTracing.start.publish(event)
      metadataTracing.end.publish(event)
      let ended = false
      const end = (error?: unknown): void => {
        if (ended) return
        ended = true
        event.durationMs = performance.now() - event.startedAt
        if (error !== undefined) {
          event.error = error instanceof Error ? error : new Error(String(error))
          metadataTracing.error.publish(event)
        }
        metadataTracing.asyncStart.publish(event)
        metadataTracing.asyncEnd.publish(event)
      }
      return source.pipe(
        tap({
          next: (view) => {
            event.brokers = view.brokers.size
            event.topicCount = view.topics.size
            end()
          },
          error: (error: unknown) => end(error),
        }),
        finalize(() => end()),
      )
    })
}
