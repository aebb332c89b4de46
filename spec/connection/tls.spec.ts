/**
 * TLS against both peers: Apache Kafka's own SSL listener (the shared cluster's,
 * with the fixture certificate) and a TLS-terminating proxy in front of the mock
 * cluster (which has no TLS of its own).
 */
import { firstValueFrom } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrokerConnection } from '../../lib/connection/broker-connection.js'
import { ConnectionError, FrameTooLargeError } from '../../lib/errors/index.js'
import { MetadataApi } from '../../lib/protocol/messages/Metadata.js'
import type { BrokerCompatibility } from '../../lib/connection/broker-compatibility.js'
import { startMockCluster, type MockCluster } from '../../lib/testing/mock-cluster.js'
import { PEERS, sharedKafka, type PeerName } from '../support/peers.js'
import { startTlsProxy, TLS_CERT, type TlsProxy } from '../support/tls-proxy.js'

const cert = TLS_CERT

let mock: MockCluster | undefined
let proxy: TlsProxy | undefined

/** The TLS port and the client compatibility setting of a peer. */
async function tlsPeer(name: PeerName): Promise<{ port: number; compatibility: BrokerCompatibility }> {
  if (name === 'kafka') return { port: Number(sharedKafka().sslBootstrap.split(':')[1]), compatibility: {} }
  return { port: await startProxy(), compatibility: mock!.clientConfig.compatibility }
}

async function startProxy(): Promise<number> {
  mock = await startMockCluster({ brokers: 1 })
  const target = mock.brokers[0]!
  proxy = await startTlsProxy(target.host, target.port)
  return proxy.port
}

afterAll(async () => {
  await proxy?.close()
  await mock?.stop()
})

describe.each(PEERS)('TLS against %s', (name) => {
  let proxyPort: number
  let compatibility: BrokerCompatibility
  beforeAll(async () => {
    ;({ port: proxyPort, compatibility } = await tlsPeer(name))
  })

  it('talks Kafka over TLS with the hostname verified against the certificate', async () => {
    const conn = new BrokerConnection({ host: 'localhost', port: proxyPort, nodeId: 1 }, { clientId: 'spec', compatibility, tls: { ca: cert } })
    try {
      const answer = await firstValueFrom(conn.request(MetadataApi, { topics: [] }))
      expect(answer.brokers.length).toBe(1)
    } finally {
      conn.close()
    }
  })

  it('refuses a certificate it cannot verify, with a hint', async () => {
    const conn = new BrokerConnection({ host: 'localhost', port: proxyPort, nodeId: 1 }, { clientId: 'spec', compatibility, tls: true })
    try {
      const error = await firstValueFrom(conn.request(MetadataApi, { topics: [] })).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConnectionError)
      expect((error as ConnectionError).hint).toMatch(/TLS handshake failed/)
    } finally {
      conn.close()
    }
  })

  it('refuses a certificate for another host name', async () => {
    // the certificate is for localhost; 127.0.0.1 is not in it
    const conn = new BrokerConnection({ host: '127.0.0.1', port: proxyPort, nodeId: 1 }, { clientId: 'spec', compatibility, tls: { ca: cert } })
    try {
      const error = await firstValueFrom(conn.request(MetadataApi, { topics: [] })).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConnectionError)
      expect(String((error as ConnectionError).cause)).toMatch(/IP: 127.0.0.1 is not in the cert|altnames/i)
    } finally {
      conn.close()
    }
  })

  it('names a TLS port when the client speaks plaintext to it', async () => {
    const conn = new BrokerConnection({ host: '127.0.0.1', port: proxyPort, nodeId: 1 }, { clientId: 'spec', compatibility })
    try {
      const error = await firstValueFrom(conn.request(MetadataApi, { topics: [] }, { timeoutMs: 5_000 })).catch((e: unknown) => e)
      // a TLS server may answer with an alert (recognised by the frame decoder) or just close
      expect(error instanceof FrameTooLargeError || error instanceof ConnectionError).toBe(true)
      expect((error as ConnectionError).hint).toMatch(/tls: true/)
    } finally {
      conn.close()
    }
  })
})
