import { asyncScheduler, retry, timer } from 'rxjs'
import type { MonoTypeOperatorFunction, Observable, SchedulerLike } from 'rxjs'
import { RxKafkaError } from '../errors/index.js'
import { checkCount, checkFunction, checkNumber } from './options.js'
import { OperatorOptionError } from '../errors/index.js'

/** The shape of an exponential backoff; shared by {@link retryBackoff}, reconnects and producer retries. */
export interface BackoffOptions {
  /** Delay before the first retry, in ms. Default 100. */
  initialMs?: number
  /** Upper bound of any delay, in ms (jitter never pushes a delay above it). Default 10 000. */
  maxMs?: number
  /** Growth per attempt: the delay of attempt `n` is `initialMs * factor ** n` before the cap. Default 2. */
  factor?: number
  /**
   * Fraction 0..1 of the delay that is randomised downwards: the delay is drawn
   * uniformly from `[d * (1 - jitter), d]` where `d` is the capped exponential
   * delay. 0 is no jitter, 0.5 is "equal jitter", 1 is "full jitter". Default 0.2.
   */
  jitter?: number
}

/** The defaults of {@link BackoffOptions}. */
export const DEFAULT_BACKOFF: Readonly<Required<BackoffOptions>> = Object.freeze({
  initialMs: 100,
  maxMs: 10_000,
  factor: 2,
  jitter: 0.2,
})

/**
 * Throws {@link OperatorOptionError} for backoff options that cannot make a
 * delay; `operator` names the option's owner in the error.
 *
 * @example
 * ```ts
 * import { validateBackoffOptions } from 'rxkafka'
 * validateBackoffOptions({ initialMs: 50, jitter: 0.5 }, 'produceTo.retryBackoff') // ok
 * validateBackoffOptions({ jitter: 2 }, 'produceTo.retryBackoff')                  // throws OperatorOptionError
 * ```
 */
export function validateBackoffOptions(options: BackoffOptions, operator = 'backoffDelay'): void {
  checkNumber(operator, 'initialMs', options.initialMs, 0)
  checkNumber(operator, 'maxMs', options.maxMs, 0)
  checkNumber(operator, 'factor', options.factor, 1)
  checkNumber(operator, 'jitter', options.jitter, 0)
  if (options.jitter !== undefined && options.jitter > 1) {
    throw new OperatorOptionError(operator, 'jitter', `must be a fraction between 0 and 1, got ${options.jitter}`,
      'Use 0 for no jitter, 0.5 for equal jitter, 1 for full jitter')
  }
}

/**
 * The delay in ms before retry number `attempt` (0 for the first retry):
 * `min(maxMs, initialMs * factor ** attempt)`, then reduced by a random part of
 * at most `jitter` of itself, rounded to whole ms.
 *
 * Jitter only ever shortens the delay, so `maxMs` is a true bound and the
 * expected delay still grows with every attempt. Pure: pass `random` to make it
 * deterministic (it must return a number in `[0, 1)`, like `Math.random`).
 *
 * @example
 * ```ts
 * import { backoffDelay } from 'rxkafka'
 * backoffDelay(0, { initialMs: 100, jitter: 0 })         // 100
 * backoffDelay(3, { initialMs: 100, jitter: 0 })         // 800
 * backoffDelay(20, { initialMs: 100, maxMs: 5_000 })     // between 4000 and 5000
 * backoffDelay(2, { initialMs: 100, jitter: 1 }, () => 0.5) // 200
 * ```
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new OperatorOptionError('backoffDelay', 'attempt', `must be an integer >= 0, got ${String(attempt)}`,
      'Count attempts from 0 (the first retry)')
  }
  validateBackoffOptions(options)
  const initialMs = options.initialMs ?? DEFAULT_BACKOFF.initialMs
  const maxMs = options.maxMs ?? DEFAULT_BACKOFF.maxMs
  const factor = options.factor ?? DEFAULT_BACKOFF.factor
  const jitter = options.jitter ?? DEFAULT_BACKOFF.jitter
  // factor ** attempt reaches Infinity for large attempts; min() turns that into the cap.
  const capped = Math.min(maxMs, initialMs * factor ** attempt)
  if (jitter === 0) return Math.round(capped)
  const r = random()
  if (typeof r !== 'number' || !(r >= 0 && r <= 1)) {
    throw new OperatorOptionError('backoffDelay', 'random', `must return a number in [0, 1), returned ${String(r)}`,
      'Pass Math.random or a deterministic function with the same range')
  }
  return Math.round(capped * (1 - jitter * r))
}

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
