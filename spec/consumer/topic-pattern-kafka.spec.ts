/**
 * Pattern subscription against the shared Apache Kafka: a topic created while
 * the group runs, whose name the RegExp matches, is read after the next topic
 * refresh (classic protocol: the member matches and rejoins), or after the
 * broker matches it (groupProtocol 'consumer': the RegExp becomes
 * topicRegex); a topic beside it that does not match is never read.
 */
import { Subscription, mergeMap, tap } from 'rxjs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { consumeGroup } from '../../lib/consume-group.js'
import { consoleLogger } from '../../lib/logger.js'
import { produceWithKcat, waitFor } from './consumer-helpers.js'
import { startPeer, uniqueName, type Peer } from '../support/peers.js'

let peer: Peer
const clients: KafkaCluster[] = []
const subscriptions: Subscription[] = []

beforeAll(async () => {
  peer = await startPeer('kafka')
})
afterEach(async () => {
  for (const s of subscriptions.splice(0)) s.unsubscribe()
  for (const c of clients.splice(0)) await c.close()
})
afterAll(async () => {
  await peer?.stop()
})

function newClient(): KafkaCluster {
  const client = new KafkaCluster({ ...peer.clientConfig, clientId: 'topic-pattern-spec', logger: consoleLogger('silent') })
  clients.push(client)
  return client
}

const PROTOCOLS = [
  { name: 'classic', options: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 10_000, topicRefreshMs: 1_000 } },
  { name: 'consumer', options: { groupProtocol: 'consumer', rebalanceTimeoutMs: 20_000 } },
] as const

describe.each(PROTOCOLS)('a RegExp in topics against Apache Kafka ($name protocol)', ({ options }) => {
  it('reads re-a-1 at once and re-a-2, created later, after the refresh; re-b-1 never', async () => {
    const prefix = uniqueName('re')
    await peer.createTopic(`${prefix}-a-1`, 1)
    await produceWithKcat(peer.bootstrap, `${prefix}-a-1`, 0, 10)
    const group = consumeGroup({ client: newClient(), groupId: uniqueName('re-group'), topics: new RegExp(`^${prefix}-a-`), commitIntervalMs: 300, fromBeginning: true, ...options })
    const received = new Map<string, number>()
    subscriptions.push(
      group
        .pipe(
          mergeMap((p) => p),
          tap((m) => {
            received.set(m.topic, (received.get(m.topic) ?? 0) + 1)
            m.done()
          }),
        )
        .subscribe(),
    )
    await waitFor('10 messages of re-a-1', () => received.get(`${prefix}-a-1`) === 10, 40_000)
    await peer.createTopic(`${prefix}-a-2`, 2)
    await peer.createTopic(`${prefix}-b-1`, 1)
    await produceWithKcat(peer.bootstrap, `${prefix}-a-2`, 0, 5)
    await produceWithKcat(peer.bootstrap, `${prefix}-a-2`, 1, 5)
    await produceWithKcat(peer.bootstrap, `${prefix}-b-1`, 0, 5)
    await waitFor('10 messages of re-a-2', () => received.get(`${prefix}-a-2`) === 10, 40_000)
    // Some time for anything wrongly subscribed to show up.
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    expect(Object.fromEntries(received)).toEqual({ [`${prefix}-a-1`]: 10, [`${prefix}-a-2`]: 10 })
  })
})
