/**
 * The two brokers every integration spec runs against: librdkafka's mock
 * cluster (started per spec file, with its fault injection) and Apache Kafka
 * (the one shared single-node cluster of the run, from kafka-global-setup.ts).
 * Specs iterate `PEERS` with describe.each and take names from `uniqueName`,
 * so nothing collides on the shared Kafka.
 */
import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'
import type { ClusterConfig } from '../../lib/cluster/kafka-cluster.js'
import { createTopicAndWait } from '../../lib/testing/apache-kafka-wire.js'
import { startMockCluster, type MockCluster } from '../../lib/testing/index.js'
import type { SharedKafka } from './kafka-global-setup.js'

export type PeerName = 'mock' | 'kafka'
export const PEERS: readonly PeerName[] = ['mock', 'kafka']

export interface Peer {
  name: PeerName
  bootstrap: string
  /** What `new KafkaCluster` / `createKafka` need for this peer (the mock's compatibility setting included). */
  clientConfig: Pick<ClusterConfig, 'brokers' | 'compatibility'>
  /** Creates a topic and waits until it has leaders. */
  createTopic(name: string, partitions: number): Promise<void>
  /** The mock cluster, for the specs' fault injection; undefined on Kafka. */
  mock: MockCluster | undefined
  /** Stops what this peer started (the shared Kafka stays for the other specs). */
  stop(): Promise<void>
}

/** The shared Kafka; throws (failing the spec, never skipping it) when it did not start. */
export function sharedKafka(): SharedKafka {
  const kafka = inject('kafka')
  if (kafka.error !== undefined) throw new Error(`the shared Apache Kafka did not start: ${kafka.error}`)
  return kafka
}

/** A topic or group name no other spec (or run of this one) uses. */
export function uniqueName(base: string): string {
  return `${base}-${randomBytes(4).toString('hex')}`
}

export async function startPeer(name: PeerName, options: { brokers?: number; onGroupLog?: (line: string) => void } = {}): Promise<Peer> {
  if (name === 'mock') {
    const mock = await startMockCluster({ brokers: options.brokers ?? 3, ...(options.onGroupLog === undefined ? {} : { onGroupLog: options.onGroupLog }) })
    await mock.setGroupInitialRebalanceDelay(0)
    return {
      name,
      bootstrap: mock.bootstrap,
      clientConfig: mock.clientConfig,
      createTopic: (topic, partitions) => mock.createTopic(topic, partitions),
      mock,
      stop: () => mock.stop(),
    }
  }
  const kafka = sharedKafka()
  const nodes = kafka.bootstrap.split(',').map((address) => {
    const [host, port] = address.split(':')
    return { host: host!, port: Number(port) }
  })
  return {
    name,
    bootstrap: kafka.bootstrap,
    clientConfig: { brokers: kafka.bootstrap.split(',') },
    createTopic: (topic, partitions) => createTopicAndWait(nodes, { name: topic, partitions, replicationFactor: 1, configs: {} }),
    mock: undefined,
    stop: async () => undefined,
  }
}
