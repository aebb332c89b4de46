/**
 * The scale curves as an SVG, from a bench run's JSON: msg/s (median of the
 * runs, with the min–max as a bar) against partitions in all (log scale), one
 * panel for producing and one for consuming, one line per client and curve.
 * A few dozen lines of SVG text: no plotting dependency.
 *
 *   npm run bench:plot -- bench/results/bench-<time>.json docs/bench-scale.svg
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { LaneDefinition } from './lanes.js'
import type { CellSummary } from './report.js'

interface Report {
  startedAt?: string
  command?: string
  machine?: { node?: string; cpus?: number }
  peer?: string
  lanes: LaneDefinition[]
  cells: CellSummary[]
}

interface Series {
  label: string
  color: string
  dash: string
  points: { x: number; y: number; low: number; high: number }[]
}

const COLORS: Record<string, string> = { rxkafka: '#d62728', kafkajs: '#1f77b4', 'node-rdkafka': '#2ca02c', platformatic: '#9467bd', kcat: '#7f7f7f' }
const WIDTH = 460
const HEIGHT = 300
const MARGIN = { left: 64, right: 16, top: 36, bottom: 44 }

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten that is at least `value`. */
function niceMax(value: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(value, 1)))
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * power >= value) return m * power
  return 10 * power
}

function formatRate(value: number): string {
  return value >= 1e6 ? `${(value / 1e6).toFixed(1)}M` : value >= 1e3 ? `${Math.round(value / 1e3)}k` : String(Math.round(value))
}

/** Rows of legend under each panel. */
function legendRows(series: Series[]): number {
  return series.length
}

function panel(title: string, series: Series[], offsetX: number): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom
  const xs = series.flatMap((s) => s.points.map((p) => p.x))
  const maxX = Math.max(1000, ...xs)
  // Scaled to the medians; a run far off the others is clipped at the top rather than flattening every curve.
  const maxY = niceMax(1.15 * Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.y))))
  const x = (v: number): number => offsetX + MARGIN.left + (Math.log10(v) / Math.log10(maxX)) * plotW
  const y = (v: number): number => MARGIN.top + plotH - (v / maxY) * plotH
  const out: string[] = []
  out.push(`<text x="${offsetX + MARGIN.left}" y="20" font-size="14" font-weight="bold">${escape(title)}</text>`)
  out.push(`<rect x="${offsetX + MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#ccc"/>`)
  for (let decade = 1; decade <= maxX; decade *= 10) {
    out.push(`<line x1="${x(decade)}" y1="${MARGIN.top}" x2="${x(decade)}" y2="${MARGIN.top + plotH}" stroke="#eee"/>`)
    out.push(`<text x="${x(decade)}" y="${MARGIN.top + plotH + 16}" font-size="11" text-anchor="middle">${decade}</text>`)
  }
  for (let i = 0; i <= 4; i++) {
    const v = (maxY * i) / 4
    out.push(`<line x1="${offsetX + MARGIN.left}" y1="${y(v)}" x2="${offsetX + MARGIN.left + plotW}" y2="${y(v)}" stroke="#eee"/>`)
    out.push(`<text x="${offsetX + MARGIN.left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${formatRate(v)}</text>`)
  }
  out.push(`<text x="${offsetX + MARGIN.left + plotW / 2}" y="${HEIGHT - 8}" font-size="12" text-anchor="middle">partitions in all (log scale)</text>`)
  out.push(`<text x="${offsetX + 14}" y="${MARGIN.top + plotH / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 ${offsetX + 14} ${MARGIN.top + plotH / 2})">msg/s</text>`)
  series.forEach((s, i) => {
    const points = [...s.points].sort((a, b) => a.x - b.x)
    if (points.length > 1) {
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}" points="${points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ')}"/>`)
    }
    for (const p of points) {
      out.push(`<line x1="${x(p.x)}" y1="${y(p.low)}" x2="${x(p.x)}" y2="${y(Math.min(p.high, maxY))}" stroke="${s.color}" stroke-width="1"/>`)
      out.push(`<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3" fill="${s.color}"><title>${escape(`${s.label}: ${p.x} partitions, ${formatRate(p.y)} msg/s (${formatRate(p.low)}–${formatRate(p.high)})`)}</title></circle>`)
    }
    const ly = HEIGHT + 14 + i * 15
    const lx = offsetX + MARGIN.left
    out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 22}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}"/>`)
    out.push(`<text x="${lx + 28}" y="${ly}" font-size="11">${escape(s.label)}</text>`)
  })
  return out.join('\n')
}

/** The SVG text of the scale curves in `report` (cells of lanes that have a `curve`). */
export function scalePlotSvg(report: Report): string {
  const lanes = new Map(report.lanes.map((lane) => [lane.id, lane]))
  const byPanel = new Map<string, Map<string, Series>>()
  const dashes = ['', '6 3', '2 3']
  for (const cell of report.cells) {
    const lane = lanes.get(cell.lane)
    if (lane?.curve === undefined || cell.status !== 'ok' || cell.median === undefined) continue
    const panelName = lane.kind === 'consume' ? 'consume' : 'produce'
    const seriesOf = byPanel.get(panelName) ?? new Map<string, Series>()
    byPanel.set(panelName, seriesOf)
    const label = `${cell.client}, ${lane.curve.name.replace(/^(produce|consume), /, '')}`
    let series = seriesOf.get(label)
    if (series === undefined) {
      const curves = [...new Set([...report.lanes].filter((l) => l.curve !== undefined && (l.kind === 'consume') === (panelName === 'consume')).map((l) => l.curve!.name))]
      series = { label, color: COLORS[cell.client] ?? '#000', dash: dashes[curves.indexOf(lane.curve.name) % dashes.length]!, points: [] }
      seriesOf.set(label, series)
    }
    const [low, high] = cell.spread?.messagesPerSecond ?? [cell.median.messagesPerSecond, cell.median.messagesPerSecond]
    series.points.push({ x: lane.curve.partitions, y: cell.median.messagesPerSecond, low, high })
  }
  const panels = ['produce', 'consume'].filter((name) => byPanel.has(name))
  const width = WIDTH * Math.max(1, panels.length)
  const legend = Math.max(0, ...panels.map((name) => legendRows([...byPanel.get(name)!.values()])))
  const height = HEIGHT + 14 + legend * 15 + 30
  const caption = `${report.startedAt ?? ''} · Node ${report.machine?.node ?? '?'}, ${report.machine?.cpus ?? '?'} cores · peer: ${report.peer ?? 'mock'} · median of the runs, bars min–max (clipped at the top)`
  const command = (report.command ?? 'npm run bench -- --scale-curves').slice(0, 160)
  const body = panels.map((name, i) => panel(`${name} throughput against partitions`, [...byPanel.get(name)!.values()], i * WIDTH)).join('\n')
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${body}
<text x="8" y="${height - 18}" font-size="10" fill="#555">${escape(caption)}</text>
<text x="8" y="${height - 5}" font-size="10" fill="#555">${escape(command)}</text>
</svg>
`
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [input, output] = process.argv.slice(2)
  if (input === undefined || output === undefined) {
    console.error('usage: npm run bench:plot -- <bench JSON> <output.svg>')
    process.exit(2)
  }
  writeFileSync(output, scalePlotSvg(JSON.parse(readFileSync(input, 'utf8')) as Report))
  console.log(`written: ${output}`)
}
