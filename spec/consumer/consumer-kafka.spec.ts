/**
 * What only Apache Kafka can show the consumer (the mock grants no fetch
 * session, mis-reads the flexible group versions and keeps 5 MiB per
 * partition): fetch sessions by default, JoinGroup/SyncGroup at the highest
 * versions both sides support, and a log larger than the mock would keep.
 */
import { lastValueFrom, map, mergeMap, range, Subscription, switchMap, take, tap, toArray } from 'rxjs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { consumeGroup } from '../../lib/consume-group.js'
import { consoleLogger } from '../../lib/logger.js'
import { JoinGroupApi } from '../../lib/protocol/messages/JoinGroup.js'
import { SyncGroupApi } from '../../lib/protocol/messages/SyncGroup.js'
import { LeaveGroupApi } from '../../lib/protocol/messages/LeaveGroup.js'
import { FetchApi } from '../../lib/protocol/messages/Fetch.js'
import { MetadataApi } from '../../lib/protocol/messages/Metadata.js'
import { produceTo } from '../../lib/producer/index.js'
import { MOCK_COMPATIBILITY, fetchApiVersions } from '../../lib/testing/index.js'
import { produceWithKcat, waitFor } from './consumer-helpers.js'
import { startPeer, uniqueName, type Peer } from '../support/peers.js'

let peer: Peer
const clients: KafkaCluster[] = []
const subscriptions: Subscription[] = []
const FAST = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 10_000, commitIntervalMs: 300, fromBeginning: true }

beforeAll(async () => {
  peer = await startPeer('kafka')
})
afterEach(async () => {
  for (const s of subscriptions.splice(0)) s.unsubscribe()
  await new Promise((resolve) => setTimeout(resolve, 200))
  for (const c of clients.splice(0)) await c.close()
})
afterAll(async () => {
  await peer?.stop()
})

function newClient(extra: Partial<ConstructorParameters<typeof KafkaCluster>[0]> = {}): KafkaCluster {
  const client = new KafkaCluster({ ...peer.clientConfig, clientId: 'consumer-kafka-spec', logger: consoleLogger('silent'), ...extra })
  clients.push(client)
  return client
}

describe('the consumer against Apache Kafka only', () => {
  it('fetch sessions are on by default: the broker grants one and later fetches are incremental', async () => {
    const topic = uniqueName('sessions')
    await peer.createTopic(topic, 3)
    for (let p = 0; p < 3; p++) await produceWithKcat(peer.bootstrap, topic, p, 100)
    const group = consumeGroup({ client: newClient(), groupId: uniqueName('sessions'), topics: [topic], ...FAST })
    let received = 0
    subscriptions.push(group.pipe(mergeMap((p) => p), tap((m) => { received++; m.done() })).subscribe())
    await waitFor('300 messages', () => received === 300, 40_000)
    // More data in one partition: the incremental request named nothing new, the answer carries it.
    await produceWithKcat(peer.bootstrap, topic, 1, 50, 100)
    await waitFor('350 messages', () => received === 350, 40_000)
    await waitFor('incremental fetches in a granted session', () => {
      const session = group.diagnostics()[0]?.fetchSessions[0]
      return session !== undefined && session.sessionId !== 0 && session.incrementalFetches >= 2
    }, 20_000)
    expect(received).toBe(350)
  })

  it('group APIs use the highest versions both sides support; the mock compatibility setting caps them', async () => {
    const node = peer.bootstrap.split(',')[0]!.split(':')
    const { apiVersions } = await fetchApiVersions(node[0]!, Number(node[1]))
    const brokerMax = (apiKey: number): number => apiVersions.find((v) => v.apiKey === apiKey)!.maxVersion
    const apis = [JoinGroupApi, SyncGroupApi, LeaveGroupApi, FetchApi]
    // The versions a client would use with node 1, read while a request to it holds the connection.
    const versionsOf = (client: KafkaCluster) => lastValueFrom(client.use(() => client.ensureTopics([]).pipe(
      take(1),
      switchMap(() => client.request(1, MetadataApi, { topics: [] })),
      map(() => Object.fromEntries(apis.map((api) => [api.name, client.versionFor(1, api)]))),
    )))
    const plain = await versionsOf(newClient())
    const capped = await versionsOf(newClient({ compatibility: MOCK_COMPATIBILITY }))
    for (const api of apis) expect(plain[api.name], api.name).toBe(Math.min(api.maxVersion, brokerMax(api.apiKey)))
    // Kafka 4 speaks the flexible encodings, which the mock cannot read.
    expect(plain['JoinGroup']).toBeGreaterThanOrEqual(6)
    expect(plain['SyncGroup']).toBeGreaterThanOrEqual(4)
    expect(capped).toEqual({ JoinGroup: 5, SyncGroup: 3, LeaveGroup: 2, Fetch: plain['Fetch'] })
  })

  it('a log larger than the mock keeps (32 MiB in one partition) is read whole, in order', async () => {
    const topic = uniqueName('large-log')
    await peer.createTopic(topic, 1)
    const count = 32 * 1024
    const value = 'x'.repeat(1_000)
    const results = await lastValueFrom(range(0, count).pipe(map((i) => ({ key: String(i), value: `${i}:${value}` })), produceTo(topic, { client: newClient(), compression: 'none' }), toArray()))
    expect(results.filter((r) => r.error !== undefined)).toEqual([])
    const group = consumeGroup({ client: newClient(), groupId: uniqueName('large-log'), topics: [topic], ...FAST })
    let next = 0
    const wrong: string[] = []
    subscriptions.push(group.pipe(mergeMap((p) => p), tap((m) => {
      if (Number(m.offset) !== next || m.key?.toString() !== String(next)) wrong.push(`offset ${m.offset} key ${m.key?.toString()} where ${next} was due`)
      next++
      m.done()
    })).subscribe())
    await waitFor(`${count} messages`, () => next >= count, 120_000)
    expect(wrong).toEqual([])
    expect(next).toBe(count)
  }, 180_000)
})
