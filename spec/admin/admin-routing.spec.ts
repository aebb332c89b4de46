/**
 * The admin client's routing on scripted brokers, in virtual time: which
 * broker each request goes to, which items go again after NOT_CONTROLLER,
 * NOT_COORDINATOR or a leader move (only those), after which backoff, and
 * what an item answers once the retries are spent. Counts are exact.
 */
import type { Observable } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { AdminRouter } from '../../lib/admin/admin-routing.js'
import { createTopics, describeTopics } from '../../lib/admin/topics.js'
import { deleteGroups } from '../../lib/admin/groups.js'
import { listOffsets } from '../../lib/admin/offsets.js'
import { ConnectionError } from '../../lib/errors/index.js'
import { ErrorCode } from '../../lib/protocol/error-codes.js'
import { ScriptedCluster } from '../support/scripted-cluster.js'

/** Subscribes, steps virtual time until the Observable settles, and returns its value. */
function settle<T>(cluster: ScriptedCluster, work: Observable<T>, stepMs = 10, maxMs = 60_000): { value: T; at: number } {
  let value: T | undefined
  let error: unknown
  let done = false
  const started = cluster.scheduler.now()
  const subscription = cluster.use(() => work).subscribe({ next: (v) => { value = v }, error: (e: unknown) => { error = e; done = true }, complete: () => { done = true } })
  for (let t = 0; !done && t < maxMs; t += stepMs) cluster.advance(stepMs)
  subscription.unsubscribe()
  if (error !== undefined) throw error
  if (!done) throw new Error(`not settled after ${maxMs} ms of virtual time`)
  return { value: value as T, at: cluster.scheduler.now() - started }
}

