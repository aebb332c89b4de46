import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'
import { firstValueFrom } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { BrokerConnection, type ConnectionOptions } from '../../lib/connection/broker-connection.js'
import { AuthenticationError } from '../../lib/errors/index.js'
import { ApiVersionsApi } from '../../lib/protocol/messages/ApiVersions.js'
import { MetadataApi, type MetadataResponse } from '../../lib/protocol/messages/Metadata.js'
import type { SaslAuthenticateRequest } from '../../lib/protocol/messages/SaslAuthenticate.js'
import { SaslAuthenticateApi } from '../../lib/protocol/messages/SaslAuthenticate.js'
import type { SaslHandshakeRequest } from '../../lib/protocol/messages/SaslHandshake.js'
import { SaslHandshakeApi } from '../../lib/protocol/messages/SaslHandshake.js'
import { apiVersionsAnswer, startFakeBroker, type FakeBroker, type FakeRequest } from '../support/fake-broker.js'

const METADATA: MetadataResponse = { brokers: [], topics: [], clusterId: 'fake', controllerId: 1 }
const VERSIONS = { [ApiVersionsApi.apiKey]: 3, [MetadataApi.apiKey]: 12, [SaslHandshakeApi.apiKey]: 1, [SaslAuthenticateApi.apiKey]: 2 }

