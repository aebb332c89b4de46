/**
 * Measurement inside a client process: wall time and CPU over the measured
 * window only (module loading, connecting and the group join stay outside),
 * peak RSS over the process's life.
 */
import type { RunMeasurement } from './lanes.js'

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6
}

/** Process-wide peak RSS in bytes (`maxRSS` is in KiB); includes native threads such as librdkafka's. */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024
}

/** A measured window: call `begin()` at the first message, `end()` after the last. */
export class Window {
  private startMs = 0
  private startUs = 0n
  private cpu: NodeJS.CpuUsage | undefined

  get started(): boolean {
    return this.cpu !== undefined
  }

  begin(): void {
    this.cpu = process.cpuUsage()
    this.startUs = process.hrtime.bigint() / 1000n
    this.startMs = nowMs()
  }

  end(messages: number, bytes: number, extra: Partial<RunMeasurement> = {}): RunMeasurement {
    if (this.cpu === undefined) throw new Error('Window.end() before begin()')
    const wallMs = nowMs() - this.startMs
    const cpu = process.cpuUsage(this.cpu)
    const endUs = process.hrtime.bigint() / 1000n
    return {
      messages,
      bytes,
      wallMs,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      cpuUserSeconds: cpu.user / 1e6,
      cpuSystemSeconds: cpu.system / 1e6,
      peakRssBytes: peakRssBytes(),
      windowUs: [Number(this.startUs), Number(endUs)],
      ...extra,
    }
  }
}

/** Percentile by nearest rank of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] as number
}

export function latencySummary(latencies: number[]): NonNullable<RunMeasurement['latencyMs']> {
  const sorted = [...latencies].sort((a, b) => a - b)
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sorted.reduce((s, x) => s + x, 0) / sorted.length,
    max: sorted[sorted.length - 1] ?? NaN,
  }
}

/** Samples RSS every `everyMs` until stopped; times relative to `origin`. */
export function sampleRss(everyMs: number, origin: () => number): { stop(): [number, number][] } {
  const samples: [number, number][] = []
  const take = (): void => {
    samples.push([Math.round(nowMs() - origin()), process.memoryUsage.rss()])
  }
  take()
  const timer = setInterval(take, everyMs)
  return {
    stop() {
      clearInterval(timer)
      take()
      return samples
    },
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
