/**
 * The broker a bench run talks to. Every lane gets only a bootstrap address
 * from here, so a new peer is a new case in `startPeer`, not a change to any
 * lane or client.
 *
 * - `mock` (default): librdkafka's mock cluster, 3 brokers, every lane's topics
 *   created up front (docs/mock-cluster.md: 5 MiB or 100k batches kept per
 *   partition; auto-created topics would get 4 partitions).
 * - `kafka`: a real Apache Kafka cluster, through lib/testing's
 *   `startKafkaCluster` once that lands (issue 19, point 3); until then asking
 *   for it says so.
 */
import { startMockCluster, type MockCluster } from '../lib/testing/index.js'

export const PEERS = ['mock', 'kafka'] as const
export type PeerName = (typeof PEERS)[number]

export interface BenchPeer {
  name: PeerName
  /** What the JSON and the table say the run was against. */
  description: { kind: string; brokers: number }
  bootstrap: string
  /** The mock, for the checks only it can answer (platformatic's ApiVersions probe). */
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
      mock,
      prepareGroups: () => mock.setGroupInitialRebalanceDelay(0),
      stop: () => mock.stop(),
    }
  }
  throw new PeerUnavailableError(
    "--peer kafka needs lib/testing's startKafkaCluster (a real Apache Kafka cluster), which is not on this branch yet; run against the mock (--peer mock) for now",
  )
}
