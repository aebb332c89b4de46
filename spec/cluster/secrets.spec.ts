/**
 * Logging the client never leaks a secret: `util.inspect` (so `console.log`)
 * and `JSON.stringify` of the client, its cluster and the config it keeps show
 * no SASL password, no OAUTHBEARER token and no TLS private key, however deep
 * they look, while the connections are up and authenticated.
 */
import { Console } from 'node:console'
import { PassThrough } from 'node:stream'
import { inspect } from 'node:util'
import { asyncScheduler, firstValueFrom } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { BrokerConnection } from '../../lib/connection/broker-connection.js'
import type { ConnectionOptions } from '../../lib/connection/broker-transport.js'
import { createKafka, type Kafka, type KafkaConfig } from '../../lib/kafka.js'
import { silentLogger } from '../../lib/logger.js'
import { ApiVersionsApi } from '../../lib/protocol/messages/ApiVersions.js'
import { MetadataApi } from '../../lib/protocol/messages/Metadata.js'
import { SaslAuthenticateApi } from '../../lib/protocol/messages/SaslAuthenticate.js'
import { SaslHandshakeApi } from '../../lib/protocol/messages/SaslHandshake.js'
import { apiVersionsAnswer, startFakeBroker, type FakeBroker } from '../support/fake-broker.js'
import { startTlsProxy, TLS_CERT, TLS_KEY, type TlsProxy } from '../support/tls-proxy.js'

const cert = TLS_CERT
const key = TLS_KEY

const PASSWORD = 'hunter2-do-not-print'
const TOKEN = 'eyJ-oauth-token-do-not-print'
const PASSPHRASE = 'passphrase-do-not-print'

let broker: FakeBroker | undefined
let kafka: Kafka | undefined
let proxy: TlsProxy | undefined

afterEach(async () => {
  await kafka?.close()
  kafka = undefined
  await proxy?.close()
  proxy = undefined
  await broker?.close()
  broker = undefined
})

/** A broker that takes any SASL credentials and answers Metadata with itself. */
async function saslBroker(mechanism: string): Promise<FakeBroker> {
  const started = await startFakeBroker((request) => {
    switch (request.apiKey) {
      case ApiVersionsApi.apiKey:
        return apiVersionsAnswer({ [ApiVersionsApi.apiKey]: 3, [MetadataApi.apiKey]: 12, [SaslHandshakeApi.apiKey]: 1, [SaslAuthenticateApi.apiKey]: 2 })
      case SaslHandshakeApi.apiKey:
        return { errorCode: 0, mechanisms: [mechanism] }
      case SaslAuthenticateApi.apiKey:
        return { errorCode: 0, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n }
      case MetadataApi.apiKey:
        return { brokers: [], topics: [], clusterId: 'fake', controllerId: 1 }
    }
    return undefined
  })
  return started
}

