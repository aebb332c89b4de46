import { spawn } from 'node:child_process'
import { access, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  MockClusterBuildError,
  MockClusterStoppedError,
  buildMockClusterBinary,
  startMockCluster,
} from '../../lib/testing/index.js'
import { eventually, processExists, tcpConnect } from './mock-helpers.js'

const parentScript = fileURLToPath(new URL('./fixtures/mock-parent.ts', import.meta.url))

/** Runs the fixture parent and resolves with what it printed, plus the child itself. */
async function startParent(mode: 'hang' | 'forget'): Promise<{ pid: number; port: number; parent: ReturnType<typeof spawn>; exited: Promise<number | null> }> {
  const parent = spawn(process.execPath, ['--import', 'tsx', parentScript, mode], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<number | null>((resolve) => parent.on('exit', (code) => resolve(code)))
  const lines = createInterface({ input: parent.stdout! })
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve)
    void exited.then((code) => reject(new Error(`fixture parent exited (${code}) before printing the cluster`)))
  })
  const { pid, port } = JSON.parse(first) as { pid: number; port: number }
  return { pid, port, parent, exited }
}

describe('mock cluster lifecycle', () => {
  it('stop() kills the process, frees the ports, and is idempotent', async () => {
    const cluster = await startMockCluster({ brokers: 2 })
    const { pid } = cluster
    const broker = cluster.brokers[0]!
    try {
      expect(processExists(pid)).toBe(true)
      expect(await tcpConnect(broker.host, broker.port)).toBe('accepted')
    } finally {
      await Promise.all([cluster.stop(), cluster.stop()])
    }
    await cluster.stop()
    expect(cluster.stopped).toBe(true)
    expect(processExists(pid)).toBe(false)
    expect(await tcpConnect(broker.host, broker.port)).toBe('refused')
    await expect(cluster.brokerDown(1)).rejects.toBeInstanceOf(MockClusterStoppedError)
  })

  it('turns a process that dies on its own into MockClusterStoppedError for every control', async () => {
    const cluster = await startMockCluster({ brokers: 1 })
    try {
      process.kill(cluster.pid, 'SIGKILL')
      await cluster.exited
      expect(cluster.stopped).toBe(true)
      const error = await cluster.createTopic('after-death', 1).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(MockClusterStoppedError)
      expect(String(error)).toContain('createTopic')
    } finally {
      await cluster.stop()
    }
  })

  it('runs several clusters side by side, each with its own ports', async () => {
    const clusters = await Promise.all([startMockCluster({ brokers: 1 }), startMockCluster({ brokers: 1 }), startMockCluster({ brokers: 1 })])
    try {
      const ports = new Set(clusters.map((c) => c.brokers[0]?.port))
      expect(ports.size).toBe(3)
      await clusters[0]!.brokerDown(1)
      expect(await tcpConnect('127.0.0.1', clusters[1]!.brokers[0]!.port)).toBe('accepted')
    } finally {
      await Promise.all(clusters.map((c) => c.stop()))
    }
  })

  it('dies with a parent that is killed (PR_SET_PDEATHSIG)', async () => {
    const { pid, port, parent, exited } = await startParent('hang')
    try {
      expect(processExists(pid)).toBe(true)
      parent.kill('SIGKILL')
      await exited
      await eventually(() => !processExists(pid), `mock cluster ${pid} outlived its killed parent`)
      expect(await tcpConnect('127.0.0.1', port)).toBe('refused')
    } finally {
      parent.kill('SIGKILL')
      if (processExists(pid)) process.kill(pid, 'SIGKILL')
    }
  })

  it('does not keep a parent alive that forgot to stop it, and dies when that parent exits', async () => {
    const { pid, parent, exited } = await startParent('forget')
    try {
      expect(await exited).toBe(0)
      await eventually(() => !processExists(pid), `mock cluster ${pid} outlived its parent`)
    } finally {
      parent.kill('SIGKILL')
      if (processExists(pid)) process.kill(pid, 'SIGKILL')
    }
  })

  it('exits on EOF of its stdin', async () => {
    const { binaryPath } = await buildMockClusterBinary()
    const child = spawn(binaryPath, ['1'], { stdio: ['pipe', 'pipe', 'ignore'] })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      const ready = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve))
      expect(ready).toMatch(/^ready \{"bootstrap":"127\.0\.0\.1:\d+"/)
      child.stdin.end()
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  })
})

describe('mock cluster build', () => {
  it('caches the binary under a hash of its inputs and survives concurrent builders', async () => {
    const buildDir = await mkdtemp(join(tmpdir(), 'rxkafka-mock-build-'))
    try {
      const builds = await Promise.all([1, 2, 3].map(() => buildMockClusterBinary({ buildDir })))
      const paths = new Set(builds.map((b) => b.binaryPath))
      expect(paths.size).toBe(1)
      const [binaryPath] = paths
      expect(binaryPath).toMatch(/mock-cluster-[0-9a-f]{16}$/)
      await access(binaryPath!)
      expect(await readdir(buildDir)).toEqual([binaryPath!.slice(buildDir.length + 1)])
      expect(builds[0]?.librdkafkaVersion).toMatch(/^\d+\.\d+\.\d+$/)
      // The same inputs give the same name, so a second call reuses the binary.
      expect((await buildMockClusterBinary({ buildDir })).binaryPath).toBe(binaryPath)
    } finally {
      await rm(buildDir, { recursive: true, force: true })
    }
  })

  it('says which compiler is missing and how to install one', async () => {
    const buildDir = await mkdtemp(join(tmpdir(), 'rxkafka-mock-build-'))
    try {
      const error = await buildMockClusterBinary({ buildDir, compiler: 'no-such-c-compiler' }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(MockClusterBuildError)
      expect((error as MockClusterBuildError).missing).toBe('compiler')
      expect(String(error)).toContain('no-such-c-compiler')
      expect(String(error)).toContain('apt-get install -y gcc')
      expect(await readdir(buildDir)).toEqual([])
    } finally {
      await rm(buildDir, { recursive: true, force: true })
    }
  })
})
