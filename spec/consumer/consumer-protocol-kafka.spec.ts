/**
 * The consumer group protocol of KIP-848 (`groupProtocol: 'consumer'`)
 * against Apache Kafka 4.4: the broker assigns, members reconcile
 * incrementally, commits carry the member epoch, regex subscriptions are
 * matched by the broker (consumer-protocol-member.spec.ts scripts the rest).
 */
import { lastValueFrom, map, mergeMap, range, Subscription, tap, toArray } from 'rxjs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { consumeGroup } from '../../lib/consume-group.js'
import type { GroupAssignmentEvent } from '../../lib/consumer/index.js'
import { ConsumerOptionError } from '../../lib/errors/index.js'
import { consoleLogger } from '../../lib/logger.js'
import { produceTo } from '../../lib/producer/index.js'
import { waitFor } from './consumer-helpers.js'
import { startPeer, uniqueName, type Peer } from '../support/peers.js'

let peer: Peer
const clients: KafkaCluster[] = []
const subscriptions: Subscription[] = []
const NEW = { groupProtocol: 'consumer', rebalanceTimeoutMs: 20_000, commitIntervalMs: 200, fromBeginning: true } as const

beforeAll(async () => {
  peer = await startPeer('kafka')
})
afterEach(async () => {
  for (const s of subscriptions.splice(0)) s.unsubscribe()
  await new Promise((resolve) => setTimeout(resolve, 300))
  for (const c of clients.splice(0)) await c.close()
})
afterAll(async () => {
  await peer?.stop()
})

function newClient(): KafkaCluster {
  const client = new KafkaCluster({ ...peer.clientConfig, clientId: 'consumer-protocol-spec', logger: consoleLogger('silent') })
  clients.push(client)
  return client
}

async function produce(topic: string, from: number, count: number, partitions: number): Promise<void> {
  const results = await lastValueFrom(
    range(from, count).pipe(map((i) => ({ key: `k${i}`, value: `m${i}`, partition: i % partitions })), produceTo(topic, { client: newClient() }), toArray()),
  )
  expect(results.filter((r) => r.error !== undefined)).toEqual([])
}

interface Member {
  group: ReturnType<typeof consumeGroup>
  held: Set<number>
  events: GroupAssignmentEvent[]
  subscription: Subscription
}

function join(topic: string, groupId: string, seen: Map<string, number>, extra: Partial<Parameters<typeof consumeGroup>[0]> = {}): Member {
  const group = consumeGroup({ client: newClient(), groupId, topics: [topic], ...NEW, ...extra })
  const held = new Set<number>()
  const events: GroupAssignmentEvent[] = []
  group.assignments$.subscribe((e) => events.push(e))
  const subscription = group.pipe(mergeMap((partition$) => {
    held.add(partition$.partition)
    return partition$.pipe(tap({
      next: (m) => {
        const v = m.value!.toString()
        seen.set(v, (seen.get(v) ?? 0) + 1)
        m.done()
      },
      complete: () => held.delete(partition$.partition),
    }))
  })).subscribe()
  subscriptions.push(subscription)
  return { group, held, events, subscription }
}

describe("groupProtocol: 'consumer' against Apache Kafka 4.4", () => {
  it('the broker assigns; a second member gets half incrementally, the first never gives up what it keeps; leave hands back; nothing lost', async () => {
    const topic = uniqueName('kip848')
    await peer.createTopic(topic, 4)
    const groupId = uniqueName('kip848')
    await produce(topic, 0, 200, 4)
    const seen = new Map<string, number>()
    const a = join(topic, groupId, seen)
    await waitFor('the first member read 200', () => seen.size === 200, 60_000)
    expect([...a.held].sort()).toEqual([0, 1, 2, 3])
    await waitFor('it committed them', () => a.group.diagnostics()[0]?.partitions.every((p) => p.lastCommitted === 50n) === true, 30_000)
    const b = join(topic, groupId, seen)
    await waitFor('two partitions each', () => a.held.size === 2 && b.held.size === 2, 60_000)
    // Incremental: the first member's events only ever revoke; the partitions it keeps are never revoked and re-added.
    const kept = [...a.held]
    expect(a.events.flatMap((e) => e.added.flatMap((t) => t.partitions)).filter((p) => kept.includes(p)).length).toBe(kept.length)
    expect(a.events.at(-1)!.revoked.flatMap((t) => t.partitions).some((p) => kept.includes(p))).toBe(false)
    expect(a.group.diagnostics()[0]!.generationId).toBeGreaterThan(0)
    await produce(topic, 200, 200, 4)
    await waitFor('400 read', () => seen.size === 400, 60_000)
    // The second member started where the first committed: nothing was read twice.
    expect([...seen.values()].every((n) => n === 1)).toBe(true)
    b.subscription.unsubscribe()
    await waitFor('the first member holds all four again', () => a.held.size === 4, 60_000)
    await produce(topic, 400, 100, 4)
    await waitFor('500 read', () => seen.size === 500, 60_000)
    expect([...seen.values()].every((n) => n === 1)).toBe(true)
  }, 240_000)

  it('serverAssignor range and a regex subscription: the broker matches the topics, including one created later', async () => {
    const base = uniqueName('kip848re')
    await peer.createTopic(`${base}-a`, 2)
    await produce(`${base}-a`, 0, 20, 2)
    const seen = new Map<string, number>()
    const topicsRead = new Set<string>()
    const group = consumeGroup({ client: newClient(), groupId: uniqueName('kip848re'), topics: [], topicRegex: `${base}-.*`, serverAssignor: 'range', ...NEW })
    subscriptions.push(group.pipe(mergeMap((p) => p.pipe(tap((m) => {
      topicsRead.add(p.topic)
      seen.set(m.value!.toString(), 1)
      m.done()
    })))).subscribe())
    await waitFor('the first topic read', () => seen.size === 20, 60_000)
    await peer.createTopic(`${base}-b`, 1)
    await produce(`${base}-b`, 100, 10, 1)
    // Kafka re-evaluates regexes on a period (at most every 30 s by default, sooner when topics change).
    await waitFor('the topic created later is assigned and read', () => seen.size === 30, 90_000)
    expect([...topicsRead].sort()).toEqual([`${base}-a`, `${base}-b`])
  }, 180_000)

  it('options that need the new protocol are refused with the classic one, with a typed error', () => {
    expect(() => consumeGroup({ client: newClient(), groupId: 'g', topics: ['t'], serverAssignor: 'range' })).toThrow(ConsumerOptionError)
    expect(() => consumeGroup({ client: newClient(), groupId: 'g', topics: [], topicRegex: 't.*' })).toThrow(/groupProtocol: 'consumer'/)
    expect(() => consumeGroup({ client: newClient(), groupId: 'g', topics: ['t'], groupProtocol: 'consumer', topicRegex: 't.*' })).toThrow(/either by names or/)
    // @ts-expect-error a protocol that does not exist
    expect(() => consumeGroup({ client: newClient(), groupId: 'g', topics: ['t'], groupProtocol: 'eager' })).toThrow(/'classic' or 'consumer'/)
  })
})
