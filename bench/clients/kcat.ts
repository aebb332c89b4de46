/**
 * The kcat lanes, run from the parent: kcat is a native process, so its CPU
 * time and peak RSS come from GNU time (`/usr/bin/time -v`, getrusage of the
 * child), and its timing from when its output arrives. kcat cannot await one
 * message at a time or run a handler, so it has no latency or slow-consumer
 * lane.
 */
import { spawn } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LaneDefinition, RunMeasurement } from '../lanes.js'
import { nowMs } from '../measure.js'

export const KCAT = 'kcat'
export const GNU_TIME = '/usr/bin/time'

/** What `time -v` reports that we use. */
interface Rusage {
  cpuSeconds: number
  cpuUserSeconds: number
  cpuSystemSeconds: number
  peakRssBytes: number
}

function parseGnuTime(text: string): Rusage {
  const number = (label: string): number => {
    const match = new RegExp(`${label}:\\s*([0-9.]+)`).exec(text)
    if (match === null) throw new Error(`/usr/bin/time -v output has no "${label}"`)
    return Number(match[1])
  }
  const user = number('User time \\(seconds\\)')
  const system = number('System time \\(seconds\\)')
  return {
    cpuSeconds: user + system,
    cpuUserSeconds: user,
    cpuSystemSeconds: system,
    peakRssBytes: number('Maximum resident set size \\(kbytes\\)') * 1024,
  }
}

export interface KcatRun {
  /** Resolves with the measurement; rejects with kcat's stderr when it fails. */
  result: Promise<RunMeasurement>
  /** Kills kcat (for the parent's timeout). */
  kill(): void
}

function runUnderTime(args: readonly string[], onStdout?: (chunk: Buffer, at: number) => void): { done: Promise<{ rusage: Rusage; startedAt: number; exitedAt: number }>; kill(): void } {
  const timeFile = join(tmpdir(), `rxkafka-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}.txt`)
  const startedAt = nowMs()
  const child = spawn(GNU_TIME, ['-v', '-o', timeFile, KCAT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  child.stdout.on('data', (chunk: Buffer) => onStdout?.(chunk, nowMs()))
  const done = new Promise<{ rusage: Rusage; startedAt: number; exitedAt: number }>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      const exitedAt = nowMs()
      try {
        if (code !== 0) throw new Error(`kcat exited with ${signal ?? code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`)
        resolve({ rusage: parseGnuTime(readFileSync(timeFile, 'utf8')), startedAt, exitedAt })
      } catch (error) {
        reject(error as Error)
      } finally {
        rmSync(timeFile, { force: true })
      }
    })
  })
  return { done, kill: () => child.kill('SIGKILL') }
}

function acksArgs(lane: LaneDefinition): string[] {
  const args = ['-X', `acks=${lane.acks === -1 ? 'all' : '1'}`, '-X', `linger.ms=${lane.lingerMs}`, '-z', lane.compression]
  if (lane.idempotent) args.push('-X', 'enable.idempotence=true')
  return args
}

/**
 * Produces the lines of `valueFile` to the lane's topic. The time is the whole
 * process, start-up and metadata included, since kcat reports nothing in
 * between (the parent takes a one-message run's time off).
 */
export function kcatProduce(lane: LaneDefinition, bootstrap: string, valueFile: string): KcatRun {
  const run = runUnderTime(['-P', '-b', bootstrap, '-t', lane.topic, ...acksArgs(lane), ...(lane.keyed === true ? ['-K', ':'] : []), '-l', valueFile])
  return {
    kill: run.kill,
    result: run.done.then(({ rusage, startedAt, exitedAt }) => ({
      messages: lane.messages,
      bytes: lane.messages * lane.valueBytes,
      wallMs: exitedAt - startedAt,
      ...rusage,
    })),
  }
}

/**
 * Consumes the lane's topic through group `groupId` until `lane.messages`
 * messages are out. kcat prints each value and a newline, so the bytes that
 * arrive count the messages: the first output ends the join, the last ends
 * the window. Printing whole values rather than a byte per message keeps
 * kcat's 4 KiB stdout buffer from hiding the first few thousand messages
 * (with one byte each, the first flush came after librdkafka had prefetched
 * most of the topic, and the window measured little but printing).
 */
export function kcatConsume(lane: LaneDefinition, bootstrap: string, groupId: string): KcatRun {
  let firstAt = 0
  let lastAt = 0
  let received = 0
  const expected = lane.messages * (lane.valueBytes + 1)
  const run = runUnderTime(
    ['-b', bootstrap, '-G', groupId, '-X', 'auto.offset.reset=earliest', '-c', String(lane.messages), '-f', '%s\\n', '-q', lane.topic],
    (chunk, at) => {
      if (received === 0) firstAt = at
      received += chunk.length
      if (received >= expected && lastAt === 0) lastAt = at
    },
  )
  return {
    kill: run.kill,
    result: run.done.then(({ rusage, startedAt }) => {
      if (received !== expected) throw new Error(`kcat printed ${received} bytes, expected ${expected} (${lane.messages} values and newlines)`)
      return {
        messages: lane.messages,
        bytes: lane.messages * lane.valueBytes,
        wallMs: lastAt - firstAt,
        joinMs: firstAt - startedAt,
        ...rusage,
      }
    }),
  }
}

/**
 * Fills one partition with the lines of `valueFile` (used to pre-produce the
 * consume topic), or, with `partition` undefined, the whole topic from a
 * `key:value` file, the keys spreading the lines over the partitions.
 */
export async function kcatFill(bootstrap: string, topic: string, partition: number | undefined, valueFile: string): Promise<void> {
  const where = partition === undefined ? ['-K', ':'] : ['-p', String(partition)]
  await runUnderTime(['-P', '-b', bootstrap, '-t', topic, ...where, '-X', 'linger.ms=20', '-l', valueFile]).done
}

/** The first offset still in a partition: not 0 when the mock's retention dropped the start. */
export async function kcatFirstOffset(bootstrap: string, topic: string, partition: number): Promise<number> {
  let text = ''
  await runUnderTime(['-C', '-b', bootstrap, '-t', topic, '-p', String(partition), '-o', 'beginning', '-c', '1', '-e', '-f', '%o', '-q'], (chunk) => {
    text += chunk.toString()
  }).done
  return Number(text.trim())
}
