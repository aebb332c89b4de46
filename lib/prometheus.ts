/**
 * `toPrometheus()`: a diagnostics snapshot in the Prometheus text exposition
 * format (version 0.0.4), for users who scrape without OpenTelemetry. Counters
 * are per part (a connection, a producer, a group member), labelled so that a
 * part that ends and comes back is a counter reset, which `rate()` handles.
 */
import type { KafkaDiagnostics } from './kafka.js'

/** One metric family: its name, type, help and samples. */
interface Family {
  name: string
  type: 'counter' | 'gauge'
  help: string
  samples: { labels: Record<string, string | number>; value: number | bigint }[]
}

/** Label values escaped as the text format requires: backslash, double quote and newline. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function formatValue(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString()
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}

function render(families: Family[]): string {
  const lines: string[] = []
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`)
    lines.push(`# TYPE ${f.name} ${f.type}`)
    for (const s of f.samples) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(String(v))}"`)
      lines.push(`${f.name}${labels.length > 0 ? `{${labels.join(',')}}` : ''} ${formatValue(s.value)}`)
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}

/**
 * A diagnostics snapshot as Prometheus text: connections (requests, bytes, connects, in flight),
 * metadata refreshes, producers (messages sent and failed, requests, batches, buffered bytes, waiting
 * messages) and group members (messages, fetches, rebalances, and per partition lag and un-done messages).
 * Every sample has a `client_id` label.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { toPrometheus } from 'rxkafka'
 * createServer((_req, res) => res.end(toPrometheus(kafka.diagnostics(), 'billing'))).listen(9464)
 * ```
 */
export function toPrometheus(d: KafkaDiagnostics, clientId: string): string {
  const client = { client_id: clientId }
  const family = (name: string, type: Family['type'], help: string): Family => ({ name, type, help, samples: [] })
  const requests = family('rxkafka_connection_requests_total', 'counter', 'Requests written on the connection.')
  const bytesOut = family('rxkafka_connection_sent_bytes_total', 'counter', 'Bytes sent on the connection.')
  const bytesIn = family('rxkafka_connection_received_bytes_total', 'counter', 'Bytes received on the connection.')
  const connects = family('rxkafka_connection_connects_total', 'counter', 'Connect attempts of the connection.')
  const inFlight = family('rxkafka_connection_in_flight_requests', 'gauge', 'Requests written and not yet answered.')
  const queued = family('rxkafka_connection_queued_requests', 'gauge', 'Requests waiting to be written.')
  const ready = family('rxkafka_connection_ready', 'gauge', '1 when the connection is ready, else 0.')
  for (const c of d.cluster?.connections ?? []) {
    const labels = { ...client, broker: c.broker, node_id: c.nodeId, role: c.role }
    requests.samples.push({ labels, value: c.requests })
    bytesOut.samples.push({ labels, value: c.bytesOut })
    bytesIn.samples.push({ labels, value: c.bytesIn })
    connects.samples.push({ labels, value: c.connects })
    inFlight.samples.push({ labels, value: c.inFlight })
    queued.samples.push({ labels, value: c.queued })
    ready.samples.push({ labels, value: c.state === 'ready' ? 1 : 0 })
  }
  const refreshes = family('rxkafka_metadata_refreshes_total', 'counter', 'Metadata answers received.')
  const metadataAge = family('rxkafka_metadata_age_seconds', 'gauge', 'Age of the cluster view.')
  const metadataFailing = family('rxkafka_metadata_failing', 'gauge', '1 when the last metadata refresh failed, else 0.')
  if (d.cluster !== undefined) {
    refreshes.samples.push({ labels: client, value: d.cluster.metadata.refreshes })
    if (d.cluster.metadata.ageMs !== undefined) metadataAge.samples.push({ labels: client, value: d.cluster.metadata.ageMs / 1000 })
    metadataFailing.samples.push({ labels: client, value: d.cluster.metadata.lastError === undefined ? 0 : 1 })
  }
  const sent = family('rxkafka_producer_messages_sent_total', 'counter', 'Messages produced and acknowledged.')
  const failed = family('rxkafka_producer_messages_failed_total', 'counter', 'Messages that finally failed.')
  const produceRequests = family('rxkafka_producer_requests_total', 'counter', 'Produce requests sent.')
  const batches = family('rxkafka_producer_batches_total', 'counter', 'Record batches sent.')
  const buffered = family('rxkafka_producer_buffered_bytes', 'gauge', 'Encoded records held, not yet acknowledged.')
  const bufferLimit = family('rxkafka_producer_buffer_limit_bytes', 'gauge', 'The maxBufferedBytes bound.')
  const waiting = family('rxkafka_producer_waiting_messages', 'gauge', 'Messages waiting for buffer space or metadata.')
  for (const p of d.producers) {
    const labels = { ...client, producer: p.name }
    sent.samples.push({ labels, value: p.resultsEmitted - p.failures })
    failed.samples.push({ labels, value: p.failures })
    produceRequests.samples.push({ labels, value: p.requestsSent })
    batches.samples.push({ labels, value: p.batchesSent })
    buffered.samples.push({ labels, value: p.bufferedBytes })
    bufferLimit.samples.push({ labels, value: p.maxBufferedBytes })
    waiting.samples.push({ labels, value: p.waitingMessages })
  }
  const received = family('rxkafka_consumer_messages_total', 'counter', 'Messages delivered to the application.')
  const fetches = family('rxkafka_consumer_fetches_total', 'counter', 'Fetch requests sent.')
  const rebalances = family('rxkafka_consumer_rebalances_total', 'counter', 'Assignments received.')
  const stable = family('rxkafka_consumer_stable', 'gauge', '1 when the member is stable (consuming), else 0.')
  const lag = family('rxkafka_consumer_lag', 'gauge', 'High watermark minus position, per partition.')
  const undone = family('rxkafka_consumer_undone_messages', 'gauge', 'Messages delivered and not yet done, per partition.')
  const paused = family('rxkafka_consumer_paused_by_demand', 'gauge', '1 while a partition waits for done() before fetching more.')
  for (const m of d.consumers) {
    const labels = { ...client, group: m.groupId, member_id: m.memberId }
    received.samples.push({ labels, value: m.messages })
    fetches.samples.push({ labels, value: m.fetches })
    rebalances.samples.push({ labels, value: m.rebalances })
    stable.samples.push({ labels, value: m.state === 'stable' ? 1 : 0 })
    for (const p of m.partitions) {
      const partition = { ...client, group: m.groupId, topic: p.topic, partition: p.partition }
      if (p.lag !== null) lag.samples.push({ labels: partition, value: p.lag })
      undone.samples.push({ labels: partition, value: p.undoneMessages })
      paused.samples.push({ labels: partition, value: p.pausedByDemand ? 1 : 0 })
    }
  }
  return render([
    requests, bytesOut, bytesIn, connects, inFlight, queued, ready,
    refreshes, metadataAge, metadataFailing,
    sent, failed, produceRequests, batches, buffered, bufferLimit, waiting,
    received, fetches, rebalances, stable, lag, undone, paused,
  ].filter((f) => f.samples.length > 0))
}
