import { readFileSync } from 'node:fs'
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

  // librdkafka's mock answers every ListOffsets by time with -1 (no such message): only Kafka can look a time up,
  // so this one is defined for Kafka alone (docs/kafka-cluster.md lists the Kafka-only specs), not skipped on the mock.
  if (name === 'kafka') it('consume --from-time starts at the first message at or after that time (ListOffsets by time)', async () => {
    const timed = uniqueName('cli-time')
    await peer.createTopic(timed, 1)
    expect((await cli(['produce', timed, '--partition', '0'], 'old-1\nold-2\n')).code).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const since = new Date().toISOString()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await cli(['produce', timed, '--partition', '0'], 'new-1\nnew-2\n')).code).toBe(0)
    const consumed = await cli(['consume', timed, '--from-time', since, '--format', '%o %v', '--max', '2'])
    expect(consumed.code).toBe(0)
    expect(consumed.out).toEqual(['2 new-1', '3 new-2'])
    const bad = await cli(['consume', timed, '--from-time', 'yesterday'])
    expect(bad.code).toBe(2)
    expect(bad.err.join('\n')).toMatch(/--from-time must be an ISO 8601 time/)
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

  it('says what a group consume is doing while it joins, and counts in the singular for one', async () => {
    const joinGroup = uniqueName('cli-join')
    await cli(['produce', topic, '--partition', '0'], 'only\n')
    const consumed = await cli(['consume', topic, '--group', joinGroup, '--from', 'earliest', '--max', '1'])
    expect(consumed.code).toBe(0)
    const err = consumed.err.join('\n')
    expect(err).toContain(`joining group ${joinGroup}...`)
    expect(err).toContain(`partitions ${topic}/0, ${topic}/1`)
    expect(err).toMatch(new RegExp(`^joined group ${joinGroup} \\(generation \\d+\\): `, 'm'))
    expect(err.indexOf('joining group')).toBeLessThan(err.indexOf('joined group'))
    expect(err).toContain(`consumed 1 message from ${topic} (group ${joinGroup}, offsets committed)`)
    const produced = await cli(['produce', topic], 'single\n')
    expect(produced.err.join('\n')).toContain(`produced 1 message to ${topic} `)
  })

  it('--version prints the package version', async () => {
    const out: string[] = []
    const code = await runCli(['--version'], { out: (l) => out.push(l), err: () => undefined, input: Readable.from([]) })
    expect(code).toBe(0)
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    expect(out).toEqual([version])
  })

  it("every command's --help lists its own options and the common ones (--brokers)", async () => {
    for (const command of ['metadata', 'produce', 'consume', 'lag']) {
      const out: string[] = []
      const code = await runCli([command, '--help'], { out: (l) => out.push(l), err: () => undefined, input: Readable.from([]) })
      expect(code).toBe(0)
      const help = out.join('\n')
      expect(help).toMatch(new RegExp(`^rxkafka ${command}`))
      expect(help).toMatch(/--brokers HOST:PORT/)
      expect(help).toMatch(/--client-id/)
    }
  })

  it('a mistyped option or command gets "did you mean"', async () => {
    const lag = await cli(['lag', '--group', 'g', '--topic', topic])
    expect(lag.code).toBe(2)
    expect(lag.err.join('\n')).toMatch(/unknown option --topic for 'lag'\. did you mean --topics\?/)
    const json = await cli(['metadata', '--jsno'])
    expect(json.err.join('\n')).toMatch(/did you mean --json\?/)
    const asOption = await cli(['consume', '--topic', topic])
    expect(asOption.err.join('\n')).toMatch(/the topic is an argument, not an option: rxkafka consume <topic>/)
    const err: string[] = []
    const code = await runCli(['metdata'], { out: () => undefined, err: (l) => err.push(l), input: Readable.from([]) })
    expect(code).toBe(2)
    expect(err.join('\n')).toMatch(/unknown command "metdata": did you mean 'metadata'\?/)
  })

  it('lag without --topics says what is missing once, with the usage once', async () => {
    const { code, err } = await cli(['lag', '--group', 'g'])
    expect(code).toBe(2)
    const text = err.join('\n')
    expect(text).toMatch(/^lag needs --topics$/m)
    expect(text.split('rxkafka lag --group ID --topics').length - 1).toBe(1)
    expect(text.split('For each partition').length - 1).toBe(0) // the description is --help's, not repeated here
  })

  it('reports an unreachable cluster as an error, exit code 1', async () => {
    const err: string[] = []
    const code = await runCli(['metadata', '--brokers', '127.0.0.1:1'], { out: () => undefined, err: (l) => err.push(l), input: Readable.from([]) })
    expect(code).toBe(1)
    expect(err.join('\n')).toMatch(/no broker answered/)
  })
})
