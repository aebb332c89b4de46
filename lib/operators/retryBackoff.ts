/**
 * `retryBackoff`: resubscribe after an error, waiting {@link backoffDelay} longer after each failure in a row.
 */
import { asyncScheduler, retry, timer } from 'rxjs'
import type { MonoTypeOperatorFunction, Observable, SchedulerLike } from 'rxjs'
import { RxKafkaError } from '../errors/index.js'
import { backoffDelay, validateBackoffOptions, type BackoffOptions } from '../kit/backoff.js'
import { checkCount, checkFunction } from '../kit/options.js'

/**
 * Whether an error is worth retrying by default: rxkafka errors say so
 * themselves (`retriable`); any other error (a socket reset, a timeout from a
 * user's Observable) is retried.
 *
 * @example
 * ```ts
 * import { isRetriableByDefault, retryBackoff } from 'rxkafka'
 * source$.pipe(retryBackoff({ retryable: e => isRetriableByDefault(e) && !(e instanceof TypeError) }))
 * ```
 */
export function isRetriableByDefault(error: unknown): boolean {
  return error instanceof RxKafkaError ? error.retriable : true
}

/** Options of {@link retryBackoff}. */
export interface RetryBackoffConfig extends BackoffOptions {
  /** How many retries in a row before the error passes through. Default Infinity. */
  retries?: number
  /**
   * Whether to retry `error`; `attempt` is the retry that would be made (0 for
   * the first). A `false` lets the error pass through at once. A throw errors
   * the stream with what was thrown. Default: {@link isRetriableByDefault}.
   */
  retryable?: (error: unknown, attempt: number) => boolean
  /** Called just before waiting for a retry, e.g. to log or refresh metadata. A throw errors the stream. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void
  /**
   * Whether a value from the source resets the attempt counter (so the next
   * failure waits `initialMs` again and has the full `retries` budget). Default true.
   */
  resetOnSuccess?: boolean
  /** Source of randomness for jitter, returning `[0, 1)`. Default `Math.random`. */
  random?: () => number
  /** Scheduler of the delays. Default `asyncScheduler`. */
  scheduler?: SchedulerLike
}

/**
 * Resubscribes to the source after an error, waiting longer after each failure
 * in a row (exponential backoff with jitter, see {@link backoffDelay}).
 *
 * ```
 * retryBackoff({ retries: 2, initialMs: 10, factor: 2, jitter: 0 })
 *
 * source subscriptions:  ^--!                            (each one fails after 3 ms)
 *                        |  |<-- 10 -->^--!
 *                        |  |             |<----- 20 ----->^--!
 * output:                ------------------------------------#   (3 attempts, then the error)
 *
 * source:                --a--#          (emits, then fails)
 * output:                --a-------------a-------------a-- ...    (the value resets the counter:
 *                                                           every wait is 10 ms again)
 * ```
 *
 * The counter is reset by each value the source emits (unless
 * `resetOnSuccess: false`): a stream that works for a while and then fails
 * starts again at `initialMs` with its full `retries` budget, because the
 * failure is a new incident, not a continuation of the last one.
 *
 * @example
 * ```ts
 * import { retryBackoff } from 'rxkafka'
 * fetchMetadata$.pipe(
 *   retryBackoff({ retries: 5, initialMs: 100, maxMs: 2_000, retryable: e => !(e instanceof AuthError) }),
 * ).subscribe(view => console.log(view))
 * ```
 */
export function retryBackoff<T>(): MonoTypeOperatorFunction<T>
export function retryBackoff<T>(retries: number): MonoTypeOperatorFunction<T>
export function retryBackoff<T>(config: RetryBackoffConfig): MonoTypeOperatorFunction<T>
export function retryBackoff<T>(configOrRetries: RetryBackoffConfig | number = {}): MonoTypeOperatorFunction<T> {
  const config: RetryBackoffConfig = typeof configOrRetries === 'number' ? { retries: configOrRetries } : configOrRetries
  validateBackoffOptions(config, 'retryBackoff')
  checkCount('retryBackoff', 'retries', config.retries, 0)
  checkFunction('retryBackoff', 'retryable', config.retryable)
  checkFunction('retryBackoff', 'onRetry', config.onRetry)
  checkFunction('retryBackoff', 'random', config.random)
  const retryable = config.retryable ?? isRetriableByDefault
  const random = config.random ?? Math.random
  const scheduler = config.scheduler ?? asyncScheduler
  const backoff: BackoffOptions = {
    initialMs: config.initialMs, maxMs: config.maxMs, factor: config.factor, jitter: config.jitter,
  }
  return (source: Observable<T>) => source.pipe(retry({
    count: config.retries ?? Infinity,
    resetOnSuccess: config.resetOnSuccess ?? true,
    delay: (error: unknown, retryCount: number) => {
      const attempt = retryCount - 1
      if (!retryable(error, attempt)) throw error
      const delayMs = backoffDelay(attempt, backoff, random)
      config.onRetry?.(error, attempt, delayMs)
      return timer(delayMs, scheduler)
    },
  }))
}
