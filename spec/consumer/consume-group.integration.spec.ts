/**
 * consumeGroup against librdkafka's mock cluster (a Kafka protocol peer we did
 * not write), with data produced by kcat. Members of one group get a cluster
 * client each, as separate processes would: one client's 'group' connection
 * carries one JoinGroup at a time.
 */
import { spawn } from 'node:child_process'
import { mergeMap, Observable, tap, type Subscription } from 'rxjs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { consoleLogger } from '../../lib/logger.js'
import { consumeGroup, type ConsumerGroup, type ConsumerMessage, type PartitionStream } from '../../lib/consumer/index.js'
import { startMockCluster, type MockCluster } from '../../lib/testing/index.js'
import { produceWithKcat, waitFor } from './consumer-helpers.js'

let cluster: MockCluster
const clients: KafkaCluster[] = []
const subscriptions: Subscription[] = []

beforeAll(async () => {
  cluster = await startMockCluster({ brokers: 3 })
  await cluster.setGroupInitialRebalanceDelay(0)
})

afterEach(async () => {
  for (const s of subscriptions.splice(0)) s.unsubscribe()
  // Let the final commits and LeaveGroups go out before the sockets close.
  await new Promise((resolve) => setTimeout(resolve, 200))
  for (const c of clients.splice(0)) await c.close()
})

afterAll(async () => {
  await cluster?.stop()
})

function newClient(): KafkaCluster {
  const client = new KafkaCluster({ brokers: cluster.bootstrap.split(','), clientId: 'consumer-spec', logger: consoleLogger('silent') })
  clients.push(client)
  return client
}

let topicCounter = 0
async function newTopic(partitions: number, messagesPerPartition: number, batchSize?: number): Promise<string> {
  const topic = `consume-${process.pid}-${++topicCounter}`
  await cluster.createTopic(topic, partitions, 1)
  for (let p = 0; p < partitions; p++) if (messagesPerPartition > 0) await produceWithKcat(cluster.bootstrap, topic, p, messagesPerPartition, 0, batchSize)
  return topic
}

/** What one member saw. */
interface Observed {
  received: Map<number, bigint[]>
  active: Set<number>
  completed: number[]
  started: number[]
  errors: string[]
  fatal: unknown
}

