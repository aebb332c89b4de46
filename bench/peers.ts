/**
 * The broker a bench run talks to. Every lane gets only a bootstrap address
 * from here, so a new peer is a new case in `startPeer`, not a change to any
 * lane or client.
 *
 * - `mock` (default): librdkafka's mock cluster, 3 brokers, every lane's topics
 *   created up front (docs/mock-cluster.md: 5 MiB or 100k batches kept per
 *   partition; auto-created topics would get 4 partitions).
 * - `kafka`: a real Apache Kafka cluster (KRaft, 3 nodes) through lib/testing's
 *   `startKafkaCluster`, topics created up front with replication factor 1
 *   (`group.initial.rebalance.delay.ms` is already 0 there: docs/kafka-cluster.md).
 *   Needs Java and Maven (or a resolved install); a failure to start says why.
 */
import type { BrokerCompatibility } from '../lib/index.js'
import { startKafkaCluster, startMockCluster, type MockCluster } from '../lib/testing/index.js'

export const PEERS = ['mock', 'kafka'] as const
export type PeerName = (typeof PEERS)[number]

export interface BenchPeer {
  name: PeerName
  /** What the JSON and the table say the run was against. */
  description: { kind: string; brokers: number }
  bootstrap: string
  /** What rxkafka needs besides the bootstrap address: the mock's compatibility setting, nothing on Kafka. */
  compatibility: BrokerCompatibility | undefined
  /** The mock, for checks only it can answer; undefined on Kafka. */
  mock: MockCluster | undefined
  /** The first join would otherwise wait the broker default of 3 s for more members. */
  prepareGroups(): Promise<void>
  stop(): Promise<void>
}

/** Thrown when a peer cannot be had here (yet). */
export class PeerUnavailableError extends Error {}

export async function startPeer(name: PeerName, topics: { name: string; partitions: number }[]): Promise<BenchPeer> {
  if (name === 'mock') {
    const mock = await startMockCluster({ brokers: 3, topics })
    return {
      name,
      description: { kind: 'librdkafka mock cluster', brokers: 3 },
      bootstrap: mock.bootstrap,
      compatibility: mock.clientConfig.compatibility,
      mock,
      prepareGroups: () => mock.setGroupInitialRebalanceDelay(0),
      stop: () => mock.stop(),
    }
  }
  try {
    const kafka = await startKafkaCluster({ brokers: 3, topics: topics.map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: 1 })) })
    return {
      name,
      description: { kind: `Apache Kafka ${kafka.kafkaVersion} (KRaft)`, brokers: 3 },
      bootstrap: kafka.bootstrap,
      compatibility: undefined,
      mock: undefined,
      prepareGroups: async () => {},
      stop: () => kafka.stop(),
    }
  } catch (error) {
    throw new PeerUnavailableError(`--peer kafka: the Kafka cluster did not start (${error instanceof Error ? error.message : String(error)}); see docs/kafka-cluster.md`)
  }
}
