/**
 * Negotiation against a broker that offers every version the generated code
 * knows (as a Kafka 4.4 broker, and more: unstable versions too): the client
 * must pick, for every API its own code calls, a version that code fills in
 * correctly, which is what lib/connection/version-caps.ts promises.
 */
import { firstValueFrom } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { BrokerConnection } from '../../lib/connection/broker-connection.js'
import { CLIENT_VERSION_CAPS, clientVersionLimits } from '../../lib/connection/version-caps.js'
import { ALL_APIS, API_BY_KEY } from '../../lib/protocol/messages/index.js'
import { ApiVersionsApi } from '../../lib/protocol/messages/ApiVersions.js'
import { FetchApi } from '../../lib/protocol/messages/Fetch.js'
import { FindCoordinatorApi } from '../../lib/protocol/messages/FindCoordinator.js'
import { HeartbeatApi } from '../../lib/protocol/messages/Heartbeat.js'
import { InitProducerIdApi } from '../../lib/protocol/messages/InitProducerId.js'
import { JoinGroupApi } from '../../lib/protocol/messages/JoinGroup.js'
import { LeaveGroupApi } from '../../lib/protocol/messages/LeaveGroup.js'
import { ListOffsetsApi } from '../../lib/protocol/messages/ListOffsets.js'
import { MetadataApi } from '../../lib/protocol/messages/Metadata.js'
import { OffsetCommitApi } from '../../lib/protocol/messages/OffsetCommit.js'
import { OffsetFetchApi } from '../../lib/protocol/messages/OffsetFetch.js'
import { ProduceApi, type ProduceResponse } from '../../lib/protocol/messages/Produce.js'
import { SyncGroupApi } from '../../lib/protocol/messages/SyncGroup.js'
import { chooseVersion } from '../../lib/protocol/versions.js'
import { startFakeBroker, type FakeBroker } from '../support/fake-broker.js'

/** Every API at every version this client can encode, unstable ones included. */
const EVERYTHING = {
  errorCode: 0,
  apiKeys: ALL_APIS.map((api) => ({
    apiKey: api.apiKey,
    minVersion: Math.min(api.minVersion, ...api.unstableVersions),
    maxVersion: Math.max(api.maxVersion, ...api.unstableVersions),
  })),
  throttleTimeMs: 0,
}

let broker: FakeBroker | undefined
let connection: BrokerConnection | undefined

afterEach(async () => {
  connection?.close()
  connection = undefined
  await broker?.close()
  broker = undefined
})

describe('client version caps', () => {
  it('cap only below what the generated code has, each with a reason', () => {
    expect(CLIENT_VERSION_CAPS.size).toBeGreaterThan(0)
    for (const [apiKey, cap] of CLIENT_VERSION_CAPS) {
      const api = API_BY_KEY.get(apiKey)!
      expect(cap.api).toBe(api.name)
      expect(cap.maxVersion, `${cap.api}: a cap at or above the generated maximum does nothing; remove it`).toBeLessThan(api.maxVersion)
      expect(cap.maxVersion).toBeGreaterThanOrEqual(api.minVersion)
      expect(cap.reason.length).toBeGreaterThan(10)
    }
  })

  it('clientVersionLimits lowers the caller maximum to the cap and never raises it', () => {
    expect(clientVersionLimits(ProduceApi, {})).toEqual({ min: undefined, max: 12 })
    expect(clientVersionLimits(ProduceApi, { maxVersion: 7, minVersion: 3 })).toEqual({ min: 3, max: 7 })
    expect(clientVersionLimits(ProduceApi, { maxVersion: 13 })).toEqual({ min: undefined, max: 12 })
    expect(clientVersionLimits(FetchApi, { maxVersion: 12 })).toEqual({ min: undefined, max: 12 })
    expect(clientVersionLimits(FetchApi, {})).toEqual({ min: undefined, max: undefined })
  })

  it('a connection to a broker offering everything negotiates what the client code handles', async () => {
    broker = await startFakeBroker((request) => {
      if (request.apiKey === ApiVersionsApi.apiKey) return EVERYTHING
      if (request.apiKey === ProduceApi.apiKey) return { responses: [], throttleTimeMs: 0 } satisfies ProduceResponse
      return undefined
    })
    connection = new BrokerConnection({ host: '127.0.0.1', port: broker.port, nodeId: 1 }, { clientId: 'caps' })
    await firstValueFrom(connection.request(ProduceApi, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [] }))

    // ApiVersions itself is asked at the highest version we have (v5 adds nothing the client must send).
    expect(broker.requests[0]).toMatchObject({ apiKey: ApiVersionsApi.apiKey, version: ApiVersionsApi.maxVersion })
    expect(ApiVersionsApi.maxVersion).toBe(5)
    // Produce v13 names topics by id: capped at 12, which the broker saw.
    expect(broker.requests[1]).toMatchObject({ apiKey: ProduceApi.apiKey, version: 12 })

    const negotiated = Object.fromEntries(
      [ProduceApi, FetchApi, ListOffsetsApi, MetadataApi, OffsetCommitApi, OffsetFetchApi, FindCoordinatorApi, JoinGroupApi, HeartbeatApi, LeaveGroupApi, SyncGroupApi, InitProducerIdApi].map(
        (api) => [api.name, connection!.versionFor(api)],
      ),
    )
    expect(negotiated).toEqual({
      Produce: 12,
      Fetch: 18, // v18 adds only a tagged field replicas send; the fetcher still stays at 12 when a topic lacks an id
      ListOffsets: 11, // v11 only adds a timestamp value (-6) the client never sends
      Metadata: 12,
      OffsetCommit: 9,
      OffsetFetch: 9,
      FindCoordinator: 6,
      JoinGroup: 9,
      Heartbeat: 4,
      LeaveGroup: 5,
      SyncGroup: 5,
      InitProducerId: 5, // v6 is unstable in Kafka 4.4: not negotiated even when the broker offers it
    })
    // The fetcher's own limit still applies below the cap.
    expect(connection.versionFor(FetchApi, { maxVersion: 12 })).toBe(12)
  })

  it('unstable versions are negotiated only when asked for', () => {
    const range = { minVersion: 0, maxVersion: 6 }
    expect(InitProducerIdApi.unstableVersions).toEqual([6])
    expect(chooseVersion(InitProducerIdApi, range)).toBe(5)
    expect(chooseVersion(InitProducerIdApi, range, { allowUnstable: true })).toBe(6)
  })
})
