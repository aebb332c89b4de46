/**
 * A consumer group's shutdown loses nothing, on both peers: after
 * unsubscribe-then-close, takeUntil-then-close, close() of a running group,
 * group.stop() and SIGINT to the CLI's `consume --group`, the coordinator got
 * exactly one final OffsetCommit and one LeaveGroup (counted on the wire, at
 * the client's transports), the committed offset is what was done, and the
 * group is empty at once (no member left to wait out its session).
 */
import { spawn } from 'node:child_process'
import { firstValueFrom, lastValueFrom, map, mergeMap, range, Subject, takeUntil, tap, type Observable } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { BrokerConnection } from '../../lib/connection/broker-connection.js'
import type { ConnectTransport } from '../../lib/connection/broker-transport.js'
import { consumeGroup } from '../../lib/consume-group.js'
import type { ConsumerGroup, ConsumerMessage } from '../../lib/consumer/index.js'
import { fetchCommittedOffsets } from '../../lib/consumer/offset-requests.js'
import { createKafka } from '../../lib/kafka.js'
import { consoleLogger } from '../../lib/logger.js'
import { DescribeGroupsApi } from '../../lib/protocol/messages/DescribeGroups.js'
import { LeaveGroupApi } from '../../lib/protocol/messages/LeaveGroup.js'
import { OffsetCommitApi } from '../../lib/protocol/messages/OffsetCommit.js'
import { PEERS, startPeer, uniqueName, type Peer } from '../support/peers.js'
import { waitFor } from './consumer-helpers.js'

let peer: Peer
/** The mock's consumer-group log (librdkafka's mock debug lines); empty on Kafka. */
const groupLog: string[] = []

/** Answers without an error per API key, counted as the broker's responses arrive at the client. */
type Answers = Map<number, number>

/** Whether an answer carries no error code anywhere (top level, per member, per partition). */
function clean(response: unknown): boolean {
  if (Array.isArray(response)) return response.every(clean)
  if (response === null || typeof response !== 'object') return true
  return Object.entries(response).every(([key, value]) => (key === 'errorCode' ? value === 0 : clean(value)))
}

function countingConnect(answers: Answers): ConnectTransport {
  return (address, options) => {
    const inner = new BrokerConnection(address, options)
    const counted = <T>(apiKey: number, work: Observable<T>): Observable<T> =>
      work.pipe(tap((response) => clean(response) && answers.set(apiKey, (answers.get(apiKey) ?? 0) + 1)))
    return {
      get address() {
        return inner.address
      },
      get state() {
        return inner.state
      },
      request: (api, body, o) => counted(api.apiKey, inner.request(api, body, o)),
      send: (api, body, o) => inner.send(api, body, o),
      versionFor: (api, o) => inner.versionFor(api, o),
      getStats: () => inner.getStats(),
      close: () => inner.close(),
    }
  }
}

/** A group member's options: no periodic commits, so the only OffsetCommit is the final one. */
const MEMBER = { sessionTimeoutMs: 30_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 10_000, commitIntervalMs: 0, fromBeginning: true }

/**
 * The committed offsets of partitions 0 and 1, and (on Kafka, from
 * DescribeGroups) whether the group has no member left. The mock has no
 * DescribeGroups: there the LeaveGroup answers counted on the wire say it, and
 * the CLI's spec watches a second member take over at once.
 */
/** The group's committed offsets of partitions 0 and 1 (null where none). */
async function committedOf(groupId: string, topic: string): Promise<(bigint | null)[]> {
  const client = new KafkaCluster({ ...peer.clientConfig, clientId: 'shutdown-spec-observer', logger: consoleLogger('silent') })
  try {
    const coordinator = await firstValueFrom(client.findCoordinator('group', groupId))
    const offsets = await firstValueFrom(fetchCommittedOffsets(client, coordinator, groupId, [{ topic, partitions: [0, 1] }], 10_000))
    return [0, 1].map((p) => offsets.get(`${topic}\u0000${p}`) ?? null)
  } finally {
    await client.close()
  }
}

async function expectCommittedAndLeft(groupId: string, topic: string, committed: (bigint | null)[]): Promise<void> {
  const client = new KafkaCluster({ ...peer.clientConfig, clientId: 'shutdown-spec-observer', logger: consoleLogger('silent') })
  try {
    const coordinator = await firstValueFrom(client.findCoordinator('group', groupId))
    const offsets = await firstValueFrom(fetchCommittedOffsets(client, coordinator, groupId, [{ topic, partitions: [0, 1] }], 10_000))
    expect([0, 1].map((p) => offsets.get(`${topic}\u0000${p}`) ?? null)).toEqual(committed)
    if (peer.name === 'mock') return
    const described = await firstValueFrom(client.request(coordinator, DescribeGroupsApi, { groups: [groupId], includeAuthorizedOperations: false }))
    const group = described.groups[0]!
    expect({ state: group.groupState, members: group.members.length }).toEqual({ state: 'Empty', members: 0 })
  } finally {
    await client.close()
  }
}

