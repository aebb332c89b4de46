import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../lib/cli/main.js'
import { PEERS, startPeer, uniqueName, type Peer } from '../support/peers.js'

/** The peer of the describe block running now, and its topic names. */
let peer: Peer
let topic = ''
let lagTopic = ''
let group = ''

async function cli(args: string[], stdin = '') {
  const out: string[] = []
  const err: string[] = []
  const compatibility = peer.clientConfig.compatibility === undefined ? [] : ['--compatibility', JSON.stringify(peer.clientConfig.compatibility)]
  const code = await runCli([...args, '--brokers', peer.bootstrap, ...compatibility], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    input: Readable.from([stdin]),
  })
  return { code, out, err }
}

describe.each(PEERS)('rxkafka CLI against %s', (name) => {
  beforeAll(async () => {
    peer = await startPeer(name, { brokers: 2 })
    topic = uniqueName('cli')
    lagTopic = uniqueName('cli-lag')
    group = uniqueName('cli-group')
    await peer.createTopic(topic, 2)
    await peer.createTopic(lagTopic, 3)
  })

  afterAll(async () => {
    await peer?.stop()
  })

  it('metadata lists brokers and the partitions of a topic', async () => {
    const { code, out } = await cli(['metadata', '--topics', topic])
    expect(code).toBe(0)
    expect(out.filter((l) => l.includes('broker ')).length).toBe(peer.bootstrap.split(',').length)
    expect(out).toContain(`topic ${topic} (2 partitions)`)
  })

  it('metadata without --topics lists every topic', async () => {
    const { code, out } = await cli(['metadata', '--json'])
    expect(code).toBe(0)
    const names = (JSON.parse(out.join('\n')) as { topics: { name: string }[] }).topics.map((t) => t.name)
    expect(names).toEqual(expect.arrayContaining([topic, lagTopic]))
  })

  it('produces stdin lines with keys, and consumes them back from offsets', async () => {
    const produced = await cli(['produce', topic, '--key-separator', ':', '--partition', '1', '--compression', 'lz4'], 'a:one\nb:two\nthree\n')
    expect(produced.code).toBe(0)
    expect(produced.err.join('\n')).toMatch(/produced 3 messages/)
    const consumed = await cli(['consume', topic, '--partitions', '1', '--from', 'earliest', '--format', '%p %o %k=%v', '--max', '3'])
    expect(consumed.code).toBe(0)
    expect(consumed.out).toEqual(['1 0 a=one', '1 1 b=two', '1 2 =three'])
  })

  it('consumes through a group, commits, and lag shows what is left', async () => {
    await cli(['produce', lagTopic, '--partition', '0'], 'x\ny\nz\n')
    await cli(['produce', lagTopic, '--partition', '2'], 'q\n')
    const consumed = await cli(['consume', lagTopic, '--group', group, '--from', 'earliest', '--format', 'value', '--max', '4'])
    expect(consumed.code).toBe(0)
    expect([...consumed.out].sort()).toEqual(['q', 'x', 'y', 'z'])
    await cli(['produce', lagTopic, '--partition', '0'], 'late\n')
    const lag = await cli(['lag', '--group', group, '--topics', lagTopic, '--json'])
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
