/**
 * A one-shot raw Kafka request over a fresh TCP connection, enough to ask a
 * (mock) broker what it advertises without depending on the client layers
 * under test: the mock cluster uses it to learn the API versions it
 * implements, and specs use it to observe injected faults from outside.
 */
import { connect } from 'node:net'
import { Reader, Writer } from '../protocol/primitives.js'
import { MockClusterError } from '../errors/index.js'

/** One row of an ApiVersions answer: the version range a broker accepts for one API. */
export interface ApiVersionRange {
  /** The API key, such as 0 for Produce. */
  apiKey: number
  /** The lowest version advertised. */
  minVersion: number
  /** The highest version advertised. */
  maxVersion: number
}

/** A decoded ApiVersions v0 response. */
export interface ApiVersionsAnswer {
  /** Top-level error code; 0 when the broker answered normally. */
  errorCode: number
  /** The version range of every API the broker advertised. */
  apiVersions: ApiVersionRange[]
}

/** Options for {@link sendRawRequest}. */
export interface RawRequestOptions {
  /** Give up (and reject) after this long. Default 30 000 ms. */
  timeoutMs?: number
  /** Request header client id. Default `rxkafka-mock-probe`. */
  clientId?: string
  /** Request header correlation id. Default 1. */
  correlationId?: number
}

const API_VERSIONS_KEY = 18

/**
 * Sends one request with a v1 request header (apiKey, version, correlation
 * id, client id) on a new connection and resolves with the response bytes
 * after the 4-byte correlation id (a v0 response header). Only for APIs and
 * versions whose response header is v0, which is every non-flexible version
 * and ApiVersions at any version.
 *
 * @example
 * ```ts
 * import { sendRawRequest } from 'rxkafka/testing'
 * const body = await sendRawRequest('127.0.0.1', cluster.brokers[0].port, 18, 0, Buffer.alloc(0))
 * console.log(body.readInt16BE(0)) // ApiVersions error code
 * ```
 */
export function sendRawRequest(
  host: string,
  port: number,
  apiKey: number,
  apiVersion: number,
  body: Uint8Array,
  options: RawRequestOptions = {},
): Promise<Buffer> {
  const correlationId = options.correlationId ?? 1
  const writer = new Writer(64 + body.length)
  const sizeAt = writer.reserve(4)
  writer.int16(apiKey)
  writer.int16(apiVersion)
  writer.int32(correlationId)
  writer.string(options.clientId ?? 'rxkafka-mock-probe')
  writer.raw(body)
  const frame = writer.finish()
  frame.writeInt32BE(frame.length - 4, sizeAt)

  return new Promise((resolve, reject) => {
    const where = { broker: `${host}:${port}`, api: `apiKey ${apiKey} v${apiVersion}` }
    const socket = connect({ host, port })
    let received: Buffer = Buffer.alloc(0)
    const fail = (what: string, cause?: unknown): void => {
      socket.destroy()
      reject(new MockClusterError('MOCK_CLUSTER_PROBE', what, { ...where, cause, retriable: true }))
    }
    socket.setTimeout(options.timeoutMs ?? 30_000, () => fail('no answer in time'))
    socket.on('error', (cause) => fail(`connection failed: ${cause.message}`, cause))
    socket.on('end', () => fail('connection closed before a whole answer arrived'))
    socket.on('connect', () => socket.write(frame))
    socket.on('data', (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk])
      if (received.length < 4) return
      const size = received.readInt32BE(0)
      if (received.length < 4 + size) return
      socket.removeAllListeners('end')
      socket.end()
      const answeredId = received.readInt32BE(4)
      if (answeredId !== correlationId) {
        fail(`answer carries correlation id ${answeredId}, expected ${correlationId}`)
        return
      }
      resolve(received.subarray(8, 4 + size))
    })
  })
}

/**
 * Asks one broker which API versions it accepts (ApiVersions v0).
 *
 * @example
 * ```ts
 * import { fetchApiVersions } from 'rxkafka/testing'
 * const { apiVersions } = await fetchApiVersions('127.0.0.1', cluster.brokers[0].port)
 * const produce = apiVersions.find(v => v.apiKey === 0)
 * ```
 */
export async function fetchApiVersions(host: string, port: number, options: RawRequestOptions = {}): Promise<ApiVersionsAnswer> {
  const body = await sendRawRequest(host, port, API_VERSIONS_KEY, 0, Buffer.alloc(0), options)
  const reader = new Reader(body)
  const errorCode = reader.int16()
  const count = reader.arrayLength(6) ?? 0
  const apiVersions: ApiVersionRange[] = []
  for (let i = 0; i < count; i++) {
    apiVersions.push({ apiKey: reader.int16(), minVersion: reader.int16(), maxVersion: reader.int16() })
  }
  return { errorCode, apiVersions }
}
