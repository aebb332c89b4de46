/**
 * One JVM of a test cluster: a Kafka node (through rxkafka.interop.Broker,
 * which halts when its standard input closes, so it dies with this process)
 * or a one-shot tool such as StorageTool. Output goes to a log file whose last
 * lines explain a node that died.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { KafkaStartError } from './apache-kafka-errors.js'

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

/** Runs a Kafka tool class to completion; rejects with its output when it fails. */
export function runTool(java: string, classpath: string, mainClass: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(java, ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', classpath, mainClass, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4_000)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (cause) => {
      clearTimeout(timer)
      reject(new KafkaStartError(`${mainClass} could not be run`, { cause }))
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve()
      else reject(new KafkaStartError(`${mainClass} ${args.slice(0, 1).join(' ')} failed (${signal ?? `exit ${code}`}):\n${output.trim()}`))
    })
  })
}

/** Resolves once the process has exited (at once if it already has). */
export function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}
