/**
 * The cluster: its id, controller and brokers (DescribeCluster, any broker),
 * and the API versions each broker offers (ApiVersions, every broker).
 */
import { map, type Observable } from 'rxjs'
import { brokerError } from '../errors/index.js'
import { ApiVersionsApi } from '../protocol/messages/ApiVersions.js'
import { DescribeClusterApi } from '../protocol/messages/DescribeCluster.js'
import type { AdminRouter } from './admin-routing.js'

/**
 * The cluster as DescribeCluster describes it.
 *
 * @example
 * ```ts
 * const { clusterId, controllerId, brokers } = await kafka.admin.describeCluster()
 * ```
 */
export interface ClusterDescription {
  /** The cluster id. */
  clusterId: string
  /** The broker metadata names as controller (in KRaft: a live broker that forwards to the active controller). */
  controllerId: number
  /** Every broker, by id. */
  brokers: {
    /** The broker id. */
    nodeId: number
    /** The host it advertises. */
    host: string
    /** The port it advertises. */
    port: number
    /** Its rack, or null. */
    rack: string | null
    /** Whether the controller has fenced it (not serving). */
    fenced: boolean
  }[]
}

/**
 * The versions one broker offers for each API key.
 *
 * @example
 * ```ts
 * for (const b of await kafka.admin.apiVersions()) console.log(b.nodeId, b.apis.find((a) => a.apiKey === 0))
 * ```
 */
export interface BrokerApiVersions {
  /** The broker. */
  nodeId: number
  /** Each API key with its lowest and highest version. */
  apis: {
    /** The API key, such as 0 for Produce. */
    apiKey: number
    /** The lowest version it serves. */
    minVersion: number
    /** The highest version it serves. */
    maxVersion: number
  }[]
  /** Finalized feature levels, such as `metadata.version`. */
  features: Record<string, number>
}

/**
 * DescribeCluster from any broker (fenced brokers included where the broker reports them).
 *
 * @example
 * ```ts
 * describeCluster(router).subscribe((c) => console.log(c.clusterId))
 * ```
 */
export function describeCluster(router: AdminRouter): Observable<ClusterDescription> {
  return router.once(() =>
    router
      .toAny(DescribeClusterApi, (version) => ({
        includeClusterAuthorizedOperations: false,
        ...(version >= 1 ? { endpointType: 1 } : {}),
        ...(version >= 2 ? { includeFencedBrokers: true } : {}),
      }))
      .pipe(
        map((response) => {
          if (response.errorCode !== 0) throw brokerError(response.errorCode, { api: 'DescribeCluster', errorMessage: response.errorMessage })
          return {
            clusterId: response.clusterId,
            controllerId: response.controllerId,
            brokers: response.brokers
              .map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack, fenced: b.isFenced ?? false }))
              .sort((a, b) => a.nodeId - b.nodeId),
          }
        }),
      ),
  )
}

/**
 * ApiVersions of every broker in the cluster view.
 *
 * @example
 * ```ts
 * apiVersions(router).subscribe((brokers) => console.log(brokers.length))
 * ```
 */
export function apiVersions(router: AdminRouter): Observable<BrokerApiVersions[]> {
  return router
    .toEveryBroker(ApiVersionsApi, (version) => (version >= 3 ? { clientSoftwareName: 'rxkafka', clientSoftwareVersion: 'admin' } : {}))
    .pipe(
      map((answers) =>
        [...answers].map(([nodeId, response]) => {
          if (response.errorCode !== 0) throw brokerError(response.errorCode, { api: 'ApiVersions', broker: nodeId })
          const features: Record<string, number> = {}
          for (const f of response.finalizedFeatures ?? []) features[f.name] = f.maxVersionLevel
          return {
            nodeId,
            apis: response.apiKeys.map((a) => ({ apiKey: a.apiKey, minVersion: a.minVersion, maxVersion: a.maxVersion })).sort((a, b) => a.apiKey - b.apiKey),
            features,
          }
        }),
      ),
    )
}
