/**
 * One JVM of a test cluster: a Kafka node (through rxkafka.interop.Broker,
 * which halts when its standard input closes, so it dies with this process)
 * or a one-shot tool such as StorageTool. Output goes to a log file whose last
 * lines explain a node that died.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { KafkaStartError } from '../errors/index.js'

/** Last lines of a log file (empty when it cannot be read). */
export function logTail(path: string, lines = 30): string[] {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines)
  } catch {
    return []
  }
}

export function quoteTail(path: string): string {
  const tail = logTail(path)
  return tail.length === 0 ? ' (it logged nothing)' : `; its last log lines (${path}):\n  ${tail.join('\n  ')}`
}

/** JVM options of a node: a small heap (`-Xmx`), serial GC for a 2-core machine. */
export function nodeJvmOptions(heapMb: number): string[] {
  return [
    `-Xmx${heapMb}m`,
    '-Xms64m',
    '-XX:+UseSerialGC',
    '-XX:MaxMetaspaceSize=128m',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    '-Dorg.slf4j.simpleLogger.showDateTime=true',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=info',
  ]
}

/** Starts a node; its output is appended to `logPath`. */
export function spawnNode(java: string, classpath: string, heapMb: number, propertiesPath: string, logPath: string): ChildProcess {
  const log = openSync(logPath, 'a')
  try {
    const child = spawn(java, [...nodeJvmOptions(heapMb), '-cp', classpath, 'rxkafka.interop.Broker', propertiesPath], {
      stdio: ['pipe', log, log],
    })
    // The pipe stays open for the node's life; closing it (or this process dying) halts the node.
    child.stdin?.on('error', () => undefined)
    return child
  } finally {
    closeSync(log)
  }
}

/** How a command that ran to completion ended: its exit, or why it could not start, and its last output. */
export interface Completed {
  code: number | null
  signal: NodeJS.Signals | null
  /** Set when the command could not be started at all (such as ENOENT). */
  spawnError: Error | undefined
  /** The last 4 000 characters of stdout and stderr together. */
  output: string
}

/** Runs a command to completion, keeping the tail of its output; SIGKILLed after `timeoutMs`. Never rejects. */
export function runToCompletion(command: string, args: string[], cwd: string | undefined, timeoutMs: number): Promise<Completed> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4_000)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (spawnError) => {
      clearTimeout(timer)
      resolve({ code: null, signal: null, spawnError, output })
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, spawnError: undefined, output: output.trim() })
    })
  })
}

/** Runs a Kafka tool class to completion; rejects with its output when it fails. */
export async function runTool(java: string, classpath: string, mainClass: string, args: string[], timeoutMs: number): Promise<void> {
  const run = await runToCompletion(java, ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', classpath, mainClass, ...args], undefined, timeoutMs)
  if (run.spawnError !== undefined) throw new KafkaStartError(`${mainClass} could not be run`, { cause: run.spawnError })
  if (run.code !== 0) throw new KafkaStartError(`${mainClass} ${args.slice(0, 1).join(' ')} failed (${run.signal ?? `exit ${run.code}`}):\n${run.output}`)
}

/** Resolves once the process has exited (at once if it already has). */
export function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}
