/**
 * A port that accepts the connection but never answers (a server that waits
 * for the client to speak first) fails within connectTimeoutMs, not the longer
 * request timeout, with a hint that it may not be a Kafka port.
 */
import * as net from 'node:net'
import { firstValueFrom } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { BrokerConnection } from '../../lib/connection/broker-connection.js'
import { ConnectionError, RxKafkaError } from '../../lib/errors/index.js'
import { createKafka } from '../../lib/kafka.js'
import { silentLogger } from '../../lib/logger.js'
import { MetadataApi } from '../../lib/protocol/messages/Metadata.js'

let server: net.Server | undefined
const accepted = new Set<net.Socket>()

afterEach(async () => {
  for (const s of accepted) s.destroy()
  accepted.clear()
  if (server !== undefined) await new Promise((r) => server!.close(r))
  server = undefined
})

/** Accepts every connection, reads what comes, and never writes a byte. */
async function silentServer(): Promise<number> {
  server = net.createServer((socket) => {
    accepted.add(socket)
    socket.on('error', () => undefined)
    socket.resume()
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  return (server.address() as net.AddressInfo).port
}

describe('a port that accepts but never answers', () => {
  it('fails the waiting request after connectTimeoutMs, saying it may not be a Kafka port', async () => {
    const port = await silentServer()
    const connection = new BrokerConnection({ host: '127.0.0.1', port, nodeId: -1 }, { clientId: 'spec', connectTimeoutMs: 500, requestTimeoutMs: 30_000 })
    const started = Date.now()
    try {
      const error = await firstValueFrom(connection.request(MetadataApi, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })).then(
        () => undefined,
        (e: unknown) => e,
      )
      const elapsed = Date.now() - started
      expect(error).toBeInstanceOf(ConnectionError)
      expect((error as ConnectionError).message).toMatch(/did not answer ApiVersions within 500 ms/)
      expect((error as ConnectionError).hint).toMatch(/may not be a Kafka port/)
      expect((error as ConnectionError).broker).toBe(`127.0.0.1:${port}`)
      // Far below the 30 s request timeout that used to decide; generous for a loaded machine.
      expect(elapsed).toBeGreaterThanOrEqual(450)
      expect(elapsed).toBeLessThan(15_000)
      expect(connection.state).toBe('backoff')
      expect(accepted.size).toBe(1)
      // The socket was given up: the server sees it closed.
      await new Promise<void>((resolve) => {
        const socket = [...accepted][0]!
        if (socket.destroyed || socket.readableEnded) resolve()
        else socket.once('close', () => resolve())
      })
    } finally {
      connection.close()
    }
  })

  it('with the default settings, a client says so in about 10 s, well before the 30 s request timeout', async () => {
    const port = await silentServer()
    const kafka = createKafka({ brokers: [`127.0.0.1:${port}`], logger: silentLogger })
    const started = Date.now()
    try {
      const error = await kafka.send('orders', { value: 'x' }).then(
        () => undefined,
        (e: unknown) => e,
      )
      const elapsed = Date.now() - started
      expect(error).toBeInstanceOf(RxKafkaError)
      expect((error as RxKafkaError).message).toMatch(/may not be a Kafka port/)
      expect(elapsed).toBeGreaterThanOrEqual(9_000)
      expect(elapsed).toBeLessThan(25_000)
    } finally {
      await kafka.close()
    }
  })
})
