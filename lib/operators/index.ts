/**
 * Generic pipeable operators of rxkafka. They depend only on rxjs and the
 * shared error classes, so the connection, producer and consumer layers build
 * on them, and users can use them on any stream.
 */
export { OperatorOptionError } from '../errors/index.js'
export { retryBackoff, isRetriableByDefault } from './retryBackoff.js'
export { backoffDelay, validateBackoffOptions, DEFAULT_BACKOFF } from '../kit/backoff.js'
export type { RetryBackoffConfig } from './retryBackoff.js'
export type { BackoffOptions } from '../kit/backoff.js'
export { circuitBreaker, CircuitBreaker, CircuitBreakerState, DEFAULT_CIRCUIT_BREAKER } from './circuitBreaker.js'
export { CircuitOpenError } from '../errors/index.js'
export type { CircuitState, CircuitBreakerStateOptions, CircuitBreakerOptions, CircuitBreakerOperatorOptions } from './circuitBreaker.js'
export type { CircuitOpenErrorOptions } from '../errors/index.js'
export { batch } from './batch.js'
export type { BatchConfig } from './batch.js'
export { maxMessageAge } from './maxMessageAge.js'
export { StaleMessageError } from '../errors/index.js'
export type { MaxAge, MaxMessageAgeOptions, TimestampedMessage } from './maxMessageAge.js'
export { handleAndDone } from './handleAndDone.js'
export type { Doneable } from './handleAndDone.js'
export { processInOrder } from './processInOrder.js'
export { processConcurrently } from './processConcurrently.js'
export type { ProcessConcurrentlyOptions } from './processConcurrently.js'