describe('admin routing', () => {
  it('CreateTopics goes to the controller; only the topic answered NOT_CONTROLLER goes again, after fresh metadata and a 100 ms backoff', () => {
    let calls = 0
    const cluster = new ScriptedCluster({
      topics: {},
      handlers: {
        CreateTopics: (body: { topics: { name: string }[] }) => {
          calls++
          return {
            throttleTimeMs: 0,
            topics: body.topics.map((t) => ({
              name: t.name,
              topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
              errorCode: calls === 1 && t.name === 'a' ? ErrorCode.NOT_CONTROLLER : 0,
              errorMessage: null,
              topicConfigErrorCode: 0,
              numPartitions: 1,
              replicationFactor: 1,
              configs: [],
            })),
          }
        },
      },
    })
    const router = new AdminRouter(cluster, { retryBackoffMs: 100 })
    const { value } = settle(cluster, createTopics(router, [{ name: 'a' }, { name: 'b' }]))
    expect(value.map((r) => [r.name, r.ok])).toEqual([['a', true], ['b', true]])
    const sent = cluster.of('CreateTopics')
    expect(sent.map((r) => [r.broker, (r.body as { topics: { name: string }[] }).topics.map((t) => t.name)])).toEqual([
      [1, ['a', 'b']],
      [1, ['a']],
    ])
    // jitter 0.2 with random 0: the full first delay
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(80)
    expect(sent[1]!.at - sent[0]!.at).toBeLessThanOrEqual(110)
    const metadataBetween = cluster.of('Metadata').filter((r) => r.at > sent[0]!.at && r.at <= sent[1]!.at)
    expect(metadataBetween.length).toBe(1)
  })

  it('after the retries an item keeps its routing error as its answer: exactly retries + 1 requests', () => {
    const cluster = new ScriptedCluster({
      topics: {},
      handlers: {
        CreateTopics: (body: { topics: { name: string }[] }) => ({
          throttleTimeMs: 0,
          topics: body.topics.map((t) => ({ name: t.name, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: null, numPartitions: -1, replicationFactor: -1, configs: [] })),
        }),
      },
    })
    const { value } = settle(cluster, createTopics(new AdminRouter(cluster, { retries: 3, retryBackoffMs: 10 }), [{ name: 'a' }]))
    expect(value[0]!.ok).toBe(false)
    expect(!value[0]!.ok && value[0]!.error.code).toBe('NOT_CONTROLLER')
    expect(cluster.of('CreateTopics')).toHaveLength(4)
  })

  it('ListOffsets asks each leader; a partition answered NOT_LEADER_OR_FOLLOWER is asked of its new leader, the other stays answered', () => {
    const cluster = new ScriptedCluster({
      topics: { orders: [1, 2] },
      handlers: {
        ListOffsets: (body: { topics: { name: string; partitions: { partitionIndex: number }[] }[] }, _v, request) => ({
          throttleTimeMs: 0,
          topics: body.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => {
              // Broker 1 has just lost partition 0 to broker 3.
              const stale = request!.broker === 1 && p.partitionIndex === 0
              if (stale) cluster.setLeaders('orders', [3, 2])
              return { partitionIndex: p.partitionIndex, errorCode: stale ? ErrorCode.NOT_LEADER_OR_FOLLOWER : 0, timestamp: -1n, offset: BigInt(request!.broker * 100 + p.partitionIndex), leaderEpoch: 0 }
            }),
          })),
        }),
      },
    })
    const router = new AdminRouter(cluster, { retryBackoffMs: 50 })
    const { value } = settle(cluster, listOffsets(router, [{ topic: 'orders', partition: 0, spec: 'latest' }, { topic: 'orders', partition: 1, spec: 'latest' }, { topic: 'nope', partition: 0, spec: 'latest' }]))
    expect(value.map((v) => (v.ok ? v.offset : v.error.code))).toEqual([300n, 201n, 'UNKNOWN_TOPIC_OR_PARTITION'])
    expect(cluster.of('ListOffsets').map((r) => [r.broker, (r.body as { topics: { partitions: unknown[] }[] }).topics[0]!.partitions.length])).toEqual([[1, 1], [2, 1], [3, 1]])
    // Looking never creates: every Metadata the admin sent for topics had auto-creation off.
    const asked = cluster.of('Metadata').filter((r) => ((r.body as { topics: unknown[] | null }).topics ?? []).length > 0)
    expect(asked.length).toBeGreaterThanOrEqual(2)
    expect(asked.every((r) => (r.body as { allowAutoTopicCreation: boolean }).allowAutoTopicCreation === false)).toBe(true)
  })

  it('a leader that cannot be reached: its partitions go again once it is back, the other leader is not asked twice', () => {
    const cluster = new ScriptedCluster({
      topics: { orders: [1, 2] },
      handlers: {
        ListOffsets: (body: { topics: { name: string; partitions: { partitionIndex: number }[] }[] }) => ({
          throttleTimeMs: 0,
          topics: body.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1n, offset: 7n, leaderEpoch: 0 })) })),
        }),
      },
    })
    settle(cluster, cluster.refreshMetadata())
    cluster.down.add(2)
    cluster.scheduler.schedule(() => cluster.down.delete(2), 150)
    const { value } = settle(cluster, listOffsets(new AdminRouter(cluster, { retryBackoffMs: 100 }), [{ topic: 'orders', partition: 0, spec: 'latest' }, { topic: 'orders', partition: 1, spec: 'latest' }]))
    expect(value.map((v) => v.ok && v.offset)).toEqual([7n, 7n])
    expect(cluster.of('ListOffsets').filter((r) => r.broker === 1)).toHaveLength(1)
    expect(cluster.of('ListOffsets').filter((r) => r.broker === 2).length).toBeGreaterThanOrEqual(1)
  })

  it('DeleteGroups answered NOT_COORDINATOR: the coordinator is looked up again and the group deleted at the new one', () => {
    const cluster = new ScriptedCluster({
      topics: {},
      handlers: {
        DeleteGroups: (body: { groupsNames: string[] }, _v, request) => ({
          throttleTimeMs: 0,
          results: body.groupsNames.map((groupId) => ({ groupId, errorCode: request!.broker === 1 ? ErrorCode.NOT_COORDINATOR : 0, errorMessage: null })),
        }),
      },
    })
    cluster.coordinator = 1
    cluster.scheduler.schedule(() => { cluster.coordinator = 2 }, 1)
    const { value } = settle(cluster, deleteGroups(new AdminRouter(cluster, { retryBackoffMs: 20 }), ['billing']))
    expect(value).toMatchObject([{ groupId: 'billing', ok: true }])
    expect(cluster.of('DeleteGroups').map((r) => r.broker)).toEqual([1, 2])
    expect(cluster.of('FindCoordinator')).toHaveLength(2)
  })

  it('a whole request that fails on the connection is sent again; a non-routing error fails the call at once', () => {
    let failures = 1
    const cluster = new ScriptedCluster({
      topics: { orders: [1] },
      handlers: {
        Metadata: (body: { topics: { name: string }[] | null; allowAutoTopicCreation: boolean }) => {
          // The admin's own look at `orders` fails once on the connection.
          if ((body.topics ?? []).length > 0 && failures-- > 0) return new ConnectionError('scripted: connection reset', { broker: 1 })
          return {
            throttleTimeMs: 0, clusterId: 'scripted', controllerId: 1,
            brokers: [1, 2, 3].map((nodeId) => ({ nodeId, host: `scripted-broker-${nodeId}`, port: 9092, rack: null })),
            topics: (body.topics ?? []).map((t) => ({ errorCode: 0, name: t.name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', isInternal: false, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }], topicAuthorizedOperations: 0 })),
          }
        },
      },
    })
    const { value } = settle(cluster, describeTopics(new AdminRouter(cluster, { retryBackoffMs: 10 }), ['orders']))
    expect(value).toMatchObject([{ name: 'orders', ok: true, partitions: [{ partition: 0, leader: 1 }] }])
    expect(cluster.of('Metadata').filter((r) => ((r.body as { topics: unknown[] | null }).topics ?? []).length > 0)).toHaveLength(2)
    expect(() => settle(cluster, createTopics(new AdminRouter(cluster), [{ name: 'x' }]))).toThrow(/no handler for CreateTopics/)
    expect(cluster.of('CreateTopics')).toHaveLength(1)
  })
})