/** The server side of SCRAM (RFC 5802), enough to check a client's proof for real. */
function scramServer(digest: 'sha256' | 'sha512', password: string, iterations = 4096) {
  const salt = randomBytes(16)
  const serverNonce = randomBytes(12).toString('base64')
  let clientFirstBare = ''
  let serverFirst = ''
  return (message: string): { reply: string; ok: boolean } => {
    if (message.startsWith('n,,')) {
      clientFirstBare = message.slice(3)
      const clientNonce = /r=([^,]+)/.exec(clientFirstBare)![1]
      serverFirst = `r=${clientNonce}${serverNonce},s=${salt.toString('base64')},i=${iterations}`
      return { reply: serverFirst, ok: true }
    }
    const withoutProof = message.slice(0, message.lastIndexOf(',p='))
    const proof = Buffer.from(message.slice(message.lastIndexOf(',p=') + 3), 'base64')
    const salted = pbkdf2Sync(password, salt, iterations, digest === 'sha256' ? 32 : 64, digest)
    const clientKey = createHmac(digest, salted).update('Client Key').digest()
    const storedKey = createHash(digest).update(clientKey).digest()
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`
    const signature = createHmac(digest, storedKey).update(authMessage).digest()
    const recovered = Buffer.from(proof.map((b, i) => b ^ signature[i]!))
    if (!createHash(digest).update(recovered).digest().equals(storedKey)) return { reply: 'e=invalid-proof', ok: false }
    const serverKey = createHmac(digest, salted).update('Server Key').digest()
    return { reply: `v=${createHmac(digest, serverKey).update(authMessage).digest('base64')}`, ok: true }
  }
}

let broker: FakeBroker | undefined
let connection: BrokerConnection | undefined

afterEach(async () => {
  connection?.close()
  connection = undefined
  await broker?.close()
  broker = undefined
})

async function saslBroker(
  mechanisms: string[],
  authenticate: (bytes: Buffer, request: FakeRequest) => { reply: Buffer; errorCode?: number; sessionLifetimeMs?: bigint },
): Promise<FakeBroker> {
  return startFakeBroker((request) => {
    switch (request.apiKey) {
      case ApiVersionsApi.apiKey:
        return apiVersionsAnswer(VERSIONS)
      case SaslHandshakeApi.apiKey: {
        const { mechanism } = request.body as SaslHandshakeRequest
        return { errorCode: mechanisms.includes(mechanism) ? 0 : 33, mechanisms }
      }
      case SaslAuthenticateApi.apiKey: {
        const answer = authenticate((request.body as SaslAuthenticateRequest).authBytes, request)
        return {
          errorCode: answer.errorCode ?? 0,
          errorMessage: answer.errorCode ? 'Authentication failed: invalid credentials' : null,
          authBytes: answer.reply,
          sessionLifetimeMs: answer.sessionLifetimeMs ?? 0n,
        }
      }
      default:
        return METADATA
    }
  })
}

function connect(port: number, options: Partial<ConnectionOptions>): BrokerConnection {
  connection = new BrokerConnection({ host: '127.0.0.1', port, nodeId: 1 }, { clientId: 'spec', ...options })
  return connection
}

describe('SASL on a connection', () => {
  it('authenticates with SCRAM-SHA-512 (the server checks the proof, we check its signature), then serves requests', async () => {
    const step = scramServer('sha512', 's3cret')
    broker = await saslBroker(['SCRAM-SHA-512'], (bytes) => {
      const { reply, ok } = step(bytes.toString())
      return { reply: Buffer.from(reply), errorCode: ok ? 0 : 58 }
    })
    const conn = connect(broker.port, { sasl: { mechanism: 'SCRAM-SHA-512', username: 'app', password: 's3cret' } })
    const answer = await firstValueFrom(conn.request(MetadataApi, { topics: [] }))
    expect(answer.clusterId).toBe('fake')
    expect(broker.requests.map((r) => r.apiKey)).toEqual([18, 17, 36, 36, 3])
  })

  it('fails with a non-retriable AuthenticationError on a wrong password, without the password in it', async () => {
    const step = scramServer('sha256', 'right-password')
    broker = await saslBroker(['SCRAM-SHA-256'], (bytes) => {
      const { reply, ok } = step(bytes.toString())
      return { reply: ok ? Buffer.from(reply) : Buffer.alloc(0), errorCode: ok ? 0 : 58 }
    })
    const conn = connect(broker.port, { sasl: { mechanism: 'SCRAM-SHA-256', username: 'app', password: 'wrong-password' } })
    const error = await firstValueFrom(conn.request(MetadataApi, { topics: [] })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthenticationError)
    expect((error as AuthenticationError).retriable).toBe(false)
    expect(JSON.stringify({ m: (error as Error).message, s: conn.getStats() })).not.toContain('wrong-password')
  })

  it('sends PLAIN credentials as RFC 4616 says', async () => {
    let seen = ''
    broker = await saslBroker(['PLAIN'], (bytes) => {
      seen = bytes.toString()
      return { reply: Buffer.alloc(0) }
    })
    const conn = connect(broker.port, { sasl: { mechanism: 'PLAIN', username: 'alice', password: 'pw' } })
    await firstValueFrom(conn.request(MetadataApi, { topics: [] }))
    expect(seen).toBe('\u0000alice\u0000pw')
  })

  it('sends an OAUTHBEARER token with its extensions', async () => {
    let seen = ''
    broker = await saslBroker(['OAUTHBEARER'], (bytes) => {
      seen = bytes.toString()
      return { reply: Buffer.alloc(0) }
    })
    const conn = connect(broker.port, {
      sasl: { mechanism: 'OAUTHBEARER', token: async () => ({ value: 'jwt.token.here', extensions: { tenant: 'blue' } }) },
    })
    await firstValueFrom(conn.request(MetadataApi, { topics: [] }))
    expect(seen).toBe('n,,\u0001auth=Bearer jwt.token.here\u0001tenant=blue\u0001\u0001')
  })

  it('names the mechanisms the broker offers when ours is not enabled', async () => {
    broker = await saslBroker(['SCRAM-SHA-256', 'PLAIN'], () => ({ reply: Buffer.alloc(0) }))
    const conn = connect(broker.port, { sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' } })
    const error = await firstValueFrom(conn.request(MetadataApi, { topics: [] })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthenticationError)
    expect((error as AuthenticationError).hint).toContain('SCRAM-SHA-256, PLAIN')
  })

  it('re-authenticates before the session the broker granted expires (KIP-368)', async () => {
    let exchanges = 0
    broker = await saslBroker(['PLAIN'], () => {
      exchanges++
      return { reply: Buffer.alloc(0), sessionLifetimeMs: 200n }
    })
    const conn = connect(broker.port, { sasl: { mechanism: 'PLAIN', username: 'u', password: 'p' } })
    await firstValueFrom(conn.request(MetadataApi, { topics: [] }))
    expect(exchanges).toBe(1)
    for (let i = 0; i < 100 && exchanges < 3; i++) {
      await new Promise((r) => setTimeout(r, 20))
      await firstValueFrom(conn.request(MetadataApi, { topics: [] }))
    }
    expect(exchanges).toBeGreaterThanOrEqual(3)
    // every re-authentication happened on the same socket
    expect(new Set(broker.requests.map((r) => r.connection)).size).toBe(1)
  })
})
