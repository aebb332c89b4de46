/**
 * `kafka.metrics$(everyMs)`: rates (per second) computed from the counters
 * the diagnostics snapshot already keeps, sampled on the client's scheduler.
 * Counters belong to parts that come and go (a connection closed when idle,
 * a producer that completed): a part's counter that went down, or a part that
 * is new, counts from zero, as Prometheus treats a counter reset; what a part
 * did between the last sample and its end is not seen.
 */
import { map, Observable, pairwise, startWith, timer, type SchedulerLike } from 'rxjs'
import type { KafkaDiagnostics } from './kafka.js'

/** Rates of one broker's connections, in {@link KafkaRates}. */
export interface BrokerRates {
  /** `host:port`. */
  broker: string
  /** Its node id (-1 for a bootstrap address). */
  nodeId: number
  /** Requests written per second, over all its connections. */
  requestsPerSecond: number
  /** Bytes sent per second. */
  bytesOutPerSecond: number
  /** Bytes received per second. */
  bytesInPerSecond: number
  /** Connects per second (above 0 while idle: the broker flaps or refuses). */
  connectsPerSecond: number
}

/**
 * One sample of `kafka.metrics$()`: per-second rates over the interval since the previous sample.
 *
 * @example
 * ```ts
 * kafka.metrics$(10_000).subscribe((r) => console.log(`${r.messagesSentPerSecond.toFixed(0)} msg/s out, ${r.errorsPerSecond} errors/s`))
 * ```
 */
export interface KafkaRates {
  /** Scheduler time of the sample. */
  at: number
  /** Milliseconds since the previous sample. */
  intervalMs: number
  /** Messages produced and acknowledged per second (every producer of the client). */
  messagesSentPerSecond: number
  /** Messages delivered to consumers per second (every group member of the client). */
  messagesReceivedPerSecond: number
  /** Bytes sent per second over every connection. */
  bytesSentPerSecond: number
  /** Bytes received per second over every connection. */
  bytesReceivedPerSecond: number
  /** Requests written per second over every connection. */
  requestsPerSecond: number
  /** Messages that finally failed to be delivered, per second. */
  errorsPerSecond: number
  /** Rebalances (assignments received) per second. */
  rebalancesPerSecond: number
  /** Per broker, those of the interval's connections. */
  brokers: BrokerRates[]
}

/** The counters of one snapshot, by part, so the next one can be subtracted. */
interface Counters {
  at: number
  /** key -> counter value. */
  values: Map<string, number>
}

const COUNTERS = ['sent', 'received', 'bytesOut', 'bytesIn', 'requests', 'failures', 'rebalances', 'connects'] as const
type CounterName = (typeof COUNTERS)[number]

function countersOf(d: KafkaDiagnostics, at: number): Counters {
  const values = new Map<string, number>()
  const put = (name: CounterName, part: string, value: number): void => {
    const key = `${name}\u0000${part}`
    values.set(key, (values.get(key) ?? 0) + value)
  }
  for (const c of d.cluster?.connections ?? []) {
    const part = `${c.broker}\u0000${c.nodeId}\u0000${c.role}`
    put('bytesOut', part, c.bytesOut)
    put('bytesIn', part, c.bytesIn)
    put('requests', part, c.requests)
    put('connects', part, c.connects)
  }
  d.producers.forEach((p, i) => {
    const part = `${p.name}\u0000${i}`
    put('sent', part, p.resultsEmitted - p.failures)
    put('failures', part, p.failures)
  })
  d.consumers.forEach((m, i) => {
    const part = `${m.groupId}\u0000${m.memberId}\u0000${i}`
    put('received', part, m.messages)
    put('rebalances', part, m.rebalances)
  })
  return { at, values }
}

/** The increase of each counter from `before` to `now`, with resets and new parts counted from zero. */
function increases(before: Counters, now: Counters): Map<string, number> {
  const result = new Map<string, number>()
  for (const [key, value] of now.values) {
    const previous = before.values.get(key)
    result.set(key, previous === undefined || value < previous ? value : value - previous)
  }
  return result
}

/**
 * Rates per second between two diagnostics snapshots taken at `beforeAt` and `nowAt` (scheduler time), as
 * `kafka.metrics$` computes them: a counter that went down, or a part that is new, counts from zero.
 *
 * @example
 * ```ts
 * import { ratesBetween } from 'rxkafka'
 * const before = kafka.diagnostics(), t0 = Date.now()
 * setTimeout(() => console.log(ratesBetween(before, t0, kafka.diagnostics(), Date.now()).requestsPerSecond), 5_000)
 * ```
 */
export function ratesBetween(before: KafkaDiagnostics, beforeAt: number, now: KafkaDiagnostics, nowAt: number): KafkaRates {
  const delta = increases(countersOf(before, beforeAt), countersOf(now, nowAt))
  const intervalMs = nowAt - beforeAt
  const perSecond = (n: number): number => (intervalMs > 0 ? (n * 1000) / intervalMs : 0)
  const total = (name: CounterName): number => {
    let n = 0
    for (const [key, value] of delta) if (key.startsWith(`${name}\u0000`)) n += value
    return n
  }
  const brokers = new Map<string, BrokerRates>()
  for (const [key, value] of delta) {
    const [name, broker, nodeId] = key.split('\u0000') as [CounterName, string, string]
    if (name !== 'bytesOut' && name !== 'bytesIn' && name !== 'requests' && name !== 'connects') continue
    const id = `${broker}\u0000${nodeId}`
    let rates = brokers.get(id)
    if (rates === undefined) {
      rates = { broker, nodeId: Number(nodeId), requestsPerSecond: 0, bytesOutPerSecond: 0, bytesInPerSecond: 0, connectsPerSecond: 0 }
      brokers.set(id, rates)
    }
    const rate = perSecond(value)
    if (name === 'requests') rates.requestsPerSecond += rate
    else if (name === 'bytesOut') rates.bytesOutPerSecond += rate
    else if (name === 'bytesIn') rates.bytesInPerSecond += rate
    else rates.connectsPerSecond += rate
  }
  return {
    at: nowAt,
    intervalMs,
    messagesSentPerSecond: perSecond(total('sent')),
    messagesReceivedPerSecond: perSecond(total('received')),
    bytesSentPerSecond: perSecond(total('bytesOut')),
    bytesReceivedPerSecond: perSecond(total('bytesIn')),
    requestsPerSecond: perSecond(total('requests')),
    errorsPerSecond: perSecond(total('failures')),
    rebalancesPerSecond: perSecond(total('rebalances')),
    brokers: [...brokers.values()].sort((a, b) => a.nodeId - b.nodeId || a.broker.localeCompare(b.broker)),
  }
}

/** @internal What `kafka.metrics$` runs: a snapshot at subscribe, then rates every `everyMs`. */
export function ratesOf(diagnostics: () => KafkaDiagnostics, everyMs: number, scheduler: SchedulerLike): Observable<KafkaRates> {
  return new Observable<KafkaRates>((subscriber) => {
    const first = { d: diagnostics(), at: scheduler.now() }
    return timer(everyMs, everyMs, scheduler)
      .pipe(
        map(() => ({ d: diagnostics(), at: scheduler.now() })),
        startWith(first),
        pairwise(),
        map(([a, b]) => ratesBetween(a.d, a.at, b.d, b.at)),
      )
      .subscribe(subscriber)
  })
}
