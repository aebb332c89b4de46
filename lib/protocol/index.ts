/**
 * The protocol layer, for advanced use (admin tools, test brokers): every
 * generated API, primitives, record batches, codecs and error codes. Pure:
 * bytes in, typed messages out; no I/O.
 */
export * from './api.js'
export * from './primitives.js'
export * from './errors.js'
export * from './error-codes.js'
export * from './broker-error.js'
export * from './versions.js'
export * from './records/index.js'
export * from './compression/index.js'
export * from './messages/index.js'
