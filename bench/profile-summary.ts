/**
 * A small reader of V8 `.cpuprofile` files: self time per function and per
 * source area (our layers, rxjs, node internals, ...), cut to the measured
 * window so start-up, module loading and the group join do not drown the
 * hot path.
 */
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { pathToFileURL } from 'node:url'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
  columnNumber: number
}

interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}

/** The parts of the `.cpuprofile` format (Chrome DevTools protocol `Profile`) read here. */
export interface CpuProfile {
  nodes: ProfileNode[]
  /** Microseconds on the monotonic clock `process.hrtime` also reads. */
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

export interface SelfTimeRow {
  name: string
  where: string
  selfMs: number
  /** Share of the busy (non-idle) time in the window. */
  percent: number
}

export interface ProfileSummary {
  windowMs: number
  busyMs: number
  idleMs: number
  functions: SelfTimeRow[]
  areas: SelfTimeRow[]
}

/** Where a script lives, as a short area name: `lib/producer`, `rxjs`, `node:internal`, ... */
export function areaOf(url: string, root: string): string {
  if (url === '') return '(native / V8)'
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node:internal' : url.split('/')[0] ?? url
  const path = url.startsWith('file://') ? new URL(url).pathname : url
  const inRepo = relative(root, path)
  const modules = inRepo.split('node_modules/')
  if (modules.length > 1) {
    const rest = modules[modules.length - 1] as string
    const parts = rest.split('/')
    return rest.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string)
  }
  const parts = inRepo.split('/')
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : inRepo
}

export function summarizeProfile(profile: CpuProfile, root: string, windowUs?: readonly [number, number], top = 20): ProfileSummary {
  const byId = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]))
  const perFunction = new Map<string, { name: string; where: string; us: number }>()
  const perArea = new Map<string, number>()
  let idleUs = 0
  let busyUs = 0
  let time = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0
    // A sample stands for the time until the next one.
    const duration = profile.timeDeltas[i + 1] ?? 0
    if (windowUs !== undefined && (time < windowUs[0] || time > windowUs[1])) continue
    const node = byId.get(profile.samples[i] as number)
    if (node === undefined) continue
    const frame = node.callFrame
    if (frame.functionName === '(idle)') {
      idleUs += duration
      continue
    }
    busyUs += duration
    const file = frame.url === '' ? '' : relative(root, frame.url.startsWith('file://') ? new URL(frame.url).pathname : frame.url)
    // Lines of TypeScript files are positions in tsx's transpiled output, not in the source: name the file only.
    const where = file === '' ? '' : file.endsWith('.ts') ? file : `${file}:${frame.lineNumber + 1}`
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName
    const key = `${name}@${where}`
    const entry = perFunction.get(key) ?? { name, where, us: 0 }
    entry.us += duration
    perFunction.set(key, entry)
    const area = frame.functionName.startsWith('(') && frame.url === '' ? frame.functionName : areaOf(frame.url, root)
    perArea.set(area, (perArea.get(area) ?? 0) + duration)
  }
  const row = (name: string, where: string, us: number): SelfTimeRow => ({ name, where, selfMs: us / 1000, percent: busyUs === 0 ? 0 : (100 * us) / busyUs })
  return {
    windowMs: windowUs === undefined ? (profile.endTime - profile.startTime) / 1000 : (windowUs[1] - windowUs[0]) / 1000,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    functions: [...perFunction.values()].sort((a, b) => b.us - a.us).slice(0, top).map((e) => row(e.name, e.where, e.us)),
    areas: [...perArea.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([area, us]) => row(area, '', us)),
  }
}

export function readProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
}

export function formatSummary(summary: ProfileSummary): string {
  const lines = [
    `window ${summary.windowMs.toFixed(0)} ms: busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms`,
    '',
    'self time by area:',
    ...summary.areas.map((r) => `  ${r.percent.toFixed(1).padStart(5)}%  ${r.selfMs.toFixed(0).padStart(6)} ms  ${r.name}`),
    '',
    'top functions by self time:',
    ...summary.functions.map((r) => `  ${r.percent.toFixed(1).padStart(5)}%  ${r.selfMs.toFixed(0).padStart(6)} ms  ${r.name}  ${r.where}`),
  ]
  return lines.join('\n')
}

// `npx tsx bench/profile-summary.ts <file.cpuprofile> [startUs endUs]`: summarise a kept profile again.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, start, end] = process.argv.slice(2)
  if (file === undefined) {
    console.error('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [windowStartUs windowEndUs]  (the window is `windowUs` of the run in the results JSON)')
    process.exit(2)
  }
  const window = start !== undefined && end !== undefined ? ([Number(start), Number(end)] as const) : undefined
  console.log(formatSummary(summarizeProfile(readProfile(file), process.cwd(), window)))
}
