/**
 * The set-up every Java interop spec shares: the shared Apache Kafka as the
 * peer, rxkafka clients and subscriptions that are closed after each test, and
 * Java peers killed by PID after each test and at the end.
 */
import type { Subscription } from 'rxjs'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { consoleLogger } from '../../lib/logger.js'
import { killJavaPeers } from './java-peer.js'
import { startPeer, type Peer } from './peers.js'

export interface JavaSpecFixture {
  /** The Kafka peer (set before the first test). */
  readonly peer: Peer
  /** Subscriptions to unsubscribe after each test. */
  readonly subscriptions: Subscription[]
  /** A new rxkafka client of the peer, closed after the test. */
  newClient(): KafkaCluster
}

/** Registers the hooks and returns the fixture; call once at the top of a spec file. */
export function useJavaSpecFixture(clientId: string): JavaSpecFixture {
  let peer: Peer | undefined
  const clients: KafkaCluster[] = []
  const subscriptions: Subscription[] = []
  beforeAll(async () => {
    peer = await startPeer('kafka')
  })
  afterEach(async () => {
    for (const s of subscriptions.splice(0)) s.unsubscribe()
    killJavaPeers()
    // Let the Java members' sockets close before the clients' own teardown.
    await new Promise((resolve) => setTimeout(resolve, 300))
    for (const c of clients.splice(0)) await c.close()
  })
  afterAll(async () => {
    killJavaPeers()
    await peer?.stop()
  })
  const fixture: JavaSpecFixture = {
    get peer(): Peer {
      if (peer === undefined) throw new Error('the Kafka peer is only there once beforeAll has run')
      return peer
    },
    subscriptions,
    newClient(): KafkaCluster {
      const client = new KafkaCluster({ ...fixture.peer.clientConfig, clientId, logger: consoleLogger('silent') })
      clients.push(client)
      return client
    },
  }
  return fixture
}
