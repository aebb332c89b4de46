/**
 * Below the seam, time is the injected scheduler's: a BrokerConnection's
 * request timeout, the bound on the broker's first answer, idle close and
 * reconnect backoff run on it, so a virtual
 * clock drives them without waiting in real time. (The socket itself is real:
 * a small scripted broker on a loopback port.)
 */
import { firstValueFrom, VirtualTimeScheduler } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { BrokerConnection } from '../../lib/connection/broker-connection.js'
import { ConnectionError, RequestTimeoutError } from '../../lib/errors/index.js'
import { ApiVersionsApi } from '../../lib/protocol/messages/ApiVersions.js'
import { MetadataApi, type MetadataResponse } from '../../lib/protocol/messages/Metadata.js'
import { apiVersionsAnswer, startFakeBroker, type FakeBroker } from '../support/fake-broker.js'
import { waitFor } from '../consumer/consumer-helpers.js'

const METADATA: MetadataResponse = { brokers: [], topics: [], clusterId: 'fake', controllerId: 1 }

let broker: FakeBroker | undefined
let connection: BrokerConnection | undefined

afterEach(async () => {
  connection?.close()
  connection = undefined
  await broker?.close()
  broker = undefined
})

/** Runs every action due within `ms` of virtual time. */
function advance(scheduler: VirtualTimeScheduler, ms: number): void {
  scheduler.maxFrames = scheduler.frame + ms
  scheduler.flush()
  scheduler.frame = scheduler.maxFrames
}

describe('BrokerConnection on an injected scheduler', () => {
  it('times a request out after timeoutMs of the scheduler, not of the wall clock', async () => {
    // Answers ApiVersions, never Metadata.
    broker = await startFakeBroker((request) => (request.apiKey === ApiVersionsApi.apiKey ? apiVersionsAnswer({ [ApiVersionsApi.apiKey]: 3, [MetadataApi.apiKey]: 12 }) : undefined))
    const scheduler = new VirtualTimeScheduler()
    connection = new BrokerConnection({ host: '127.0.0.1', port: broker.port, nodeId: 1 }, { clientId: 'spec', scheduler, requestTimeoutMs: 60_000 })
    const outcome: unknown[] = []
    connection.request(MetadataApi, { topics: [] }).subscribe({ next: (v) => outcome.push(v), error: (e: unknown) => outcome.push(e) })
    await waitFor('the Metadata request to reach the broker', () => broker!.requests.some((r) => r.apiKey === MetadataApi.apiKey), 10_000)
    advance(scheduler, 59_999)
    expect(outcome).toEqual([])
    advance(scheduler, 1)
    expect(outcome).toHaveLength(1)
    expect(outcome[0]).toBeInstanceOf(RequestTimeoutError)
    expect((outcome[0] as Error).message).toMatch(/no answer to Metadata within 60000 ms/)
  })

  it('gives a connected peer connectTimeoutMs of the scheduler to answer ApiVersions, then fails the connection as maybe not Kafka', async () => {
    // Takes the connection and reads every request, never answers one.
    broker = await startFakeBroker(() => undefined)
    const scheduler = new VirtualTimeScheduler()
    connection = new BrokerConnection({ host: '127.0.0.1', port: broker.port, nodeId: 1 }, { clientId: 'spec', scheduler, connectTimeoutMs: 10_000, requestTimeoutMs: 30_000 })
    const outcome: unknown[] = []
    connection.request(MetadataApi, { topics: [] }).subscribe({ next: (v) => outcome.push(v), error: (e: unknown) => outcome.push(e) })
    await waitFor('ApiVersions to reach the broker', () => broker!.requests.some((r) => r.apiKey === ApiVersionsApi.apiKey), 10_000)
    // The handshake's failure travels through promises: let them settle before looking.
    advance(scheduler, 9_999)
    await new Promise((resolve) => setImmediate(resolve))
    expect(outcome).toEqual([])
    expect(connection.state).toBe('negotiating')
    advance(scheduler, 1)
    await waitFor('the request to fail', () => outcome.length > 0, 10_000)
    expect(outcome).toHaveLength(1)
    expect(outcome[0]).toBeInstanceOf(ConnectionError)
    expect((outcome[0] as ConnectionError).message).toMatch(/did not answer ApiVersions within 10000 ms/)
    expect((outcome[0] as ConnectionError).hint).toMatch(/may not be a Kafka port/)
    expect(connection.state).toBe('backoff')
    expect(broker.requests.map((r) => r.apiKey)).toEqual([ApiVersionsApi.apiKey])
  })

  it('closes an idle socket after connectionsMaxIdleMs of the scheduler', async () => {
    broker = await startFakeBroker((request) => (request.apiKey === ApiVersionsApi.apiKey ? apiVersionsAnswer({ [ApiVersionsApi.apiKey]: 3, [MetadataApi.apiKey]: 12 }) : METADATA))
    const scheduler = new VirtualTimeScheduler()
    connection = new BrokerConnection({ host: '127.0.0.1', port: broker.port, nodeId: 1 }, { clientId: 'spec', scheduler, connectionsMaxIdleMs: 540_000 })
    await firstValueFrom(connection.request(MetadataApi, { topics: [] }))
    advance(scheduler, 539_999)
    expect(connection.state).toBe('ready')
    advance(scheduler, 1)
    expect(connection.state).toBe('idle')
  })

  it('backs off reconnects on the scheduler: refused at once while backing off, tried again once the backoff passed', async () => {
    // Port 1 on loopback: nothing listens there (a privileged port), so every connect is refused at once.
    const port = 1
    const scheduler = new VirtualTimeScheduler()
    // The jitter (up to 20% off) drawn at 0.5 takes 10% off: the first backoff is 900 ms of 1 000.
    connection = new BrokerConnection({ host: '127.0.0.1', port, nodeId: 1 }, { clientId: 'spec', scheduler, random: () => 0.5, reconnectBackoffMs: 1_000 })
    const first = await firstValueFrom(connection.request(MetadataApi, { topics: [] })).catch((e: unknown) => e)
    expect(first).toBeInstanceOf(ConnectionError)
    expect(connection.state).toBe('backoff')
    advance(scheduler, 899)
    const during = await firstValueFrom(connection.request(MetadataApi, { topics: [] })).catch((e: unknown) => e)
    // It carries the real diagnosis of the failed connect, not only "unreachable".
    expect((during as ConnectionError).message).toMatch(/broker unreachable after 1 failed connects \(last: .*(refused|ECONNREFUSED)/i)
    expect((during as ConnectionError).message).toContain((first as ConnectionError).message)
    expect((during as ConnectionError).hint).toMatch(/next attempt in 1 ms/)
    expect(connection.getStats().connects).toBe(1)
    advance(scheduler, 1)
    const after = await firstValueFrom(connection.request(MetadataApi, { topics: [] })).catch((e: unknown) => e)
    expect(after).toBeInstanceOf(ConnectionError)
    expect(connection.getStats().connects).toBe(2)
  })
})
