/**
 * consumeGroup against both peers, librdkafka's mock cluster and Apache Kafka
 * (brokers we did not write), with data produced by kcat; what needs the
 * mock's fault injection runs against the mock only. Most members get a cluster client
 * each, as separate processes would; one spec puts two members on one client.
 */
import { spawn } from 'node:child_process'
import { defer, finalize, mergeMap, retry, tap, type Subscription } from 'rxjs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { consoleLogger } from '../../lib/logger.js'
import { cooperativeStickyAssignor, type ConsumerGroup, type ConsumerMessage, type PartitionStream } from '../../lib/consumer/index.js'
import { consumeGroup } from '../../lib/consume-group.js'
import { PEERS, startPeer, uniqueName, type Peer, type PeerName } from '../support/peers.js'
import { produceWithKcat, waitFor } from './consumer-helpers.js'

/** The peer of the describe block running now (blocks run one after another). */
let peer: Peer
const clients: KafkaCluster[] = []
const subscriptions: Subscription[] = []

function onPeer(name: PeerName): void {
  beforeAll(async () => {
    peer = await startPeer(name)
  })
  afterAll(async () => {
    await peer?.stop()
  })
}

afterEach(async () => {
  for (const s of subscriptions.splice(0)) s.unsubscribe()
  // Let the final commits and LeaveGroups go out before the sockets close.
  await new Promise((resolve) => setTimeout(resolve, 200))
  for (const c of clients.splice(0)) await c.close()
})

function newClient(): KafkaCluster {
  const client = new KafkaCluster({ ...peer.clientConfig, clientId: 'consumer-spec', logger: consoleLogger('silent') })
  clients.push(client)
  return client
}

async function newTopic(partitions: number, messagesPerPartition: number, batchSize?: number): Promise<string> {
  const topic = uniqueName('consume')
  await peer.createTopic(topic, partitions)
  for (let p = 0; p < partitions; p++) if (messagesPerPartition > 0) await produceWithKcat(peer.bootstrap, topic, p, messagesPerPartition, 0, batchSize)
  return topic
}

/** What one member saw. */
interface Observed {
  received: Map<number, bigint[]>
  active: Set<number>
  completed: number[]
  started: number[]
  errors: string[]
  /** Offsets that came at or below the previous one within one substream subscription. */
  outOfOrder: string[]
  fatal: unknown
}

function run(group: ConsumerGroup, handle: (msg: ConsumerMessage, partition$: PartitionStream) => void = (m) => m.done()): Observed {
  const seen: Observed = { received: new Map(), active: new Set(), completed: [], started: [], errors: [], outOfOrder: [], fatal: undefined }
  subscriptions.push(group.errors$.subscribe((e) => seen.errors.push(e.message)))
  subscriptions.push(
    group
      .pipe(
        mergeMap((partition$) => {
          seen.active.add(partition$.partition)
          seen.started.push(partition$.partition)
          let last = -1n
          return partition$.pipe(
            tap({
              next: (msg) => {
                if (msg.offset <= last) seen.outOfOrder.push(`partition ${msg.partition}: ${msg.offset} after ${last}`)
                last = msg.offset
                let list = seen.received.get(msg.partition)
                if (list === undefined) seen.received.set(msg.partition, (list = []))
                list.push(msg.offset)
                handle(msg, partition$)
              },
              complete: () => {
                seen.active.delete(partition$.partition)
                seen.completed.push(partition$.partition)
              },
            }),
          )
        }),
      )
      .subscribe({ error: (e: unknown) => (seen.fatal = e) }),
  )
  return seen
}

function count(seen: Observed): number {
  let n = 0
  for (const list of seen.received.values()) n += list.length
  return n
}

/** Within one substream, offsets only grow (a new substream of the same partition may redeliver: at-least-once). */
function expectInOrderPerPartition(seen: Observed): void {
  expect(seen.outOfOrder).toEqual([])
}

// The mock holds every rebalance of a non-empty group for sessionTimeoutMs - 1 s: keep it short
// (Kafka runs with group.min.session.timeout.ms=1000 for it).
const FAST = { sessionTimeoutMs: 3_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 10_000, commitIntervalMs: 500, fromBeginning: true }

