/** Errors of the connection layer. Each names the broker and says what to do. */
import { RxKafkaError, type RxKafkaErrorOptions } from './rxkafka-error.js'

/** The TCP/TLS connection to a broker failed, closed, or could not be made. Retriable. */
export class ConnectionError extends RxKafkaError {
  constructor(what: string, options: RxKafkaErrorOptions = {}) {
    super('CONNECTION', what, { retriable: true, ...options })
  }
}

/** No answer within the request timeout. Retriable; a late answer is dropped. */
export class RequestTimeoutError extends RxKafkaError {
  constructor(api: string, timeoutMs: number, broker: string | number) {
    super('REQUEST_TIMEOUT', `no answer to ${api} within ${timeoutMs} ms`, {
      retriable: true,
      api,
      broker,
      hint: 'The broker may be overloaded or unreachable; raise requestTimeoutMs if answers are merely slow',
    })
  }
}

/** Authentication (SASL) failed. Not retriable: the credentials or mechanism are wrong. */
export class AuthenticationError extends RxKafkaError {
  constructor(what: string, options: RxKafkaErrorOptions = {}) {
    super('AUTHENTICATION', what, { retriable: false, ...options })
  }
}

/**
 * A frame whose size prefix is negative or above `maxResponseBytes`. The usual
 * cause is not a huge answer but a peer that is not a Kafka broker, so the
 * first bytes are inspected and the likely mistake is named.
 */
export class FrameTooLargeError extends RxKafkaError {
  constructor(size: number, limit: number, firstBytes: Buffer, broker: string) {
    super('FRAME_TOO_LARGE', describe(size, limit, firstBytes), {
      retriable: false,
      broker,
      hint: hintFor(firstBytes),
    })
  }
}

function looksLikeHttp(bytes: Buffer): boolean {
  return bytes.subarray(0, 5).toString('latin1') === 'HTTP/'
}

function looksLikeTls(bytes: Buffer): boolean {
  // TLS record: content type 0x15 (alert) or 0x16 (handshake), then version 0x03 0x00..0x04.
  return bytes.length >= 3 && (bytes[0] === 0x15 || bytes[0] === 0x16) && bytes[1] === 0x03 && bytes[2]! <= 0x04
}

function describe(size: number, limit: number, firstBytes: Buffer): string {
  if (looksLikeHttp(firstBytes)) return 'the peer answered with HTTP, not the Kafka protocol'
  if (looksLikeTls(firstBytes)) return 'the peer answered with TLS, not the plaintext Kafka protocol'
  return `response frame of ${size} bytes is larger than maxResponseBytes (${limit}) or invalid`
}

function hintFor(firstBytes: Buffer): string {
  if (looksLikeHttp(firstBytes)) {
    return 'This port is an HTTP server: check the broker address and port (Kafka usually listens on 9092)'
  }
  if (looksLikeTls(firstBytes)) return 'This port expects TLS: set `tls: true` (or TLS options) in the client config'
  return 'Check that the address is a Kafka broker; raise maxResponseBytes only if responses really are this large'
}
