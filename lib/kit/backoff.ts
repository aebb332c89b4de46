/**
 * The one exponential backoff of rxkafka: the producer's retries, the
 * consumer's group steps, reconnects, coordinator lookups and the
 * `retryBackoff` operator all wait `backoffDelay(attempt, options)`.
 */
import { OperatorOptionError } from '../errors/index.js'
import { checkNumber } from './options.js'

/** The shape of an exponential backoff: shared by `retryBackoff`, reconnects, coordinator lookups, group steps and producer retries. */
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