/** A topic of two partitions with `messages` messages in partition 0 (partition 1 stays empty). */
async function topicWith(messages: number, partitions: readonly number[] = [0]): Promise<string> {
  const topic = uniqueName('shutdown')
  await peer.createTopic(topic, 2)
  const kafka = createKafka({ ...peer.clientConfig, clientId: 'shutdown-spec-producer', logger: consoleLogger('silent') })
  try {
    for (const partition of partitions) await lastValueFrom(range(0, messages).pipe(map((i) => ({ value: `m${i}`, partition })), kafka.produceTo(topic)))
  } finally {
    await kafka.close()
  }
  return topic
}

/** Consumes until `wanted` messages were done, then calls `end` (the way of shutting down under test). */
function consumeAll(group: ConsumerGroup, wanted: number, onDone: () => void): { done: ConsumerMessage[]; subscription: { unsubscribe(): void }; errors: string[]; completed: Promise<void> } {
  const done: ConsumerMessage[] = []
  const errors: string[] = []
  group.errors$.subscribe((e) => errors.push(e.message))
  let complete = (): void => undefined
  const completed = new Promise<void>((resolve) => (complete = resolve))
  const subscription = group
    .pipe(mergeMap((partition$) => partition$))
    .subscribe({
      next: (msg) => {
        msg.done()
        done.push(msg)
        if (done.length === wanted) onDone()
      },
      error: (e: unknown) => errors.push(`fatal: ${String(e)}`),
      complete: () => complete(),
    })
  return { done, subscription, errors, completed }
}