describe.each(PEERS)('consumeGroup against %s', (name) => {
  onPeer(name)

  it('joins, delivers every pre-produced message in order per partition, and commits where it stopped', async () => {
    const topic = await newTopic(4, 50)
    const firstClient = newClient()
    const group = consumeGroup({ client: firstClient, groupId: `g-${topic}`, topics: [topic], ...FAST })
    const starts: string[] = []
    subscriptions.push(group.partitionStarts$.subscribe((s) => starts.push(`${s.partition}@${s.offset}`)))
    const seen = run(group)
    await waitFor('200 messages', () => count(seen) === 200)
    expect(seen.fatal).toBeUndefined()
    expect(starts.sort()).toEqual(['0@0', '1@0', '2@0', '3@0'])
    for (let p = 0; p < 4; p++) expect(seen.received.get(p)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i)))
    await group.commit()
    const diagnostics = group.diagnostics()[0]!
    expect(diagnostics.state).toBe('stable')
    expect(diagnostics.partitions.map((p) => p.lastCommitted)).toEqual([50n, 50n, 50n, 50n])
    expect(diagnostics.partitions.map((p) => p.lag)).toEqual([0n, 0n, 0n, 0n])
    subscriptions.splice(0).forEach((s) => s.unsubscribe())
    // The final commit and LeaveGroup go out, then nothing of the consumer holds the client: its sockets close.
    await waitFor('the consumer released the client', () => firstClient.diagnostics().users === 0 && firstClient.diagnostics().connections.length === 0, 10_000)

    // A new member of the same group resumes at the committed offsets: it gets only what is produced next.
    await produceWithKcat(peer.bootstrap, topic, 2, 5, 50)
    const next = consumeGroup({ client: newClient(), groupId: `g-${topic}`, topics: [topic], ...FAST })
    const resumed: string[] = []
    subscriptions.push(next.partitionStarts$.subscribe((s) => resumed.push(`${s.partition}@${s.offset}/${s.committed}`)))
    const again = run(next)
    await waitFor('5 new messages', () => count(again) === 5)
    expect(resumed.sort()).toEqual(['0@50/50', '1@50/50', '2@50/50', '3@50/50'])
    expect(again.received.get(2)).toEqual([50n, 51n, 52n, 53n, 54n])
  })

  it('rebalances when a member joins and when it leaves: moved substreams complete, new ones start, nothing is lost', async () => {
    const topic = await newTopic(4, 20)
    const groupId = `g-${topic}`
    // Both members on one cluster client: each gets its own group and fetch connections.
    const shared = newClient()
    const aGroup = consumeGroup({ client: shared, groupId, topics: [topic], ...FAST })
    const a = run(aGroup)
    await waitFor('a consumes everything', () => count(a) === 80)
    expect(a.active.size).toBe(4)
    // The mock refuses commits while a rebalance is joining (real brokers take them from the current generation),
    // so the hand-over relies on the periodic commit here.
    await waitFor('a committed', () => aGroup.diagnostics()[0]?.partitions.every((p) => p.lastCommitted === 20n) === true)

    const bGroup = consumeGroup({ client: shared, groupId, topics: [topic], ...FAST })
    const b = run(bGroup)
    await waitFor('partitions split between a and b', () => a.active.size === 2 && b.active.size === 2)
    expect([...a.active, ...b.active].sort()).toEqual([0, 1, 2, 3])
    // Range is an eager protocol: a gave up all four before the rebalance and got two of them back.
    expect(a.completed.sort()).toEqual([0, 1, 2, 3])
    // a's revoked partitions were committed before the hand-over: b starts after a's messages and sees only new ones.
    for (let p = 0; p < 4; p++) await produceWithKcat(peer.bootstrap, topic, p, 10, 20)
    await waitFor('new messages consumed', () => count(a) + count(b) === 120)
    for (const p of b.active) expect(b.received.get(p)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(20 + i)))

    // b leaves: a gets everything back.
    const bSubscription = subscriptions.pop()!
    bSubscription.unsubscribe()
    await waitFor('a holds all four again', () => a.active.size === 4, 30_000)
    expect(b.active.size).toBe(0)
    expectInOrderPerPartition(a)
    expectInOrderPerPartition(b)
    expect(a.fatal).toBeUndefined()
    expect(b.fatal).toBeUndefined()
  })

  it('shares a group with a member in another process, and takes its partitions when that process leaves', async () => {
    const topic = await newTopic(4, 10)
    const groupId = `g-${topic}`
    const ourGroup = consumeGroup({ client: newClient(), groupId, topics: [topic], ...FAST })
    const starts = new Map<number, bigint>()
    subscriptions.push(ourGroup.partitionStarts$.subscribe((s) => starts.set(s.partition, s.offset)))
    const ours = run(ourGroup)
    await waitFor('we consume everything alone', () => count(ours) === 40 && ours.active.size === 4)
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('./fixtures/group-member-process.ts', import.meta.url).pathname, peer.bootstrap, topic, groupId, JSON.stringify(peer.clientConfig.compatibility ?? {})], { stdio: ['ignore', 'pipe', 'inherit'] })
    const childEvents: { assigned?: number[]; message?: [number, number]; fatal?: string }[] = []
    let buffered = ''
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) if (line !== '') childEvents.push(JSON.parse(line) as (typeof childEvents)[number])
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    try {
      await waitFor('the other process holds two partitions', () => ours.active.size === 2 && childEvents.some((e) => e.assigned?.length === 2), 40_000)
      const childPartitions = childEvents.filter((e) => e.assigned !== undefined).at(-1)!.assigned!
      expect([...ours.active, ...childPartitions].sort()).toEqual([0, 1, 2, 3])
      for (let p = 0; p < 4; p++) await produceWithKcat(peer.bootstrap, topic, p, 5, 10)
      // Its new messages are offsets 10-14 of each of its two partitions. Counting any ten messages is not enough: on the
      // mock the child starts at 0 and gets old ones first, and a SIGTERM then commits 10, not 15. The mock refuses
      // OffsetCommit while a rebalance is open (docs/mock-cluster.md; Kafka accepts the current generation's), and the
      // child's join opens one just before our first periodic commit, so our revoke's commit is refused too.
      await waitFor('the child consumed its new messages', () => childEvents.filter((e) => e.message !== undefined && e.message[1] >= 10).length >= 10, 40_000)
      // Our starts of these partitions so far are from before the child came (offset 0). A substream is emitted
      // before its start is looked up, so holding all four again does not yet mean we know where they start.
      for (const p of childPartitions) starts.delete(p)
      child.kill('SIGTERM')
      // It exits 0 only once the coordinator has its final commit and its LeaveGroup.
      expect(await exited).toBe(0)
      expect(childEvents.filter((e) => e.fatal !== undefined)).toEqual([])
      await waitFor('we hold all four again', () => ours.active.size === 4, 40_000)
      await waitFor('we started its partitions', () => childPartitions.every((p) => starts.has(p)), 40_000)
      // The child committed before leaving: we start its partitions at offset 15 (after its 5 new messages each).
      for (const p of childPartitions) expect(starts.get(p)).toBe(15n)
      for (const p of childPartitions) expect(ours.received.get(p)!.filter((o) => o >= 10n)).toEqual([])
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('cooperative-sticky: when a member joins, only the partitions that move complete; the rest keep streaming', async () => {
    const topic = await newTopic(4, 20)
    const groupId = `g-${topic}`
    const options = { groupId, topics: [topic], ...FAST, assignors: [cooperativeStickyAssignor] }
    const a = run(consumeGroup({ client: newClient(), ...options }))
    await waitFor('a consumes everything', () => count(a) === 80)
    const b = run(consumeGroup({ client: newClient(), ...options }))
    await waitFor('b holds two partitions', () => b.active.size === 2 && a.active.size === 2, 40_000)
    // a never gave up the partitions it kept: each of its substreams started once, and only the moved ones completed.
    expect(a.started.sort()).toEqual([0, 1, 2, 3])
    expect(a.completed.sort()).toEqual([...b.active].sort())
    // The moved partitions were committed (cooperative revocation happens while the group is stable) and b resumes there.
    expect([...b.received.values()].flat()).toEqual([])
    for (let p = 0; p < 4; p++) await produceWithKcat(peer.bootstrap, topic, p, 5, 20)
    await waitFor('new messages', () => count(a) + count(b) === 100)
    for (const p of b.active) expect(b.received.get(p)).toEqual([20n, 21n, 22n, 23n, 24n])
    expectInOrderPerPartition(a)
    expectInOrderPerPartition(b)
  })

  it('takes over the partitions of a member that crashes and stops heartbeating (a kcat group consumer killed with SIGKILL)', async () => {
    const topic = await newTopic(2, 10)
    const groupId = `g-${topic}`
    const ours = run(consumeGroup({ client: newClient(), groupId, topics: [topic], ...FAST }))
    await waitFor('we hold both partitions alone', () => ours.active.size === 2, 30_000)
    const kcat = spawn('kcat', ['-b', peer.bootstrap, '-G', groupId, '-X', 'session.timeout.ms=3000', '-X', 'heartbeat.interval.ms=500', '-q', topic], { stdio: 'ignore' })
    try {
      await waitFor('kcat took one partition', () => ours.active.size === 1, 40_000)
      // No LeaveGroup: its session expires and the coordinator rebalances, giving us both partitions back.
      kcat.kill('SIGKILL')
      await waitFor('we hold both partitions again', () => ours.active.size === 2, 40_000)
      expect(ours.fatal).toBeUndefined()
      expect(ours.outOfOrder).toEqual([])
    } finally {
      kcat.kill('SIGKILL')
    }
  })

  it('at least once: handlers that fail at random points and restart never lose a message, and commits never pass an un-done one', async () => {
    const topic = await newTopic(3, 200, 20)
    const groupId = `g-${topic}`
    const processed = new Map<number, Set<bigint>>()
    let seed = 7
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
    const violations: string[] = []
    let failures = 0
    const group = consumeGroup({ client: newClient(), groupId, topics: [topic], ...FAST, commitIntervalMs: 50, maxUndoneMessages: 20 })
    const checkCommitted = (partition: number, pending: readonly ConsumerMessage[]): void => {
      const committed = group.diagnostics()[0]?.partitions.find((p) => p.partition === partition)?.lastCommitted
      if (committed === null || committed === undefined) return
      for (const m of pending) if (committed > m.offset) violations.push(`partition ${partition}: committed ${committed} past un-done ${m.offset}`)
    }
    const finish = (m: ConsumerMessage): void => {
      let set = processed.get(m.partition)
      if (set === undefined) processed.set(m.partition, (set = new Set()))
      set.add(m.offset)
      m.done()
    }
    subscriptions.push(
      group
        .pipe(
          mergeMap((partition$) =>
            defer(() => {
              // One handler incarnation: it finishes messages out of order, and sometimes dies with some unfinished.
              const pending: ConsumerMessage[] = []
              let last = -1n
              const flush = setInterval(() => {
                checkCommitted(partition$.partition, pending)
                for (const m of pending.splice(0)) finish(m)
              }, 20)
              return partition$.pipe(
                tap((msg) => {
                  if (msg.offset <= last) violations.push(`partition ${msg.partition}: ${msg.offset} after ${last}`)
                  last = msg.offset
                  checkCommitted(msg.partition, pending)
                  if (random() < 0.02) {
                    failures++
                    throw new Error(`handler failed at ${msg.offset}`)
                  }
                  pending.push(msg)
                  while (pending.length > 0 && random() < 0.5) finish(pending.splice(Math.floor(random() * pending.length), 1)[0]!)
                }),
                finalize(() => clearInterval(flush)),
              )
            }).pipe(retry()),
          ),
        )
        .subscribe(),
    )
    await waitFor('every message processed at least once', () => [0, 1, 2].every((p) => (processed.get(p)?.size ?? 0) === 200), 50_000)
    expect(violations).toEqual([])
    expect(failures).toBeGreaterThan(0)
    await group.commit()
    const committed = group.diagnostics()[0]!.partitions.map((p) => p.lastCommitted)
    expect(committed).toEqual([200n, 200n, 200n])
  })

  it('a slow partition holds back only itself (by counts)', async () => {
    const topic = await newTopic(3, 300, 10)
    // fetchSessions on: the mock grants none (it echoes session id 0), so this also shows the fallback to full fetches.
    const group = consumeGroup({ client: newClient(), groupId: `g-${topic}`, topics: [topic], ...FAST, maxUndoneMessages: 10, maxPartitionBytes: 1024, fetchSessions: true })
    const seen = run(group, (msg) => {
      if (msg.partition !== 1) msg.done()
    })
    await waitFor('fast partitions consumed', () => (seen.received.get(0)?.length ?? 0) === 300 && (seen.received.get(2)?.length ?? 0) === 300, 40_000)
    const slow = group.diagnostics()[0]!.partitions.find((p) => p.partition === 1)!
    // One fetch answer may overshoot the limit; the partition then stops fetching.
    expect(seen.received.get(1)!.length).toBeLessThan(300)
    expect(slow.pausedByDemand).toBe(true)
    expect(slow.undoneMessages).toBe(seen.received.get(1)!.length)
  })
})

