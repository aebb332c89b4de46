/**
 * Generic pipeable operators of rxkafka. They depend only on rxjs, the shared
 * error classes and the kit, so the producer and consumer layers build on
 * them, and users can use them on any stream. (The operators that mark
 * consumer messages done live with the consumer, which owns `Doneable`.)
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
