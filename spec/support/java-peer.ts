/**
 * The Java client (kafka-clients, test-brokers/kafka/src/main/java) as a peer:
 * each command runs `java -cp ... rxkafka.interop.Interop` and speaks JSON
 * lines (see Interop.java for the commands). Every process is killed by PID
 * when a spec ends, whatever happens.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { sharedKafka } from './peers.js'

export interface JavaRecord {
  topic: string
  partition: number
  offset: number
  timestamp: number
  timestampType: string
  key: string | null
  value: string | null
  headers: Record<string, string | null>
}

/** One line the Java peer printed. */
export interface JavaLine {
  sent?: { partition: number; offset: number }
  record?: JavaRecord
  done?: number
  assigned?: number[]
  revoked?: number[]
  committed?: number
  closed?: boolean
  key?: string
  partition?: number
  error?: string
  /** The share command: a record settled (after commitSync), with its delivery count. */
  accepted?: string
  released?: string
  deliveryCount?: number
  failed?: boolean
  /** The share command: a record it holds without settling. */
  holding?: string
}

const running = new Set<ChildProcessWithoutNullStreams>()

/** Kills every Java peer still running (call from afterEach/afterAll). */
export function killJavaPeers(): void {
  for (const child of running) child.kill('SIGKILL')
  running.clear()
}

export class JavaPeer {
  readonly lines: JavaLine[] = []
  readonly exited: Promise<number | null>
  private stderr = ''
  private readonly child: ChildProcessWithoutNullStreams

  constructor(command: string, args: Record<string, string | number>) {
    const kafka = sharedKafka()
    const argv = Object.entries(args).flatMap(([name, value]) => [`--${name}`, String(value)])
    this.child = spawn(kafka.java, [
      '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-cp', kafka.classpath, 'rxkafka.interop.Interop', command, '--bootstrap', kafka.bootstrap, ...argv,
    ])
    running.add(this.child)
    let buffered = ''
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk
      const parts = buffered.split('\n')
      buffered = parts.pop()!
      for (const line of parts) if (line.trim() !== '') this.lines.push(JSON.parse(line) as JavaLine)
    })
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-6_000)
    })
    this.child.stdin.on('error', () => undefined)
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => {
      running.delete(this.child)
      resolve(code)
    }))
  }

  write(line: string): void {
    this.child.stdin.write(`${line}\n`)
  }

  end(): void {
    this.child.stdin.end()
  }

  /** Resolves when the peer exited 0; rejects with its error line and stderr otherwise, or after `timeoutMs`. */
  async finished(timeoutMs = 90_000): Promise<JavaLine[]> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL')
        reject(new Error(`the Java peer did not finish within ${timeoutMs} ms; stderr: ${this.stderr}`))
      }, timeoutMs)
    })
    try {
      const code = await Promise.race([this.exited, timeout])
      if (code !== 0) {
        const error = this.lines.find((l) => l.error !== undefined)?.error
        throw new Error(`the Java peer exited with ${code}: ${error ?? '(no error line)'}; stderr: ${this.stderr}`)
      }
      return this.lines
    } finally {
      clearTimeout(timer)
    }
  }

  records(): JavaRecord[] {
    return this.lines.flatMap((l) => (l.record === undefined ? [] : [l.record]))
  }

  kill(): void {
    this.child.kill('SIGKILL')
  }
}

/** Runs a command that reads stdin lines to its end, and waits for it. */
export async function runJava(command: string, args: Record<string, string | number>, input: readonly string[] = [], timeoutMs?: number): Promise<JavaLine[]> {
  const peer = new JavaPeer(command, args)
  for (const line of input) peer.write(line)
  peer.end()
  return peer.finished(timeoutMs)
}
