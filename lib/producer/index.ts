/**
 * The producer: `produceTo(topic)`, `produce()`, `send()`, their options,
 * messages, results, errors and diagnostics.
 */
export { produceTo, produce } from './produce-to.js'
export { send } from './send.js'
export { murmur2, murmur2Partition, toPositive } from '../kit/murmur2.js'
export { producerDiagnostics } from './diagnostics.js'
export { flushProducers } from './flush.js'
export type {
  BreakerSnapshot,
  ProducerBrokerDiagnostics,
  ProducerDiagnostics,
  ProducerOpenBatchDiagnostics,
  ProducerPartitionDiagnostics,
  ProducerTopicDiagnostics,
} from './diagnostics.js'
export { BufferFullError, DeliveryTimeoutError, InvalidPartitionError, ProducerDeliveryError, ProducerInputError } from '../errors/index.js'
export type { Acks, ProducerCircuitBreakerOptions, ProducerOptions, ProducerOptionsWithClient, ProducerSettings, RequiredSerializers, Serializer } from './options.js'
export type { PartitionerChoice, PartitionerFunction, PartitionerInput } from './partitioners.js'
export type {
  ProduceExchange,
  ProducerBatchLife,
  ProducerHeader,
  ProducerHeaders,
  ProducerMessage,
  ProducerResult,
  TopicProducerMessage,
} from './types.js'