/** Every way a user might print the client, its cluster, and the config the cluster keeps. */
function everyRendering(client: Kafka): string[] {
  const cluster = client.cluster as unknown as Record<string, unknown>
  const out = new PassThrough()
  let logged = ''
  out.on('data', (chunk: Buffer) => (logged += chunk.toString()))
  const console = new Console({ stdout: out, stderr: out })
  console.log(client)
  console.log(client.cluster)
  console.log('%o', client)
  console.dir(client, { depth: null })
  const deep = { depth: Infinity, showHidden: true, getters: true } as const
  return [
    inspect(client),
    inspect(client, deep),
    inspect(client, { ...deep, customInspect: false }),
    inspect(client.cluster, { ...deep, customInspect: false }),
    inspect(cluster['config'], deep),
    JSON.stringify(client),
    JSON.stringify(client.cluster),
    JSON.stringify(cluster['config']),
    JSON.stringify(client.diagnostics(), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    logged,
  ]
}

async function connectAndRender(config: KafkaConfig): Promise<string[]> {
  kafka = createKafka({ ...config, logger: silentLogger })
  const subscription = kafka.metadata$.subscribe()
  try {
    await firstValueFrom(kafka.metadata$)
    const connections = kafka.diagnostics().cluster!.connections
    expect(connections.map((c) => c.state)).toContain('ready') // authenticated, socket open: the secrets are in use
    return everyRendering(kafka)
  } finally {
    subscription.unsubscribe()
  }
}

describe('printing a client shows no secret', () => {
  it('SASL (PLAIN; SCRAM keeps its password the same way): no password', async () => {
    broker = await saslBroker('PLAIN')
    const texts = await connectAndRender({ brokers: [`127.0.0.1:${broker.port}`], sasl: { mechanism: 'PLAIN', username: 'app', password: PASSWORD } })
    for (const text of texts) expect(text).not.toContain(PASSWORD)
    // What is not secret is still there to help debugging.
    expect(texts[0]).toContain("username: 'app'")
    expect(texts[0]).toContain('[redacted]')
    expect(JSON.parse(texts[6]!)).toMatchObject({ brokers: [`127.0.0.1:${broker.port}`], sasl: { mechanism: 'PLAIN', password: '[redacted]' } })
  })

  it('OAUTHBEARER: no token', async () => {
    broker = await saslBroker('OAUTHBEARER')
    const texts = await connectAndRender({
      brokers: [`127.0.0.1:${broker.port}`],
      sasl: { mechanism: 'OAUTHBEARER', token: async () => ({ value: TOKEN, extensions: { traceId: 'x' } }) },
    })
    for (const text of texts) expect(text).not.toContain(TOKEN)
  })

  it('TLS: no private key and no passphrase, also in the sockets it keeps', async () => {
    broker = await saslBroker('PLAIN')
    proxy = await startTlsProxy('127.0.0.1', broker.port)
    const port = proxy.port
    const texts = await connectAndRender({
      brokers: [`localhost:${port}`],
      tls: { ca: cert, cert, key, passphrase: PASSPHRASE },
      sasl: { mechanism: 'PLAIN', username: 'app', password: PASSWORD },
    })
    const keyLines = key.split('\n').filter((line) => line.length > 40) // the base64 body of the key
    expect(keyLines.length).toBeGreaterThan(10)
    for (const text of texts) {
      expect(text).not.toContain(PASSWORD)
      expect(text).not.toContain(PASSPHRASE)
      for (const line of keyLines) expect(text).not.toContain(line)
    }
  })

  it('what is code is named, not shown: connect, scheduler and random; compatibility is shown; the transport still gets the secret', async () => {
    broker = await saslBroker('PLAIN')
    const given: ConnectionOptions[] = []
    const texts = await connectAndRender({
      brokers: [`127.0.0.1:${broker.port}`],
      sasl: { mechanism: 'PLAIN', username: 'app', password: PASSWORD },
      compatibility: { nullsInNonNullableFields: true },
      scheduler: asyncScheduler,
      random: () => 0.5,
      connect: (address, options) => {
        given.push(options)
        return new BrokerConnection(address, options)
      },
    })
    for (const text of texts) expect(text).not.toContain(PASSWORD)
    expect(JSON.parse(texts[6]!)).toMatchObject({
      compatibility: { nullsInNonNullableFields: true },
      scheduler: 'AsyncScheduler',
      random: 'custom',
      connect: 'custom',
      sasl: { mechanism: 'PLAIN', username: 'app', password: '[redacted]' },
    })
    // The redaction is of what is shown: the factory that makes the transports is given the real password.
    expect(given.length).toBeGreaterThan(0)
    expect(given[0]!.sasl).toMatchObject({ mechanism: 'PLAIN', password: PASSWORD })
  })

  it('a TestScheduler with actions pending prints as its name (its actions point back at it, which JSON.stringify cannot follow)', () => {
    const scheduler = new TestScheduler(() => undefined)
    const cluster = new KafkaCluster({ brokers: ['127.0.0.1:9'], scheduler, logger: silentLogger })
    scheduler.schedule(() => undefined, 1_000)
    scheduler.schedule(() => undefined, 2_000)
    expect(() => JSON.stringify(scheduler)).toThrow(/circular/)
    expect(JSON.parse(JSON.stringify(cluster))).toMatchObject({ brokers: ['127.0.0.1:9'], scheduler: 'TestScheduler', users: 0, closed: false })
    expect(inspect(cluster)).toContain("scheduler: 'TestScheduler'")
    expect(inspect(cluster)).not.toContain('VirtualAction')
  })
})
