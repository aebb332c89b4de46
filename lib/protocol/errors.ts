/**
 * The protocol layer's error classes, as the generator's runtime module
 * (`lib/protocol/message-runtime.ts`) imports them. They live in `lib/errors/`
 * with every other error class; this module only re-exports them.
 */
export { ProtocolDecodeError, ProtocolEncodeError, RxKafkaError, UnsupportedVersionError } from '../errors/index.js'
export type { ErrorLocation, RxKafkaErrorOptions } from '../errors/index.js'