describe.each(PEERS)('consumer group shutdown against %s', (name) => {
  beforeAll(async () => {
    peer = await startPeer(name, { onGroupLog: (line) => groupLog.push(line) })
  }, 120_000)
  afterAll(async () => {
    await peer?.stop()
  })

  const newKafka = (answers: Answers) =>
    createKafka({ ...peer.clientConfig, clientId: 'shutdown-spec', logger: consoleLogger('silent'), connect: countingConnect(answers) })

  it('unsubscribe, then close() at once: one OffsetCommit and one LeaveGroup, the group is empty', async () => {
    const topic = await topicWith(10)
    const groupId = uniqueName('g-unsub')
    const answers: Answers = new Map()
    const kafka = newKafka(answers)
    let reached = (): void => undefined
    const allDone = new Promise<void>((resolve) => (reached = resolve))
    const run = consumeAll(kafka.consumeGroup({ groupId, topics: [topic], ...MEMBER }), 10, () => reached())
    await allDone
    run.subscription.unsubscribe()
    await kafka.close()
    expect(answers.get(OffsetCommitApi.apiKey)).toBe(1)
    expect(answers.get(LeaveGroupApi.apiKey)).toBe(1)
    expect(run.errors.filter((e) => /OffsetCommit|LeaveGroup|fatal/.test(e))).toEqual([])
    await expectCommittedAndLeft(groupId, topic, [10n, 0n])
  }, 60_000)

  it('takeUntil ends the stream, then close() at once: the final commit and the LeaveGroup still go out', async () => {
    const topic = await topicWith(10)
    const groupId = uniqueName('g-take')
    const answers: Answers = new Map()
    const kafka = newKafka(answers)
    const stop$ = new Subject<void>()
    const done: bigint[] = []
    await new Promise<void>((resolve, reject) => {
      kafka
        .consumeGroup({ groupId, topics: [topic], ...MEMBER })
        .pipe(
          mergeMap((partition$) => partition$),
          tap((msg) => {
            msg.done()
            done.push(msg.offset)
            if (done.length === 6) stop$.next()
          }),
          takeUntil(stop$),
        )
        .subscribe({ error: reject, complete: resolve })
    })
    await kafka.close()
    expect(answers.get(OffsetCommitApi.apiKey)).toBe(1)
    expect(answers.get(LeaveGroupApi.apiKey)).toBe(1)
    await expectCommittedAndLeft(groupId, topic, [6n, 0n])
  }, 60_000)

  it('close() of a client whose group is still running commits, leaves and completes the group stream', async () => {
    const topic = await topicWith(10)
    const groupId = uniqueName('g-close')
    const answers: Answers = new Map()
    const kafka = newKafka(answers)
    let reached = (): void => undefined
    const allDone = new Promise<void>((resolve) => (reached = resolve))
    const run = consumeAll(kafka.consumeGroup({ groupId, topics: [topic], ...MEMBER }), 10, () => reached())
    await allDone
    await kafka.close()
    await run.completed
    expect(answers.get(OffsetCommitApi.apiKey)).toBe(1)
    expect(answers.get(LeaveGroupApi.apiKey)).toBe(1)
    expect(run.errors.filter((e) => /OffsetCommit|LeaveGroup|fatal/.test(e))).toEqual([])
    await expectCommittedAndLeft(groupId, topic, [10n, 0n])
  }, 60_000)

  it('group.stop() waits for the handlers in progress, commits, leaves, completes, and resolves after the LeaveGroup', async () => {
    const topic = await topicWith(10)
    const groupId = uniqueName('g-stop')
    const answers: Answers = new Map()
    const client = new KafkaCluster({ ...peer.clientConfig, clientId: 'shutdown-spec', logger: consoleLogger('silent'), connect: countingConnect(answers) })
    const group = consumeGroup({ client, groupId, topics: [topic], ...MEMBER })
    const done: bigint[] = []
    const held: ConsumerMessage[] = []
    let completed = false
    group.pipe(mergeMap((partition$) => partition$)).subscribe({
      next: (msg) => {
        // The last three are "in progress" when stop() is called; they finish while it drains.
        if (msg.offset >= 7n) held.push(msg)
        else {
          msg.done()
          done.push(msg.offset)
        }
      },
      complete: () => (completed = true),
    })
    await waitFor('every message delivered', () => done.length + held.length === 10)
    const stopped = group.stop()
    setTimeout(() => {
      for (const m of held) m.done()
    }, 200)
    await stopped
    expect(completed).toBe(true)
    expect(answers.get(OffsetCommitApi.apiKey)).toBe(1)
    expect(answers.get(LeaveGroupApi.apiKey)).toBe(1)
    await client.close()
    await expectCommittedAndLeft(groupId, topic, [10n, 0n])
  }, 60_000)

  it('SIGINT to `rxkafka consume --group`: it commits what it printed and leaves, so the other member takes over at once', async () => {
    const topic = await topicWith(10, [0, 1])
    const groupId = uniqueName('g-cli')
    const compatibility = peer.clientConfig.compatibility === undefined ? [] : ['--compatibility', JSON.stringify(peer.clientConfig.compatibility)]
    const cli = new URL('../../lib/cli/index.ts', import.meta.url).pathname
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'consume', topic, '--group', groupId, '--from', 'earliest', '--format', '%p %o', '--brokers', peer.bootstrap, ...compatibility], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const printed: string[] = []
    let stderr = ''
    let buffered = ''
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      printed.push(...lines.filter((l) => l !== ''))
    })
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    // A second member, with a 30 s session: on Kafka it shares the group with the CLI, and had the CLI not left, it
    // would wait that long for its partitions. On the mock it joins only after the CLI is gone: while the mock
    // rebalances it holds JoinGroup for up to the session timeout less 1 s (docs/mock-cluster.md), longer than a
    // member's JoinGroup request waits, so two members joining each other there is a test of the mock, not of
    // the CLI's shutdown; the mock's own group log shows the CLI's LeaveGroup instead.
    const client = new KafkaCluster({ ...peer.clientConfig, clientId: 'shutdown-spec-witness', logger: consoleLogger('silent') })
    // (On the mock a short session: it keeps the placeholder of the witness's own first JoinGroup, KIP-394's
    // MEMBER_ID_REQUIRED round trip, until that session ends, and only then lets the witness in.)
    const witness = consumeGroup({ client, groupId, topics: [topic], ...MEMBER, ...(peer.name === 'kafka' ? {} : { sessionTimeoutMs: 6_000 }) })
    const held: number[][] = []
    const received: string[] = []
    witness.assignments$.subscribe((e) => held.push(e.assigned.flatMap((t) => t.partitions)))
    const startWitness = () =>
      witness.pipe(mergeMap((partition$) => partition$)).subscribe((msg) => {
        received.push(`${msg.partition} ${msg.offset}`)
        msg.done()
      })
    try {
      await waitFor('the CLI printed all twenty', () => printed.length === 20, 40_000)
      // Its periodic commit first: the hand-over to the witness is not what this spec is about (the mock refuses
      // commits while the group rebalances, so an uncommitted hand-over would be read twice there).
      for (let committed = false; !committed; ) {
        committed = (await committedOf(groupId, topic)).every((o) => o === 10n)
        if (!committed) await new Promise((resolve) => setTimeout(resolve, 200))
      }
      if (peer.name === 'kafka') {
        startWitness()
        await waitFor('the witness shares the group with the CLI', () => held.at(-1)?.length === 1, 40_000)
      }
      child.kill('SIGINT')
      expect(await exited).toBe(0)
      const exitedAt = Date.now()
      expect(stderr).toMatch(new RegExp(`consumed 20 messages from ${topic} \\(group ${groupId}, offsets committed\\)`))
      if (peer.name === 'kafka') {
        await waitFor('the witness holds both partitions', () => held.at(-1)?.length === 2, 10_000)
        expect(Date.now() - exitedAt).toBeLessThan(10_000)
      } else {
        expect(groupLog.filter((l) => l.includes(`is leaving group ${groupId}`))).toHaveLength(1)
        expect(groupLog.some((l) => l.includes(groupId) && l.includes('explicit member leave'))).toBe(true)
        startWitness()
        await waitFor('the witness holds both partitions', () => held.at(-1)?.length === 2, 40_000)
        // Long enough for a fetch from the committed offsets to have delivered anything that was not committed.
        await new Promise((resolve) => setTimeout(resolve, 1_000))
      }
      // Nothing the CLI printed comes again: it was committed before the CLI left.
      expect(received).toEqual([])
      await witness.stop()
      await expectCommittedAndLeft(groupId, topic, [10n, 10n])
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
      await client.close()
    }
  }, 90_000)
})
