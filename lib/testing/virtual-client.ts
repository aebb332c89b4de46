/**
 * The client side of the virtual cluster: a KafkaCluster whose transports are
 * VirtualTransports to the in-memory brokers. Nothing of the cluster logic is
 * repeated here; only what the virtual brokers know from the start (their ids,
 * their versions) is told to it.
 */
import { KafkaCluster } from '../cluster/kafka-cluster.js'
import { clientVersionLimits } from '../connection/version-caps.js'
import { silentLogger } from '../logger.js'
import type { ApiDefinition } from '../protocol/api.js'
import { chooseVersion } from '../protocol/versions.js'
import { VIRTUAL_API_VERSIONS } from './virtual-apis.js'
import type { VirtualBrokers } from './virtual-broker.js'
import { virtualBrokerHost, VirtualTransport, type VirtualWire } from './virtual-transport.js'

/** The settings of one client of a virtual cluster. */
export interface ClientSettings {
  clientId: string
  requestTimeoutMs: number
  retryBackoffMs: number
  topicWaitMs: number
  metadataMaxAgeMs: number
}

/** Virtual brokers finalize no features. */
const NO_FEATURES: ReadonlyMap<string, number> = new Map()

/**
 * A {@link rxkafka!ClusterClient} connected to a virtual cluster: a
 * {@link rxkafka!KafkaCluster} (the same metadata, coordinator, pool and
 * teardown logic as against real brokers) whose transports are
 * `VirtualTransport`s (lib/testing/virtual-transport.ts) to the virtual
 * brokers. The cluster itself is one; {@link VirtualCluster.client} makes more
 * (with their own connections and metadata view), as separate processes would
 * have.
 *
 * @example
 * ```ts
 * const cluster = createVirtualCluster({ topics: [{ name: 'orders', partitions: 2 }] })
 * const worker2: VirtualClusterClient = cluster.client('worker-2')
 * consumeGroup({ client: worker2, groupId: 'billing', topics: ['orders'] }).subscribe()
 * worker2.request('any', MetadataApi, { topics: null }).subscribe((m) => console.log(m.brokers))
 * ```
 */
export class VirtualClusterClient extends KafkaCluster {
  protected readonly brokers: VirtualBrokers

  /** @internal Made by {@link createVirtualCluster} and {@link VirtualCluster.client}. */
  constructor(wire: VirtualWire, settings: ClientSettings) {
    const ids = wire.brokers.settings.brokerIds
    super({
      brokers: ids.map((id) => `${virtualBrokerHost(id)}:9092`),
      clientId: settings.clientId,
      requestTimeoutMs: settings.requestTimeoutMs,
      retryBackoffMs: settings.retryBackoffMs,
      topicWaitMs: settings.topicWaitMs,
      metadataMaxAgeMs: settings.metadataMaxAgeMs,
      // The brokers decide: a Metadata request creates topics only where autoCreateTopics is on.
      allowAutoTopicCreation: true,
      scheduler: wire.brokers.scheduler,
      // No randomness: brokers are asked for metadata in the same order on every run.
      random: () => 0,
      logger: silentLogger,
      connect: (address, options) => new VirtualTransport(wire, address, options),
    })
    this.brokers = wire.brokers
    // Virtual brokers are known by id from the start, so a test may address broker 1 before any metadata.
    for (const id of ids) this.knowBroker({ host: virtualBrokerHost(id), port: 9092, nodeId: id })
  }

  /** Virtual brokers finalize no features (transaction version 1); known from the start, as the versions are. */
  override finalizedFeatures(broker: number): ReadonlyMap<string, number> | undefined {
    return this.brokers.up.has(broker) ? NO_FEATURES : undefined
  }

  /** The version a request of `api` to `broker` would use: the highest both sides know (known from the start here). */
  override versionFor(broker: number, api: ApiDefinition<unknown, unknown>): number | undefined {
    if (!this.brokers.up.has(broker)) return undefined
    const range = VIRTUAL_API_VERSIONS.get(api.apiKey)
    if (range === undefined) return undefined
    try {
      return chooseVersion(api, range, clientVersionLimits(api, {}))
    } catch {
      return undefined
    }
  }
}
