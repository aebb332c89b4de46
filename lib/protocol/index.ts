/**
 * `rxkafka/protocol`: the protocol layer, for advanced use (admin tools, test
 * brokers): every generated API, primitives, version negotiation, record
 * batches, codecs and error codes. Pure: bytes in, typed messages out; no I/O.
 * A separate entry point so that `import 'rxkafka'` does not load every
 * generated message module.
 *
 * @example
 * ```ts
 * import { MetadataApi, Reader, Writer, chooseVersion } from 'rxkafka/protocol'
 * const version = chooseVersion(MetadataApi, { minVersion: 0, maxVersion: 12 })
 * const writer = new Writer()
 * MetadataApi.encodeRequest(writer, version, { topics: null })
 * ```
 *
 * @module rxkafka/protocol
 */
export * from './api.js'
export * from './primitives.js'
export * from '../errors/protocol-errors.js'
export * from '../errors/broker-error.js'
export { RxKafkaError } from '../errors/rxkafka-error.js'
export type { ErrorLocation, RxKafkaErrorOptions } from '../errors/rxkafka-error.js'
export * from './error-codes.js'
export * from './versions.js'
export * from './records/index.js'
export * from './compression/index.js'
export * from './messages/index.js'