function run(group: ConsumerGroup, handle: (msg: ConsumerMessage, partition$: PartitionStream) => void = (m) => m.done()): Observed {
  const seen: Observed = { received: new Map(), active: new Set(), completed: [], started: [], errors: [], fatal: undefined }
  subscriptions.push(group.errors$.subscribe((e) => seen.errors.push(e.message)))
  subscriptions.push(
    group
      .pipe(
        mergeMap((partition$) => {
          seen.active.add(partition$.partition)
          seen.started.push(partition$.partition)
          return partition$.pipe(
            tap({
              next: (msg) => {
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

function expectInOrderPerPartition(seen: Observed): void {
  for (const [partition, offsets] of seen.received) {
    for (let i = 1; i < offsets.length; i++) {
      if (offsets[i]! <= offsets[i - 1]!) throw new Error(`partition ${partition} delivered ${offsets[i]} after ${offsets[i - 1]}`)
    }
  }
}

// The mock holds every rebalance of a non-empty group for sessionTimeoutMs - 1 s: keep it short.
const FAST = { sessionTimeoutMs: 3_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 10_000, commitIntervalMs: 500, fromBeginning: true }

describe('consumeGroup against the mock cluster', () => {
  it('joins, delivers every pre-produced message in order per partition, and commits where it stopped', async () => {
    const topic = await newTopic(4, 50)
    const group = consumeGroup({ client: newClient(), groupId: `g-${topic}`, topics: [topic], ...FAST })
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
    await new Promise((resolve) => setTimeout(resolve, 300))

    // A new member of the same group resumes at the committed offsets: it gets only what is produced next.
    await produceWithKcat(cluster.bootstrap, topic, 2, 5, 50)
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
    const a = run(consumeGroup({ client: newClient(), groupId, topics: [topic], ...FAST }))
    await waitFor('a consumes everything', () => count(a) === 80)
    expect(a.active.size).toBe(4)

    const bGroup = consumeGroup({ client: newClient(), groupId, topics: [topic], ...FAST })
    const b = run(bGroup)
    await waitFor('partitions split between a and b', () => a.active.size === 2 && b.active.size === 2)
    expect([...a.active, ...b.active].sort()).toEqual([0, 1, 2, 3])
    expect(a.completed.sort()).toEqual([...b.active].sort())
    // a's revoked partitions were committed before the hand-over: b starts after a's messages and sees only new ones.
    for (let p = 0; p < 4; p++) await produceWithKcat(cluster.bootstrap, topic, p, 10, 20)
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

  it('takes over the partitions of a member that stops heartbeating (a kcat consumer frozen with SIGSTOP)', async () => {
    const topic = await newTopic(2, 10)
    const groupId = `g-${topic}`
    const kcat = spawn('kcat', ['-b', cluster.bootstrap, '-G', groupId, '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=500', '-o', 'beginning', '-q', topic], { stdio: 'ignore' })
    try {
      // Give kcat the group first, so it owns partitions when we join.
      await new Promise((resolve) => setTimeout(resolve, 1_500))
      const ours = run(consumeGroup({ client: newClient(), groupId, topics: [topic], ...FAST }))
      await waitFor('we share the group with kcat', () => ours.active.size === 1, 30_000)
      kcat.kill('SIGSTOP')
      // Its session (6 s) expires; the coordinator rebalances and we get both partitions.
      await waitFor('we hold both partitions', () => ours.active.size === 2, 40_000)
      expect(ours.fatal).toBeUndefined()
    } finally {
      kcat.kill('SIGKILL')
    }
  })

  it('follows the coordinator when it moves, and keeps consuming and committing', async () => {
    const topic = await newTopic(2, 10)
    const groupId = `g-${topic}`
    await cluster.setCoordinator('group', groupId, 1)
    const group = consumeGroup({ client: newClient(), groupId, topics: [topic], ...FAST })
    const seen = run(group)
    await waitFor('first messages', () => count(seen) === 20)
    expect(group.diagnostics()[0]!.coordinator).toBe(1)
    await cluster.setCoordinator('group', groupId, 3)
    await produceWithKcat(cluster.bootstrap, topic, 0, 10, 10)
    await produceWithKcat(cluster.bootstrap, topic, 1, 10, 10)
    await waitFor('messages after the move', () => count(seen) === 40, 40_000)
    await waitFor('commits at the new coordinator', () => {
      const d = group.diagnostics()[0]
      return d !== undefined && d.coordinator === 3 && d.partitions.every((p) => p.lastCommitted === 20n)
    }, 40_000)
    expect(seen.fatal).toBeUndefined()
    expectInOrderPerPartition(seen)
  })

  it('recovers from errors injected into every group API', async () => {
    const topic = await newTopic(2, 10)
    const groupId = `g-${topic}`
    // FindCoordinator 10, JoinGroup 11, SyncGroup 14, OffsetFetch 9, Heartbeat 12, OffsetCommit 8.
    await cluster.pushRequestErrors(10, [15])
    await cluster.pushRequestErrors(11, [16, 27])
    await cluster.pushRequestErrors(14, [27])
    await cluster.pushRequestErrors(9, [14])
    const group = consumeGroup({ client: newClient(), groupId, topics: [topic], ...FAST })
    const seen = run(group)
    await waitFor('all messages despite the errors', () => count(seen) === 20, 40_000)
    await cluster.pushRequestErrors(12, [27])
    await cluster.pushRequestErrors(8, [16])
    await produceWithKcat(cluster.bootstrap, topic, 0, 5, 10)
    await waitFor('messages after heartbeat and commit errors', () => count(seen) >= 25, 40_000)
    await waitFor('committed after the errors', () => group.diagnostics()[0]?.partitions.find((p) => p.partition === 0)?.lastCommitted === 15n, 40_000)
    expect(seen.fatal).toBeUndefined()
    expect(seen.errors.some((m) => m.includes('NOT_COORDINATOR'))).toBe(true)
    expectInOrderPerPartition(seen)
  })

  it('at least once: handlers that fail at random points and restart never lose a message, and commits never pass an un-done one', async () => {
    const topic = await newTopic(3, 200)
    const groupId = `g-${topic}`
    const processed = new Map<number, Set<bigint>>()
    let seed = 7
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
    const violations: string[] = []
    const group = consumeGroup({ client: newClient(), groupId, topics: [topic], ...FAST, commitIntervalMs: 50, maxUndoneMessages: 20 })
    subscriptions.push(
      group
        .pipe(
          mergeMap((partition$) => {
            const undone = new Set<bigint>()
            const attempt = (): Observable<ConsumerMessage> =>
              partition$.pipe(
                tap((msg) => {
                  // The substream restarts at the first un-done message; offsets only grow inside one subscription.
                  if (random() < 0.02) throw new Error(`handler failed at ${msg.offset}`)
                  undone.add(msg.offset)
                  if (random() < 0.7) {
                    let set = processed.get(msg.partition)
                    if (set === undefined) processed.set(msg.partition, (set = new Set()))
                    set.add(msg.offset)
                    undone.delete(msg.offset)
                    msg.done()
                  }
                  // Otherwise the message stays un-done: the failure of a later message makes it come back.
                }),
              )
            let last = -1n
            return new Observable<void>((subscriber) => {
              let current: Subscription | undefined
              const start = (): void => {
                last = -1n
                current = attempt().subscribe({
                  next: (msg) => {
                    if (msg.offset <= last) violations.push(`out of order ${msg.offset} after ${last}`)
                    last = msg.offset
                    const d = group.diagnostics()[0]?.partitions.find((p) => p.partition === msg.partition)
                    if (d?.lastCommitted != null) {
                      for (const u of undone) if (d.lastCommitted > u && !processed.get(msg.partition)?.has(u)) violations.push(`committed ${d.lastCommitted} past un-done ${u}`)
                    }
                  },
                  error: () => {
                    undone.clear()
                    start()
                  },
                  complete: () => subscriber.complete(),
                })
              }
              start()
              return () => current?.unsubscribe()
            })
          }),
        )
        .subscribe(),
    )
    await waitFor('every message processed at least once', () => [0, 1, 2].every((p) => (processed.get(p)?.size ?? 0) === 200), 50_000)
    expect(violations).toEqual([])
    await group.commit()
    const committed = group.diagnostics()[0]!.partitions.map((p) => p.lastCommitted)
    for (const c of committed) expect(c).toBe(200n)
  })

  it('a slow partition holds back only itself (by counts)', async () => {
    const topic = await newTopic(3, 300, 10)
    const group = consumeGroup({ client: newClient(), groupId: `g-${topic}`, topics: [topic], ...FAST, maxUndoneMessages: 10, maxPartitionBytes: 1024 })
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
