/**
 * A tiny Kafka-protocol server for specs that need a peer behaving in ways the
 * mock cluster cannot (SASL, scripted answers). It decodes requests with our
 * generated code and answers with whatever the handler returns.
 */
import * as net from 'node:net'
import { FrameDecoder } from '../../lib/connection/frame-decoder.js'
import { API_BY_KEY } from '../../lib/protocol/messages/index.js'
import { RequestHeaderData } from '../../lib/protocol/messages/RequestHeader.js'
import { ResponseHeaderData } from '../../lib/protocol/messages/ResponseHeader.js'
import { Reader, Writer } from '../../lib/protocol/primitives.js'

export interface FakeRequest {
  apiKey: number
  version: number
  body: unknown
  connection: number
}

/** Returns the response body, or undefined to send no answer at all. */
export type FakeHandler = (request: FakeRequest) => unknown

export interface FakeBroker {
  port: number
  requests: FakeRequest[]
  close(): Promise<void>
}

export async function startFakeBroker(handler: FakeHandler): Promise<FakeBroker> {
  const requests: FakeRequest[] = []
  const sockets = new Set<net.Socket>()
  let connections = 0
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
    const connection = ++connections
    const decoder = new FrameDecoder(64 * 1024 * 1024, 'fake-client')
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk, (frame) => {
        const r = new Reader(frame)
        const apiKey = frame.readInt16BE(0)
        const version = frame.readInt16BE(2)
        const api = API_BY_KEY.get(apiKey)!
        const header = RequestHeaderData.decode(r, api.requestHeaderVersion(version))
        const request = { apiKey, version, body: api.decodeRequest(r, version), connection }
        requests.push(request)
        const response = handler(request)
        if (response === undefined) return
        const w = new Writer()
        w.reserve(4)
        ResponseHeaderData.encode(w, api.responseHeaderVersion(version), { correlationId: header.correlationId })
        api.encodeResponse(w, version, response)
        w.buffer.writeInt32BE(w.offset - 4, 0)
        socket.write(Buffer.from(w.finish()))
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** Every API of `keys` at versions 0..max (a broker that supports what we ask for). */
export function apiVersionsAnswer(keys: Record<number, number>) {
  return {
    errorCode: 0,
    apiKeys: Object.entries(keys).map(([apiKey, maxVersion]) => ({ apiKey: Number(apiKey), minVersion: 0, maxVersion })),
    throttleTimeMs: 0,
  }
}
