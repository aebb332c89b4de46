/**
 * On real Kafka (the coordinator's hold of a JoinGroup is what matters): a
 * cooperative-sticky member that leaves while its follow-up JoinGroup is held
 * by the coordinator still gets the commit of the partitions it kept to the
 * coordinator within the generation it belongs to. The next owner starts
 * where the leaver stopped: 0 messages read twice (nothing was left un-done).
 */
import { firstValueFrom, lastValueFrom, map, mergeMap, range, type Subscription } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { consumeGroup } from '../../lib/consume-group.js'
import { cooperativeStickyAssignor } from '../../lib/consumer/index.js'
import { createKafka } from '../../lib/kafka.js'
import { consoleLogger } from '../../lib/logger.js'
import { startPeer, uniqueName, type Peer } from '../support/peers.js'
import { waitFor } from './consumer-helpers.js'

let peer: Peer
const PARTITIONS = 4
const PER_PARTITION = 50

describe('commits never wait behind a held JoinGroup (Apache Kafka)', () => {
  beforeAll(async () => {
    peer = await startPeer('kafka')
  })
  afterAll(async () => {
    await peer?.stop()
  })

  it('a cooperative member leaving during its follow-up JoinGroup commits what it kept: 0 duplicates at the next owner', async () => {
    const topic = uniqueName('coop-leave')
    await peer.createTopic(topic, PARTITIONS)
    const producer = createKafka({ ...peer.clientConfig, clientId: 'coop-leave-producer', logger: consoleLogger('silent') })
    for (let p = 0; p < PARTITIONS; p++) await lastValueFrom(range(0, PER_PARTITION).pipe(map((i) => ({ value: `m${i}`, partition: p })), producer.produceTo(topic)))
    await producer.close()
    const groupId = uniqueName('g-coop-leave')
    // No periodic commits: what `a` kept is committed only by its final commit, the one under test.
    const common = { groupId, topics: [topic], assignors: [cooperativeStickyAssignor], fromBeginning: true, commitIntervalMs: 0, rebalanceTimeoutMs: 20_000 }
    const clientA = new KafkaCluster({ ...peer.clientConfig, clientId: 'coop-a', logger: consoleLogger('silent') })
    const clientB = new KafkaCluster({ ...peer.clientConfig, clientId: 'coop-b', logger: consoleLogger('silent') })
    const subscriptions: Subscription[] = []
    try {
      const a = consumeGroup({ client: clientA, ...common, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500 })
      const doneByA = new Set<string>()
      subscriptions.push(
        a.pipe(mergeMap((partition$) => partition$)).subscribe((msg) => {
          msg.done()
          doneByA.add(`${msg.partition}/${msg.offset}`)
        }),
      )
      await waitFor('a read everything alone', () => doneByA.size === PARTITIONS * PER_PARTITION, 40_000)
      // b heartbeats slowly: once a rejoins after giving up the moved partitions, the coordinator holds a's JoinGroup
      // until b's next heartbeat tells b to rejoin too (up to 4 s).
      const b = consumeGroup({ client: clientB, ...common, sessionTimeoutMs: 12_000, heartbeatIntervalMs: 4_000 })
      const readByB: string[] = []
      subscriptions.push(
        b.pipe(mergeMap((partition$) => partition$)).subscribe((msg) => {
          msg.done()
          readByB.push(`${msg.partition}/${msg.offset}`)
        }),
      )
      const revoked = firstValueFrom(a.assignments$.pipe(mergeMap((e) => (e.revoked.length > 0 ? [e] : []))))
      await revoked
      await waitFor("a's follow-up JoinGroup is in flight", () => a.diagnostics()[0]?.state === 'joining', 10_000)
      // a leaves now, its JoinGroup held by the coordinator; its final commit must not queue behind it.
      subscriptions.shift()!.unsubscribe()
      await clientA.close()
      await waitFor('b holds every partition', () => b.diagnostics()[0]?.partitions.length === PARTITIONS, 40_000)
      await waitFor('b is positioned on every partition', () => b.diagnostics()[0]!.partitions.every((p) => p.position !== null), 10_000)
      const duplicates = readByB.filter((m) => doneByA.has(m))
      expect(duplicates).toEqual([])
      expect(b.diagnostics()[0]!.partitions.map((p) => p.position)).toEqual(Array.from({ length: PARTITIONS }, () => BigInt(PER_PARTITION)))
    } finally {
      for (const s of subscriptions) s.unsubscribe()
      await clientA.close()
      await clientB.close()
    }
  }, 90_000)
})
