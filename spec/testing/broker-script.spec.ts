/**
 * `npm run broker`, run as a user runs it (through npm): fixed ports with
 * --port, the initial rebalance delay with --rebalance-delay-ms, what a group
 * waits for printed while it waits, and no process left behind however npm is
 * stopped (checked by PID: npm, the script's node, the mock).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import * as net from 'node:net'
import { fileURLToPath } from 'node:url'
import { mergeMap, take, firstValueFrom } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { createKafka } from '../../lib/kafka.js'
import { silentLogger } from '../../lib/logger.js'
import { MOCK_COMPATIBILITY } from '../../lib/testing/mock-cluster.js'
import { eventually } from './mock-helpers.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const memberApp = fileURLToPath(new URL('./fixtures/group-member-app.ts', import.meta.url))

/** Whether `pid` is a live process (a zombie waiting to be reaped counts as gone). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** Two consecutive loopback ports that are free right now (a random base, tried until one fits). */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000)
    const servers: net.Server[] = []
    try {
      for (const port of [base, base + 1]) {
        const server = net.createServer()
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen(port, '127.0.0.1', resolve)
        })
        servers.push(server)
      }
      return base
    } catch {
      // taken: try another base
    } finally {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
    }
  }
  throw new Error('no two consecutive free ports found')
}

interface BrokerRun {
  npm: ChildProcess
  output: () => string
  scriptPid: number
  mockPid: number
  bootstrap: string
  exited: Promise<void>
}

const started: number[] = []

afterEach(() => {
  // Whatever a failed spec left: only the PIDs it started.
  for (const pid of started.splice(0)) {
    if (running(pid)) process.kill(pid, 'SIGKILL')
  }
})

async function startBroker(args: string[]): Promise<BrokerRun> {
  const npm = spawn('npm', ['run', 'broker', '--', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  started.push(npm.pid!)
  let text = ''
  npm.stdout!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
  npm.stderr!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
  const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()))
  let gone = false
  void exited.then(() => (gone = true))
  await eventually(() => /bootstrap: \S+/.test(text) || gone, 'npm run broker printing its bootstrap', 120_000)
  const pids = /pid (\d+) \(this script: pid (\d+)\)/.exec(text)
  if (pids === null) throw new Error(`npm run broker did not start:\n${text}`)
  const mockPid = Number(pids[1])
  const scriptPid = Number(pids[2])
  started.push(scriptPid, mockPid)
  return { npm, output: () => text, scriptPid, mockPid, bootstrap: /bootstrap: (\S+)/.exec(text)![1]!, exited }
}

describe('npm run broker', () => {
  it('listens on --port, takes --rebalance-delay-ms, and stopping npm with SIGTERM leaves no process', async () => {
    const port = await freePortPair()
    const run = await startBroker(['--brokers', '2', '--port', String(port), '--rebalance-delay-ms', '0', '--topic', 'fixed:2'])
    expect(run.bootstrap).toBe(`127.0.0.1:${port},127.0.0.1:${port + 1}`)
    expect(run.output()).toContain('group.initial.rebalance.delay.ms: 0')
    for (const pid of [run.npm.pid!, run.scriptPid, run.mockPid]) expect(running(pid)).toBe(true)

    // A group's first join waits no 3 s; and the broker says what the group did.
    const kafka = createKafka({ brokers: [`127.0.0.1:${port}`], compatibility: MOCK_COMPATIBILITY, logger: silentLogger })
    try {
      await kafka.send('fixed', { value: 'hello', partition: 1 })
      const message = await firstValueFrom(
        kafka.consumeGroup({ groupId: 'broker-spec', topics: ['fixed'], fromBeginning: true }).pipe(mergeMap((p) => p), take(1)),
      )
      expect(message.value?.toString()).toBe('hello')
    } finally {
      await kafka.close()
    }
    await eventually(() => /group broker-spec .*Syncing -> Up/.test(run.output()), 'the group log line of the join')

    run.npm.kill('SIGTERM')
    await eventually(() => ![run.npm.pid!, run.scriptPid, run.mockPid].some(running), 'npm, the script and the mock all gone', 15_000)
    expect(run.output()).toMatch(/SIGTERM: stopping the mock cluster/)
  })

  it('stops the script and the mock when npm is killed outright (SIGKILL sends them nothing)', async () => {
    const run = await startBroker(['--brokers', '1', '--quiet'])
    run.npm.kill('SIGKILL')
    await run.exited
    await eventually(() => !running(run.scriptPid) && !running(run.mockPid), 'the orphaned script and its mock gone', 15_000)
    expect(run.output()).toMatch(/the parent process \d+ is gone: stopping the mock cluster/)
  })

  it('while a re-run app waits for a member of an earlier run that did not leave, says so', async () => {
    const run = await startBroker(['--brokers', '1', '--rebalance-delay-ms', '0', '--topic', 'rerun:2'])
    const kafka = createKafka({ brokers: run.bootstrap.split(','), compatibility: MOCK_COMPATIBILITY, logger: silentLogger })
    let earlier: ChildProcess | undefined
    try {
      // The first run of the app joins, then dies without leaving the group.
      earlier = spawn(process.execPath, ['--import', 'tsx', memberApp, run.bootstrap, 'rerun-app', 'rerun', '6000'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
      started.push(earlier.pid!)
      let said = ''
      earlier.stdout!.setEncoding('utf8').on('data', (chunk: string) => (said += chunk))
      await eventually(() => said.includes('assigned'), 'the first run assigned', 60_000)
      earlier.kill('SIGKILL')

      // The re-run joins the same group and waits for the dead member's session to time out.
      const rerun = kafka.consumeGroup({ groupId: 'rerun-app', topics: ['rerun'], sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 })
      const assigned = firstValueFrom(rerun.pipe(take(1)))
      const subscription = rerun.subscribe()
      try {
        await eventually(() => /group rerun-app with 2 member\(s\) changing state Up -> Joining/.test(run.output()), 'the wait announced')
        expect(run.output()).toMatch(/a member of an earlier run that did not leave the group/)
        await eventually(() => /session timed out for group rerun-app/.test(run.output()), 'the dead member dropped', 30_000)
        await assigned
        expect(run.output()).toMatch(/group rerun-app with 1 member\(s\) changing state Syncing -> Up/)
      } finally {
        subscription.unsubscribe()
      }
    } finally {
      await kafka.close()
      run.npm.kill('SIGINT')
      await eventually(() => ![run.npm.pid!, run.scriptPid, run.mockPid].some(running), 'everything gone after SIGINT', 15_000)
    }
  })
})
