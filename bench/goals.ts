/**
 * The performance goals of issue 19, read off one `npm run bench` run: every
 * ratio the goals name, the target, and whether this run meets it. Ratios
 * come from one run only (the clients took turns on the same peer), so they
 * compare like with like; the run's own JSON holds the load and the peer.
 *
 * Usage: `npm run bench:goals` (the newest file in bench/results/) or
 * `npm run bench:goals -- bench/latest.json`. Prints a Markdown table.
 *
 * Decisions: consume-slow is left out of the "every lane" goals, because its
 * rate is the slow handler's (1 ms every 10 messages) in every client; it is
 * there for memory, which its own row shows. The memory goal is measured by
 * `npm run bench:memory`, not by this run.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClientName, LaneDefinition } from './lanes.js'
import type { CellSummary } from './report.js'

interface BenchReport {
  command: string
  startedAt: string
  peer: string
  lanes: LaneDefinition[]
  cells: CellSummary[]
}

/** One goal checked in one lane: rxkafka's figure against a peer's, as a ratio with a target. */
interface GoalRow {
  goal: string
  lane: string
  rxkafka: string
  peer: string
  ratio: number | undefined
  target: number
  /** A ratio where lower is better (latencies): met when ratio <= target. */
  lowerIsBetter?: boolean
}

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))

function newestResult(): string {
  const dir = join(ROOT, 'bench', 'results')
  const files = readdirSync(dir).filter((f) => /^bench-.*\.json$/.test(f)).sort()
  const newest = files.at(-1)
  if (newest === undefined) throw new Error(`no bench-*.json in ${dir}: run \`npm run bench\` first`)
  return join(dir, newest)
}

function cell(report: BenchReport, lane: string, client: ClientName): CellSummary | undefined {
  const found = report.cells.find((c) => c.lane === lane && c.client === client)
  return found?.status === 'ok' ? found : undefined
}

const rate = (c: CellSummary | undefined): number | undefined => c?.median?.messagesPerSecond
const formatRate = (n: number | undefined): string => (n === undefined ? 'n/a' : n >= 10_000 ? `${Math.round(n / 1000)}k` : `${Math.round(n)}`)

/** rxkafka's rate over a peer's rate in one lane. */
function rateRow(report: BenchReport, goal: string, lane: string, peer: ClientName, target: number): GoalRow {
  const ours = rate(cell(report, lane, 'rxkafka'))
  const theirs = rate(cell(report, lane, peer))
  return { goal, lane, rxkafka: formatRate(ours), peer: `${peer} ${formatRate(theirs)}`, ratio: ours !== undefined && theirs !== undefined ? ours / theirs : undefined, target }
}

/** rxkafka's latency percentile over a peer's: met when at most 1 (as good or better). */
function latencyRow(report: BenchReport, lane: string, peer: ClientName, which: 'latencyP50Ms' | 'latencyP99Ms'): GoalRow {
  const ours = cell(report, lane, 'rxkafka')?.median?.[which]
  const theirs = cell(report, lane, peer)?.median?.[which]
  const label = which === 'latencyP50Ms' ? 'p50' : 'p99'
  return {
    goal: `send-latency ${label} at most the peer's`,
    lane,
    rxkafka: ours === undefined ? 'n/a' : `${ours.toFixed(2)} ms`,
    peer: `${peer} ${theirs === undefined ? 'n/a' : `${theirs.toFixed(2)} ms`}`,
    ratio: ours !== undefined && theirs !== undefined ? ours / theirs : undefined,
    target: 1,
    lowerIsBetter: true,
  }
}

export function goalRows(report: BenchReport): GoalRow[] {
  const rows: GoalRow[] = []
  const throughputLanes = report.lanes.filter((l) => (l.kind === 'produce' || l.kind === 'consume') && l.family === undefined)
  for (const lane of throughputLanes) {
    rows.push(rateRow(report, 'every lane: ≥ 1.0× node-rdkafka', lane.id, 'node-rdkafka', 1))
    rows.push(rateRow(report, 'every lane: ≥ 5× KafkaJS', lane.id, 'kafkajs', 5))
  }
  for (const lane of ['produce-100B', 'produce-idempotent']) rows.push(rateRow(report, 'uncompressed: ≥ 0.9× kcat', lane, 'kcat', 0.9))
  for (const lane of throughputLanes.filter((l) => l.kind === 'produce' && l.compression !== undefined && l.compression !== 'none')) {
    rows.push(rateRow(report, 'compressed: ≥ 0.7× kcat', lane.id, 'kcat', 0.7))
  }
  rows.push(rateRow(report, 'consume-group: ≥ 3× KafkaJS', 'consume-group', 'kafkajs', 3))
  rows.push(rateRow(report, 'consume-group: ≥ 1.0× kcat', 'consume-group', 'kcat', 1))
  for (const peer of ['kafkajs', 'node-rdkafka'] as const) {
    rows.push(rateRow(report, "send-latency rate at least the peer's", 'send-latency', peer, 1))
    rows.push(latencyRow(report, 'send-latency', peer, 'latencyP50Ms'))
    rows.push(latencyRow(report, 'send-latency', peer, 'latencyP99Ms'))
  }
  return rows.filter((r) => report.lanes.some((l) => l.id === r.lane))
}

function verdict(row: GoalRow): string {
  if (row.ratio === undefined) return 'no figure'
  const met = row.lowerIsBetter === true ? row.ratio <= row.target : row.ratio >= row.target
  return met ? 'met' : '**not met**'
}

export function goalsMarkdown(report: BenchReport, source: string): string {
  const rows = goalRows(report)
  const lines = [
    `Goals of issue 19 against \`${report.command}\` (${report.peer}, ${report.startedAt}; ${source}):`,
    '',
    '| goal | lane | rxkafka | peer | ratio | target | verdict |',
    '|---|---|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.goal} | ${r.lane} | ${r.rxkafka} | ${r.peer} | ${r.ratio === undefined ? '–' : `${r.ratio.toFixed(2)}×`} | ${r.lowerIsBetter === true ? '≤' : '≥'} ${r.target} | ${verdict(r)} |`),
  ]
  const met = rows.filter((r) => verdict(r) === 'met').length
  const measured = rows.filter((r) => r.ratio !== undefined).length
  lines.push('', `${met} of ${measured} measured goals met; ${rows.length - measured} without a figure (a client has no number in that lane).`)
  return lines.join('\n')
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const path = process.argv[2] ?? newestResult()
  const report = JSON.parse(readFileSync(path, 'utf8')) as BenchReport
  console.log(goalsMarkdown(report, path.startsWith(ROOT) ? path.slice(ROOT.length + 1) : path))
}