describe('consumeGroup against the mock: injected faults, moved coordinators and leaders', () => {
  onPeer('mock')

  it('side-channel topic: a hand-over whose commit the coordinator refuses still does not rewind', async () => {
    const topic = await newTopic(4, 20)
    const groupId = `g-${topic}`
    await peer.createTopic(`${topic}-sidechannel`, 1)
    // No periodic commit: the only commit is the one on revoke, which the mock refuses while the rebalance is joining.
    const options = { groupId, topics: [topic], ...FAST, commitIntervalMs: 0, sidechannelTopic: `${topic}-sidechannel` }
    const aGroup = consumeGroup({ client: newClient(), ...options })
    const a = run(aGroup)
    await waitFor('a consumes everything', () => count(a) === 80)
    await new Promise((resolve) => setTimeout(resolve, 300)) // a's side-channel reader is positioned
    const b = run(consumeGroup({ client: newClient(), ...options }))
    await waitFor('partitions split between a and b', () => a.active.size === 2 && b.active.size === 2, 40_000)
    expect(a.errors.some((m) => m.includes('REBALANCE_IN_PROGRESS'))).toBe(true)
    for (let p = 0; p < 4; p++) await produceWithKcat(peer.bootstrap, topic, p, 5, 20)
    await waitFor('new messages', () => count(a) + count(b) >= 100, 40_000)
    await new Promise((resolve) => setTimeout(resolve, 300))
    // Both members start where a stopped (20), from the side channel: nothing is delivered twice.
    expect(count(a) + count(b)).toBe(100)
    for (const p of b.active) expect(b.received.get(p)).toEqual([20n, 21n, 22n, 23n, 24n])
  })

  it('follows the coordinator when it moves, and keeps consuming and committing', async () => {
    const topic = await newTopic(2, 10)
    const groupId = `g-${topic}`
    await peer.mock!.setCoordinator('group', groupId, 1)
    const group = consumeGroup({ client: newClient(), groupId, topics: [topic], ...FAST })
    const seen = run(group)
    await waitFor('first messages', () => count(seen) === 20)
    expect(group.diagnostics()[0]!.coordinator).toBe(1)
    await peer.mock!.setCoordinator('group', groupId, 3)
    await produceWithKcat(peer.bootstrap, topic, 0, 10, 10)
    await produceWithKcat(peer.bootstrap, topic, 1, 10, 10)
    await waitFor('messages after the move', () => count(seen) === 40, 40_000)
    await waitFor('commits at the new coordinator', () => {
      const d = group.diagnostics()[0]
      return d !== undefined && d.coordinator === 3 && d.partitions.every((p) => p.lastCommitted === 20n)
    }, 40_000)
    expect(seen.fatal).toBeUndefined()
    expectInOrderPerPartition(seen)
  })

  it('follows a partition leader that moves to another broker, without losing or repeating messages', async () => {
    const topic = await newTopic(2, 20)
    const group = consumeGroup({ client: newClient(), groupId: `g-${topic}`, topics: [topic], ...FAST })
    const seen = run(group)
    await waitFor('first messages', () => count(seen) === 40)
    const before = group.diagnostics()[0]!.partitions.find((p) => p.partition === 0)!.leader
    const target = before === 3 ? 1 : before + 1
    await peer.mock!.setPartitionLeader(topic, 0, target)
    await produceWithKcat(peer.bootstrap, topic, 0, 20, 20)
    await waitFor('messages from the new leader', () => count(seen) === 60, 40_000)
    expect(seen.received.get(0)).toEqual(Array.from({ length: 40 }, (_, i) => BigInt(i)))
    expect(group.diagnostics()[0]!.partitions.find((p) => p.partition === 0)!.leader).toBe(target)
    expect(seen.fatal).toBeUndefined()
  })

  it('recovers from errors injected into every group API', async () => {
    const topic = await newTopic(2, 10)
    const groupId = `g-${topic}`
    // FindCoordinator 10, JoinGroup 11, SyncGroup 14, OffsetFetch 9, Heartbeat 12, OffsetCommit 8.
    await peer.mock!.pushRequestErrors(10, [15])
    await peer.mock!.pushRequestErrors(11, [16, 27])
    await peer.mock!.pushRequestErrors(14, [27])
    await peer.mock!.pushRequestErrors(9, [14])
    const group = consumeGroup({ client: newClient(), groupId, topics: [topic], ...FAST })
    const seen = run(group)
    await waitFor('all messages despite the errors', () => count(seen) === 20, 40_000)
    await peer.mock!.pushRequestErrors(12, [27])
    await peer.mock!.pushRequestErrors(8, [16])
    await produceWithKcat(peer.bootstrap, topic, 0, 5, 10)
    await waitFor('messages after heartbeat and commit errors', () => count(seen) >= 25, 40_000)
    await waitFor('committed after the errors', () => group.diagnostics()[0]?.partitions.find((p) => p.partition === 0)?.lastCommitted === 15n, 40_000)
    expect(seen.fatal).toBeUndefined()
    expect(seen.errors.some((m) => m.includes('NOT_COORDINATOR'))).toBe(true)
    expectInOrderPerPartition(seen)
  })
})
