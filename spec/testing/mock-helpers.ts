/**
 * Helpers for the mock-cluster specs: a real librdkafka client (kcat) and
 * hand-encoded protocol probes, so the mock is observed from outside rather
 * than through the code under test.
 */
import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import { Reader, Writer } from '../../lib/protocol/primitives.js'
import { sendRawRequest } from '../../lib/testing/index.js'

export interface KcatResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs kcat to completion; kills it (and fails) if it has not finished after `timeoutMs`. */
export function runKcat(args: string[], input?: string, timeoutMs = 45_000): Promise<KcatResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`kcat ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr: ${stderr}`))
    }, timeoutMs)
    // setEncoding keeps a UTF-8 character that is split across chunks whole
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(error.code === 'ENOENT'
        ? new Error('kcat is not installed; install it with `apt-get install -y kcat` (CI does this in .ci/run)')
        : error)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.on('error', () => undefined)
    child.stdin.end(input ?? '')
  })
}

/** The subset of `kcat -L -J` output the specs read. */
export interface KcatMetadata {
  brokers: { id: number; name: string }[]
  topics: { topic: string; error?: string; partitions: { partition: number; leader: number }[] }[]
}

export async function kcatMetadata(bootstrap: string, topic: string): Promise<KcatMetadata> {
  const result = await runKcat(['-L', '-J', '-b', bootstrap, '-t', topic])
  if (result.code !== 0) throw new Error(`kcat -L failed (${result.code}): ${result.stderr}`)
  return JSON.parse(result.stdout) as KcatMetadata
}

/** Whether a TCP connection to the port is accepted or refused. */
export function tcpConnect(host: string, port: number): Promise<'accepted' | 'refused'> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port })
    socket.on('connect', () => {
      socket.destroy()
      resolve('accepted')
    })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve('refused')
      else reject(error)
    })
  })
}

/** FindCoordinator v0 (key only, group coordinators): which broker the mock names. */
export async function findCoordinatorV0(host: string, port: number, groupId: string): Promise<{ errorCode: number; nodeId: number; host: string; port: number }> {
  const body = new Writer()
  body.string(groupId)
  const reader = new Reader(await sendRawRequest(host, port, 10, 0, body.finish()))
  return { errorCode: reader.int16(), nodeId: reader.int32(), host: reader.string() ?? '', port: reader.int32() }
}

/** Metadata v0 for the given topics: topic error codes and partition leaders. */
export async function metadataV0(host: string, port: number, topics: string[]): Promise<{ name: string; errorCode: number; leaders: number[] }[]> {
  const body = new Writer()
  body.arrayLength(topics.length)
  for (const topic of topics) body.string(topic)
  const reader = new Reader(await sendRawRequest(host, port, 3, 0, body.finish()))
  const brokerCount = reader.arrayLength() ?? 0
  for (let i = 0; i < brokerCount; i++) {
    reader.int32()
    reader.string()
    reader.int32()
  }
  const result: { name: string; errorCode: number; leaders: number[] }[] = []
  const topicCount = reader.arrayLength() ?? 0
  for (let t = 0; t < topicCount; t++) {
    const errorCode = reader.int16()
    const name = reader.string() ?? ''
    const leaders: number[] = []
    const partitionCount = reader.arrayLength() ?? 0
    for (let p = 0; p < partitionCount; p++) {
      reader.int16()
      const index = reader.int32()
      leaders[index] = reader.int32()
      const replicas = reader.arrayLength() ?? 0
      for (let r = 0; r < replicas; r++) reader.int32()
      const isr = reader.arrayLength() ?? 0
      for (let r = 0; r < isr; r++) reader.int32()
    }
    result.push({ name, errorCode, leaders })
  }
  return result
}

/** Whether a process with this PID exists (signal 0 checks without sending anything). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Polls `condition` until it holds; fails after `timeoutMs` (a hang guard, not a speed check). */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`still not true after ${timeoutMs} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
