/**
 * Trace context in Kafka record headers: the TextMapGetter and TextMapSetter
 * an OpenTelemetry propagator needs, over produced headers (list or object)
 * and consumed headers (a list of Buffer values), and a W3C Trace Context
 * propagator (`traceparent`, `tracestate`) used when none is given: the
 * global one is a no-op until an SDK registers one, and a trace must still
 * cross the producer and the consumer.
 */
import { trace, TraceFlags, isSpanContextValid, type Context, type TextMapGetter, type TextMapPropagator, type TextMapSetter, createTraceState } from '@opentelemetry/api'
import type { MessageHeader } from '../consumer/consumer-message.js'
import type { ProducerHeader, ProducerHeaders } from '../producer/types.js'

/** A carrier for injecting: header names and values collected in a map, then added to the record's headers. */
export type HeaderCarrier = Map<string, string>

const setter: TextMapSetter<HeaderCarrier> = {
  set: (carrier, key, value) => void carrier.set(key, value),
}

const getter: TextMapGetter<readonly MessageHeader[]> = {
  keys: (carrier) => carrier.map((h) => h.key),
  get: (carrier, key) => {
    // The last value wins, as a record may have been re-produced with a fresh context appended.
    for (let i = carrier.length - 1; i >= 0; i--) {
      const h = carrier[i]!
      if (h.key === key) return h.value === null ? undefined : h.value.toString('utf8')
    }
    return undefined
  },
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/**
 * W3C Trace Context (version 00): `traceparent` and `tracestate`.
 *
 * @example
 * ```ts
 * import { W3C_TRACE_CONTEXT } from 'rxkafka/otel'
 * instrumentKafka(kafka, { propagator: W3C_TRACE_CONTEXT })
 * ```
 */
export const W3C_TRACE_CONTEXT: TextMapPropagator = {
  inject(context: Context, carrier: unknown, set: TextMapSetter): void {
    const span = trace.getSpanContext(context)
    if (span === undefined || !isSpanContextValid(span)) return
    set.set(carrier, 'traceparent', `00-${span.traceId}-${span.spanId}-0${(span.traceFlags & TraceFlags.SAMPLED).toString(16)}`)
    const state = span.traceState?.serialize()
    if (state !== undefined && state !== '') set.set(carrier, 'tracestate', state)
  },
  extract(context: Context, carrier: unknown, get: TextMapGetter): Context {
    const header = get.get(carrier, 'traceparent')
    const value = Array.isArray(header) ? header[0] : header
    const match = value === undefined ? null : TRACEPARENT.exec(value.trim())
    if (match === null) return context
    const [, traceId, spanId, flags] = match
    const state = get.get(carrier, 'tracestate')
    const stateValue = Array.isArray(state) ? state.join(',') : state
    const spanContext = {
      traceId: traceId!,
      spanId: spanId!,
      traceFlags: parseInt(flags!, 16) & TraceFlags.SAMPLED,
      isRemote: true,
      ...(stateValue !== undefined && stateValue !== '' ? { traceState: createTraceState(stateValue) } : {}),
    }
    return isSpanContextValid(spanContext) ? trace.setSpanContext(context, spanContext) : context
  },
  fields: () => ['traceparent', 'tracestate'],
}

/** The context carried by consumed headers (the active one when they carry none). */
export function extractFromHeaders(propagator: TextMapPropagator, base: Context, headers: readonly MessageHeader[]): Context {
  return propagator.extract(base, headers, getter)
}

/**
 * The headers of a message to produce with `context` injected: fields the propagator writes replace
 * headers of the same name; the others stay, in order.
 */
export function injectIntoHeaders(propagator: TextMapPropagator, context: Context, headers: ProducerHeaders | undefined): ProducerHeaders | undefined {
  const carrier: HeaderCarrier = new Map()
  propagator.inject(context, carrier, setter)
  if (carrier.size === 0) return headers
  if (headers === undefined) return [...carrier].map(([key, value]) => ({ key, value }))
  if (isHeaderList(headers)) {
    const kept = headers.filter((h) => !carrier.has(h.key))
    return [...kept, ...[...carrier].map(([key, value]) => ({ key, value }))]
  }
  return { ...headers, ...Object.fromEntries(carrier) }
}

function isHeaderList(headers: ProducerHeaders): headers is readonly ProducerHeader[] {
  return Array.isArray(headers)
}
