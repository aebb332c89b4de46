/** `handleAndDone`: a message handler that marks its message done when the handler completes. */
import { from, Observable } from 'rxjs'
import type { ObservableInput } from 'rxjs'
import { checkFunction } from '../kit/options.js'
import type { Doneable } from './consumer-message.js'

/**
 * Wraps a message handler so that it marks the message done when the
 * handler's Observable completes. Use its result in any flattening operator
 * (`concatMap`, `mergeMap`, `exhaustMap`, ...).
 *
 * - Completion marks done, then completes (so downstream sees completion only
 *   after the offset may be committed).
 * - An error of the handler (or a throw from it, or from `done()`) propagates
 *   and the message is not marked done: it will be delivered again after a
 *   restart (at-least-once).
 * - An unsubscribe before completion does not mark it done either.
 *
 * ```
 * message:        m
 * handler(m):     --r--|
 * result:         --r--|
 * m.done():            ^ (at completion, just before it is passed on)
 * ```
 *
 * @example
 * ```ts
 * import { handleAndDone } from 'rxkafka'
 * import { exhaustMap } from 'rxjs'
 * partition$.pipe(exhaustMap(handleAndDone(msg => saveToDb(msg.value)))).subscribe()
 * ```
 */
export function handleAndDone<T extends Doneable, R>(
  handler: (message: T, index: number) => ObservableInput<R>,
): (message: T, index: number) => Observable<R> {
  checkFunction('handleAndDone', 'handler', handler)
  return (message, index) => new Observable<R>((subscriber) => from(handler(message, index)).subscribe({
    next: (value) => subscriber.next(value),
    error: (error: unknown) => subscriber.error(error),
    complete: () => {
      try {
        message.done()
      } catch (error) {
        subscriber.error(error)
        return
      }
      subscriber.complete()
    },
  }))
}
