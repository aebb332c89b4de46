import { concatMap } from 'rxjs'
import type { ObservableInput, OperatorFunction } from 'rxjs'
import { handleAndDone } from './handleAndDone.js'
import type { Doneable } from './consumer-message.js'

/**
 * Handles messages one at a time, in the order they arrive (`concatMap`
 * semantics), and marks each done when its handler completes. The usual way
 * to process one partition, where order matters: message n+1 starts only
 * after message n is done, so done() is called in offset order.
 *
 * ```
 * source:     ab------|
 * handler:    --x|           (for each message, 3 ms)
 * output:     --A--B--|      (A, B: results of a and b)
 * done:          a  b        (a at 3, b at 6)
 * ```
 *
 * Errors of a handler error the stream; that message is not done (it is
 * redelivered after a restart). Unsubscribing stops the running handler
 * without marking its message done.
 *
 * @example
 * ```ts
 * import { processInOrder } from 'rxkafka'
 * import { mergeMap } from 'rxjs'
 * kafka.consumeGroup({ groupId: 'billing', topics: ['orders'] }).pipe(
 *   mergeMap(partition$ => partition$.pipe(processInOrder(msg => charge(msg)))),
 * ).subscribe()
 * ```
 */
export function processInOrder<T extends Doneable, R>(handler: (message: T, index: number) => ObservableInput<R>): OperatorFunction<T, R> {
  return concatMap(handleAndDone(handler))
}
