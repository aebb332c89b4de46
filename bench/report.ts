/**
 * Turning runs into the table and the JSON: medians per metric, the spread of
 * throughput as min-max, and ratios to rxkafka.
 */
import type { ClientName, LaneDefinition, RunMeasurement } from './lanes.js'

/** One lane and client after all runs. */
export interface CellSummary {
  lane: string
  client: ClientName
  /** 'ok', or why there is no number: 'not yet' (rxkafka code not there), 'n/a' (the client cannot do this lane), 'error'. */
  status: 'ok' | 'not yet' | 'n/a' | 'error'
  note?: string
  runs: RunMeasurement[]
  errors: string[]
  median?: {
    messagesPerSecond: number
    megabytesPerSecond: number
    cpuSecondsPerMillion: number
    peakRssMB: number
    joinMs?: number
    latencyP50Ms?: number
    latencyP99Ms?: number
    rssFirstMB?: number
    rssLastMB?: number
    /** RSS at the end minus RSS half-way through the window: near 0 when memory is flat. */
    rssSecondHalfGrowthMB?: number
  }
  spread?: { messagesPerSecond: [number, number] }
  /** This client's median messages/s divided by rxkafka's; for the slow lane, peak RSS divided by rxkafka's. */
  ratioToRxkafka?: number
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

const MB = 1e6
const inMB = (bytes: number | undefined): number | undefined => (bytes === undefined ? undefined : bytes / MB)

function secondHalfGrowth(samples: RunMeasurement['rssSamples']): number | undefined {
  if (samples === undefined || samples.length < 3) return undefined
  const last = samples[samples.length - 1] as [number, number]
  const half = samples.find(([t]) => t >= last[0] / 2) ?? last
  return (last[1] - half[1]) / MB
}

export function summarize(lane: LaneDefinition, client: ClientName, runs: RunMeasurement[], errors: string[]): CellSummary {
  if (runs.length === 0) return { lane: lane.id, client, status: 'error', runs, errors, note: errors[0] }
  const rate = runs.map((r) => r.messages / (r.wallMs / 1000))
  const optional = (pick: (r: RunMeasurement) => number | undefined): number | undefined => {
    const values = runs.map(pick).filter((v): v is number => v !== undefined)
    return values.length === 0 ? undefined : median(values)
  }
  return {
    lane: lane.id,
    client,
    status: 'ok',
    runs,
    errors,
    median: {
      messagesPerSecond: median(rate),
      megabytesPerSecond: median(runs.map((r) => r.bytes / MB / (r.wallMs / 1000))),
      cpuSecondsPerMillion: median(runs.map((r) => (r.cpuSeconds / Math.max(1, r.messages)) * 1e6)),
      peakRssMB: median(runs.map((r) => r.peakRssBytes / MB)),
      joinMs: optional((r) => r.joinMs),
      latencyP50Ms: optional((r) => r.latencyMs?.p50),
      latencyP99Ms: optional((r) => r.latencyMs?.p99),
      rssFirstMB: optional((r) => inMB(r.rssSamples?.[0]?.[1])),
      rssLastMB: optional((r) => inMB(r.rssSamples?.[r.rssSamples.length - 1]?.[1])),
      rssSecondHalfGrowthMB: optional((r) => secondHalfGrowth(r.rssSamples)),
    },
    spread: { messagesPerSecond: [Math.min(...rate), Math.max(...rate)] },
  }
}

export function addRatios(lane: LaneDefinition, cells: CellSummary[]): void {
  const base = cells.find((c) => c.client === 'rxkafka' && c.status === 'ok')?.median
  if (base === undefined) return
  for (const cell of cells) {
    if (cell.median === undefined) continue
    cell.ratioToRxkafka = lane.kind === 'slow-consume' ? cell.median.peakRssMB / base.peakRssMB : cell.median.messagesPerSecond / base.messagesPerSecond
  }
}

const fmtRate = (n: number): string => (n >= 100_000 ? `${Math.round(n / 1000)}k` : n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n >= 100 ? `${Math.round(n)}` : n.toFixed(1))
const fmt = (n: number | undefined, digits = 1): string => (n === undefined || Number.isNaN(n) ? '' : n.toFixed(digits))

function detail(lane: LaneDefinition, cell: CellSummary): string {
  const m = cell.median
  if (m === undefined) return ''
  if (lane.kind === 'latency') return `p50 ${fmt(m.latencyP50Ms, 2)} / p99 ${fmt(m.latencyP99Ms, 2)} ms`
  if (lane.kind === 'consume') return `join ${fmt(m.joinMs, 0)} ms`
  if (lane.kind === 'slow-consume') return `RSS ${fmt(m.rssFirstMB, 0)}→${fmt(m.rssLastMB, 0)} MB (2nd half ${m.rssSecondHalfGrowthMB === undefined ? '?' : `${m.rssSecondHalfGrowthMB >= 0 ? '+' : ''}${fmt(m.rssSecondHalfGrowthMB, 0)}`} MB), join ${fmt(m.joinMs, 0)} ms`
  return ''
}

export const TABLE_HEADER = ['lane', 'client', 'msg/s', 'min–max', 'MB/s', 'CPU s/M msg', 'peak RSS MB', 'detail', '× rxkafka'] as const

export function tableRows(lanes: readonly LaneDefinition[], cells: readonly CellSummary[]): string[][] {
  const rows: string[][] = []
  for (const lane of lanes) {
    for (const cell of cells.filter((c) => c.lane === lane.id)) {
      if (cell.status !== 'ok' || cell.median === undefined) {
        const note = cell.note ?? ''
        rows.push([lane.id, cell.client, cell.status, '', '', '', '', note.length > 90 ? `${note.slice(0, 89)}…` : note, ''])
        continue
      }
      const m = cell.median
      const [lo, hi] = cell.spread?.messagesPerSecond ?? [NaN, NaN]
      const ratio = cell.ratioToRxkafka === undefined ? '' : `${cell.ratioToRxkafka.toFixed(2)}${lane.kind === 'slow-consume' ? ' (RSS)' : ''}`
      rows.push([lane.id, cell.client, fmtRate(m.messagesPerSecond), `${fmtRate(lo)}–${fmtRate(hi)}`, fmt(m.megabytesPerSecond), fmt(m.cpuSecondsPerMillion, 2), fmt(m.peakRssMB, 0), detail(lane, cell), ratio])
    }
  }
  return rows
}

export function terminalTable(rows: readonly (readonly string[])[]): string {
  const all = [TABLE_HEADER as readonly string[], ...rows]
  const widths = TABLE_HEADER.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  const line = (r: readonly string[]): string => r.map((cell, i) => (i >= 2 && i !== 7 ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number))).join('  ')
  return [line(TABLE_HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

export function markdownTable(rows: readonly (readonly string[])[]): string {
  const line = (r: readonly string[]): string => `| ${r.join(' | ')} |`
  return [line(TABLE_HEADER), `|${TABLE_HEADER.map((_, i) => (i >= 2 && i !== 7 ? '---:' : '---')).join('|')}|`, ...rows.map(line)].join('\n')
}
