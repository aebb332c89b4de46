import { mergeMap } from 'rxjs'
import type { ObservableInput, OperatorFunction } from 'rxjs'
import { handleAndDone } from './handleAndDone.js'
import type { Doneable } from './consumer-message.js'
import { checkCount } from '../kit/options.js'
import { OperatorOptionError } from '../errors/index.js'

/** Options of {@link processConcurrently}. */
export interface ProcessConcurrentlyOptions {
  /** How many handlers may run at once (an integer >= 1, or Infinity). */
  concurrency: number
}

/**
 * Handles up to `concurrency` messages at once (`mergeMap` semantics) and
 * marks each done when its handler completes, so messages may be done out of
 * order. The consumer commits only the contiguous done prefix, so this is
 * still at-least-once: a crash redelivers what was not done, never skips.
 *
 * ```
 * processConcurrently(handler, { concurrency: 2 })
 * source:     abc-------|
 * handler:    a: ----x|   b: -x|   c: -x|
 * output:     --B-(AC)--|
 * done:          b a c           (b at 3, a at 5, c at 5: c starts when b's slot frees at 3)
 * ```
 *
 * Errors of a handler error the stream (the other running handlers are
 * unsubscribed, their messages not done).
 *
 * @example
 * ```ts
 * import { processConcurrently } from 'rxkafka'
 * partition$.pipe(processConcurrently(msg => callWebhook(msg), { concurrency: 8 })).subscribe()
 * ```
 */
export function processConcurrently<T extends Doneable, R>(
  handler: (message: T, index: number) => ObservableInput<R>,
  options: ProcessConcurrentlyOptions | number,
): OperatorFunction<T, R> {
  const concurrency = typeof options === 'number' ? options : options?.concurrency
  if (concurrency === undefined) {
    throw new OperatorOptionError('processConcurrently', 'concurrency', 'is missing',
      'Pass { concurrency: n }: how many messages may be handled at once (use processInOrder for one at a time)')
  }
  checkCount('processConcurrently', 'concurrency', concurrency, 1)
  return mergeMap(handleAndDone(handler), concurrency)
}
