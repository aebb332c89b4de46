/**
 * The finalized features of the ApiVersions answer (v3+ tagged fields
 * FinalizedFeaturesEpoch / FinalizedFeatures), as a BrokerConnection reports
 * them: name -> finalized max version level once negotiated, none when the
 * epoch is unknown (-1, the field's spec says to ignore the list then), and
 * nothing before the versions are negotiated. (A scripted broker on a
 * loopback port; the real Kafka's answer is in
 * spec/transactions/transaction-version-kafka.spec.ts.)
 */
import { firstValueFrom } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { BrokerConnection } from '../../lib/connection/broker-connection.js'
import { ApiVersionsApi, type ApiVersionsResponse } from '../../lib/protocol/messages/ApiVersions.js'
import { MetadataApi, type MetadataResponse } from '../../lib/protocol/messages/Metadata.js'
import { apiVersionsAnswer, startFakeBroker, type FakeBroker } from '../support/fake-broker.js'

const METADATA: MetadataResponse = { brokers: [], topics: [], clusterId: 'fake', controllerId: 1 }

let broker: FakeBroker | undefined
let connection: BrokerConnection | undefined

afterEach(async () => {
  connection?.close()
  connection = undefined
  await broker?.close()
  broker = undefined
})

async function connectTo(answer: ApiVersionsResponse): Promise<BrokerConnection> {
  broker = await startFakeBroker((request) => (request.apiKey === ApiVersionsApi.apiKey ? answer : METADATA))
  connection = new BrokerConnection({ host: '127.0.0.1', port: broker.port, nodeId: 1 }, { clientId: 'features-spec' })
  return connection
}

const VERSIONS = apiVersionsAnswer({ [ApiVersionsApi.apiKey]: 4, [MetadataApi.apiKey]: 12 })

describe('finalized features of a BrokerConnection', () => {
  it('reports name -> finalized max version level once negotiated, and nothing before', async () => {
    const c = await connectTo({
      ...VERSIONS,
      finalizedFeaturesEpoch: 7n,
      finalizedFeatures: [
        { name: 'transaction.version', minVersionLevel: 1, maxVersionLevel: 2 },
        { name: 'metadata.version', minVersionLevel: 27, maxVersionLevel: 27 },
      ],
    })
    expect(c.finalizedFeatures).toBeUndefined()
    await firstValueFrom(c.request(MetadataApi, { topics: [] }))
    expect(c.finalizedFeatures).toEqual(new Map([['transaction.version', 2], ['metadata.version', 27]]))
  })

  it('ignores the list when the features epoch is unknown (-1), and reports none when the broker sends none', async () => {
    const unknownEpoch = await connectTo({ ...VERSIONS, finalizedFeaturesEpoch: -1n, finalizedFeatures: [{ name: 'transaction.version', minVersionLevel: 1, maxVersionLevel: 2 }] })
    await firstValueFrom(unknownEpoch.request(MetadataApi, { topics: [] }))
    expect(unknownEpoch.finalizedFeatures).toEqual(new Map())
    unknownEpoch.close()
    await broker!.close()

    const none = await connectTo(VERSIONS)
    await firstValueFrom(none.request(MetadataApi, { topics: [] }))
    expect(none.finalizedFeatures).toEqual(new Map())
  })
})
