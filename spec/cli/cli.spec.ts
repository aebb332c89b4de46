import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../lib/cli/main.js'
import { startMockCluster, type MockCluster } from '../../lib/testing/mock-cluster.js'

let mock: MockCluster

beforeAll(async () => {
  mock = await startMockCluster({ brokers: 2, topics: [{ name: 'cli', partitions: 2 }, { name: 'cli-lag', partitions: 3 }] })
  await mock.setGroupInitialRebalanceDelay(0)
})

afterAll(async () => {
  await mock?.stop()
})

async function cli(args: string[], stdin = '') {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli([...args, '--brokers', mock.bootstrap], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    input: Readable.from([stdin]),
  })
  return { code, out, err }
}

describe('rxkafka CLI against the mock cluster', () => {
  it('metadata lists brokers and the partitions of a topic', async () => {
    const { code, out } = await cli(['metadata', '--topics', 'cli'])
    expect(code).toBe(0)
    expect(out.filter((l) => l.includes('broker ')).length).toBe(2)
    expect(out).toContain('topic cli (2 partitions)')
  })

  it('metadata without --topics lists every topic', async () => {
    const { code, out } = await cli(['metadata', '--json'])
    expect(code).toBe(0)
    const names = (JSON.parse(out.join('\n')) as { topics: { name: string }[] }).topics.map((t) => t.name)
    expect(names).toEqual(expect.arrayContaining(['cli', 'cli-lag']))
  })

  it('produces stdin lines with keys, and consumes them back from offsets', async () => {
    const produced = await cli(['produce', 'cli', '--key-separator', ':', '--partition', '1', '--compression', 'lz4'], 'a:one\nb:two\nthree\n')
    expect(produced.code).toBe(0)
    expect(produced.err.join('\n')).toMatch(/produced 3 messages/)
    const consumed = await cli(['consume', 'cli', '--partitions', '1', '--from', 'earliest', '--format', '%p %o %k=%v', '--max', '3'])
    expect(consumed.code).toBe(0)
    expect(consumed.out).toEqual(['1 0 a=one', '1 1 b=two', '1 2 =three'])
  })

  it('consumes through a group, commits, and lag shows what is left', async () => {
    await cli(['produce', 'cli-lag', '--partition', '0'], 'x\ny\nz\n')
    await cli(['produce', 'cli-lag', '--partition', '2'], 'q\n')
    const consumed = await cli(['consume', 'cli-lag', '--group', 'cli-group', '--from', 'earliest', '--format', 'value', '--max', '4'])
    expect(consumed.code).toBe(0)
    expect([...consumed.out].sort()).toEqual(['q', 'x', 'y', 'z'])
    await cli(['produce', 'cli-lag', '--partition', '0'], 'late\n')
    const lag = await cli(['lag', '--group', 'cli-group', '--topics', 'cli-lag', '--json'])
    expect(lag.code).toBe(0)
    const rows = JSON.parse(lag.out.join('\n')) as { partition: number; committed: string | null; end: string; lag: string }[]
    expect(rows.find((r) => r.partition === 0)).toMatchObject({ committed: '3', end: '4', lag: '1' })
    expect(rows.find((r) => r.partition === 2)).toMatchObject({ committed: '1', end: '1', lag: '0' })
  })

  it('explains usage mistakes with exit code 2', async () => {
    const { code, err } = await cli(['produce'])
    expect(code).toBe(2)
    expect(err.join('\n')).toMatch(/needs a topic/)
    const unknown = await runCli(['frobnicate'], { out: () => undefined, err: () => undefined, input: Readable.from([]) })
    expect(unknown).toBe(2)
  })

  it('reports an unreachable cluster as an error, exit code 1', async () => {
    const err: string[] = []
    const code = await runCli(['metadata', '--brokers', '127.0.0.1:1'], { out: () => undefined, err: (l) => err.push(l), input: Readable.from([]) })
    expect(code).toBe(1)
    expect(err.join('\n')).toMatch(/no broker answered/)
  })
})
