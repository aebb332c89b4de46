import { asyncScheduler, Observable } from 'rxjs'
import type { OperatorFunction, SchedulerLike, Subscription } from 'rxjs'
import { checkCount, checkDuration, checkFunction, checkNumber } from '../kit/options.js'
import { OperatorOptionError } from '../errors/index.js'

/** Options of {@link batch}. At least one of `maxMessages`, `maxBytes` and `lingerMs` must be finite. */
export interface BatchConfig<T> {
  /** Emit when a batch holds this many values. Default Infinity. */
  maxMessages?: number
  /** Emit when a batch reaches this many bytes as measured by `sizeOf`; a value that would push a batch past it starts the next one. Default Infinity. */
  maxBytes?: number
  /** Emit a batch this many ms after its first value, however full it is. Default Infinity (no timer). */
  lingerMs?: number
  /** The size of one value in bytes; required with `maxBytes`. A throw errors the stream (after the batch so far is emitted). */
  sizeOf?: (value: T) => number
  /** Scheduler of the linger timer. Default `asyncScheduler`. */
  scheduler?: SchedulerLike
}

/**
 * Collects values into arrays and emits each array when the first of its
 * limits is reached: `maxMessages` values, `maxBytes` bytes, or `lingerMs`
 * since the batch's first value. Never emits an empty array.
 *
 * ```
 * batch({ maxMessages: 3, lingerMs: 4 })
 * source:  a-bc--d--------e-#
 * output:  ---x------y------(z#)     x = [a, b, c] (full), y = [d] (lingered 4 ms),
 *                                    z = [e] (flushed by the error, then the error)
 *
 * batch({ maxBytes: 5, sizeOf: s => s.length }), a = 'aa', b = 'bbb', c = 'cc', d = 'dddddddd', e = 'e'
 * source:  a-b-c-d----e|
 * output:  --x---(yz)--(w|)          x = [aa, bbb] (exactly 5 bytes), y = [cc] (d would overflow it),
 *                                    z = [dddddddd] (alone: larger than maxBytes), w = [e] (at completion)
 * ```
 *
 * - Completion of the source emits the partial batch, then completes.
 * - An error of the source (or of `sizeOf`) emits the partial batch, then
 *   errors. This differs from RxJS's `bufferTime`, which drops it: values
 *   that were accepted are never lost silently, and downstream decides what
 *   to do with them.
 * - A value larger than `maxBytes` on its own is emitted alone, never dropped.
 * - When a batch fills up in the same instant its linger timer fires,
 *   whichever the scheduler runs first emits it; the other finds the batch
 *   empty and does nothing.
 * - Unsubscribing drops the partial batch and cancels its timer.
 *
 * @example
 * ```ts
 * import { batch } from 'rxkafka'
 * import { concatMap } from 'rxjs'
 * events$.pipe(
 *   batch({ maxMessages: 500, maxBytes: 1 << 20, lingerMs: 50, sizeOf: e => e.value.length }),
 *   concatMap(events => writeAll(events)),
 * ).subscribe()
 * ```
 */
export function batch<T>(maxMessages: number, lingerMs?: number): OperatorFunction<T, T[]>
export function batch<T>(config: BatchConfig<T>): OperatorFunction<T, T[]>
export function batch<T>(configOrMaxMessages: BatchConfig<T> | number, lingerMs?: number): OperatorFunction<T, T[]> {
  const config: BatchConfig<T> = typeof configOrMaxMessages === 'number'
    ? { maxMessages: configOrMaxMessages, lingerMs }
    : configOrMaxMessages
  checkCount('batch', 'maxMessages', config.maxMessages, 1)
  checkNumber('batch', 'maxBytes', config.maxBytes === Infinity ? undefined : config.maxBytes, 1)
  checkDuration('batch', 'lingerMs', config.lingerMs)
  checkFunction('batch', 'sizeOf', config.sizeOf)
  const maxMessages = config.maxMessages ?? Infinity
  const maxBytes = config.maxBytes ?? Infinity
  const linger = config.lingerMs ?? Infinity
  const sizeOf = config.sizeOf
  const scheduler = config.scheduler ?? asyncScheduler
  if (maxBytes !== Infinity && sizeOf === undefined) {
    throw new OperatorOptionError('batch', 'sizeOf', 'is missing but maxBytes is set',
      'Pass sizeOf: value => its size in bytes, or leave maxBytes out')
  }
  if (maxMessages === Infinity && maxBytes === Infinity && linger === Infinity) {
    throw new OperatorOptionError('batch', 'maxMessages', 'is unlimited and so are maxBytes and lingerMs: nothing would ever be emitted before completion',
      'Set at least one of maxMessages, maxBytes or lingerMs (use toArray() to collect everything)')
  }
  const measure = sizeOf !== undefined && maxBytes !== Infinity ? sizeOf : undefined

  return (source: Observable<T>) => new Observable<T[]>((subscriber) => {
    let buffer: T[] = []
    let bytes = 0
    let lingerTimer: Subscription | undefined

    const flush = (): void => {
      lingerTimer?.unsubscribe()
      lingerTimer = undefined
      if (buffer.length === 0) return
      const full = buffer
      // Reset before emitting: a synchronous consumer may push the next value from inside next().
      buffer = []
      bytes = 0
      subscriber.next(full)
    }
    const fail = (error: unknown): void => {
      flush()
      subscriber.error(error)
    }

    const subscription = source.subscribe({
      next: (value) => {
        if (subscriber.closed) return
        let size = 0
        if (measure !== undefined) {
          try {
            size = measure(value)
          } catch (error) {
            fail(error)
            return
          }
          if (typeof size !== 'number' || !(size >= 0) || size === Infinity) {
            fail(new OperatorOptionError('batch', 'sizeOf', `returned ${String(size)} for value number ${buffer.length + 1} of the batch`,
              'sizeOf must return a finite number of bytes >= 0'))
            return
          }
          if (buffer.length > 0 && bytes + size > maxBytes) flush()
        }
        buffer.push(value)
        bytes += size
        if (buffer.length >= maxMessages || bytes >= maxBytes) {
          flush()
        } else if (buffer.length === 1 && linger !== Infinity) {
          lingerTimer = scheduler.schedule(flush, linger)
        }
      },
      error: (error: unknown) => fail(error),
      complete: () => {
        flush()
        subscriber.complete()
      },
    })

    return () => {
      subscription.unsubscribe()
      lingerTimer?.unsubscribe()
      lingerTimer = undefined
      buffer = []
    }
  })
}
