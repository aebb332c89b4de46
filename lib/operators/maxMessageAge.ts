import { asyncScheduler, Observable } from 'rxjs'
import type { MonoTypeOperatorFunction, SchedulerLike } from 'rxjs'
import { StaleMessageError, OperatorOptionError } from '../errors/index.js'
import { checkDuration, checkFunction } from '../kit/options.js'

/** What {@link maxMessageAge} needs of a message; a consumer message has all of it. */
export interface TimestampedMessage {
  /** The topic, which picks the maximum age when it is per topic. */
  readonly topic: string
  /** Milliseconds since the epoch. A negative value (Kafka's -1, "no timestamp") means unknown. */
  readonly timestamp: number | bigint
  /** The partition, for the error. */
  readonly partition?: number
  /** The offset, for the error. */
  readonly offset?: bigint
}

/** A maximum age in ms for every topic, or per topic (`undefined` or Infinity: no limit for that topic). */
export type MaxAge = number | ((topic: string) => number | undefined)

/** Options of {@link maxMessageAge}. */
export interface MaxMessageAgeOptions<T extends TimestampedMessage> {
  /**
   * What happens to a stale message: `'drop'` (default) calls `onStale` and
   * skips it; `'error'` calls `onStale` and errors the stream with
   * {@link StaleMessageError}.
   */
  mode?: 'drop' | 'error'
  /** Called for each stale message, before it is dropped or the stream errors. A throw errors the stream with what was thrown. */
  onStale?: (message: T, ageMs: number, maxAgeMs: number) => void
  /** The clock, in ms since the epoch. Default `scheduler.now()`. */
  now?: () => number
  /** The clock when `now` is not given. Default `asyncScheduler`. */
  scheduler?: SchedulerLike
}

/**
 * Lets through messages no older than the maximum age of their topic and
 * reports the stale ones. Age is `now - timestamp`; a message exactly at the
 * limit is fresh. A message with an unknown (negative) timestamp or one from
 * the future is fresh, since it is not known to be old.
 *
 * By default a stale message is dropped after `onStale` sees it; that is what
 * a consumer wants when it treats lag beyond the limit as "offset out of
 * range" and jumps ahead (`onStale` is the signal to jump). A dropped message
 * is not marked done: if it has `done()` and skipping it should advance the
 * committed offset, call `done()` in `onStale`.
 *
 * ```
 * maxMessageAge(5)      (now = frame; a: timestamp 0, b: timestamp 2)
 * source:  -----a-b---a|
 * output:  -----a-b----|          a at 5 is exactly 5 ms old: fresh; a at 11 is stale: dropped
 * onStale:            ^ (a, 11, 5)
 *
 * maxMessageAge(5, { mode: 'error' })
 * source:  -----a-----a|
 * output:  -----a-----#           StaleMessageError
 * ```
 *
 * @example
 * ```ts
 * import { maxMessageAge } from 'rxkafka'
 * partition$.pipe(
 *   maxMessageAge(topic => (topic === 'prices' ? 60_000 : undefined), {
 *     onStale: msg => { msg.done(); jumpToNewest(msg.topic, msg.partition) },
 *   }),
 * ).subscribe(handle)
 * ```
 */
export function maxMessageAge<T extends TimestampedMessage>(maxAge: MaxAge, options: MaxMessageAgeOptions<T> = {}): MonoTypeOperatorFunction<T> {
  if (typeof maxAge !== 'function') {
    if (typeof maxAge !== 'number') {
      throw new OperatorOptionError('maxMessageAge', 'maxAge', `must be milliseconds or a function of the topic, got ${typeof maxAge}`,
        'Pass a number of milliseconds, or topic => milliseconds (undefined for no limit)')
    }
    checkDuration('maxMessageAge', 'maxAge', maxAge)
  }
  const mode = options.mode ?? 'drop'
  if (mode !== 'drop' && mode !== 'error') {
    throw new OperatorOptionError('maxMessageAge', 'mode', `must be 'drop' or 'error', got ${JSON.stringify(mode)}`,
      "Use 'drop' to skip stale messages or 'error' to stop the stream at the first one")
  }
  checkFunction('maxMessageAge', 'onStale', options.onStale)
  checkFunction('maxMessageAge', 'now', options.now)
  const onStale = options.onStale
  const scheduler = options.scheduler ?? asyncScheduler
  const now = options.now ?? (() => scheduler.now())
  const limitOf = typeof maxAge === 'function' ? maxAge : () => maxAge

  return (source: Observable<T>) => new Observable<T>((subscriber) => source.subscribe({
    next: (message) => {
      if (subscriber.closed) return
      let stale: { ageMs: number; maxAgeMs: number } | undefined
      try {
        stale = staleness(message, limitOf(message.topic), now())
        if (stale !== undefined) onStale?.(message, stale.ageMs, stale.maxAgeMs)
      } catch (error) {
        subscriber.error(error)
        return
      }
      if (stale === undefined) subscriber.next(message)
      else if (mode === 'error') subscriber.error(new StaleMessageError(message, stale.ageMs, stale.maxAgeMs))
    },
    error: (error: unknown) => subscriber.error(error),
    complete: () => subscriber.complete(),
  }))
}

function staleness(message: TimestampedMessage, maxAgeMs: number | undefined, now: number): { ageMs: number; maxAgeMs: number } | undefined {
  if (maxAgeMs === undefined || maxAgeMs === Infinity) return undefined
  if (typeof maxAgeMs !== 'number' || !(maxAgeMs >= 0)) {
    throw new OperatorOptionError('maxMessageAge', 'maxAge', `returned ${String(maxAgeMs)} for topic ${message.topic}`,
      'The per-topic function must return milliseconds >= 0, or undefined for no limit')
  }
  const timestamp = Number(message.timestamp)
  if (!(timestamp >= 0)) return undefined
  const ageMs = now - timestamp
  return ageMs > maxAgeMs ? { ageMs, maxAgeMs } : undefined
}
