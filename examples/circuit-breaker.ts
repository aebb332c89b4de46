/**
 * A circuit breaker around a flaky downstream: after 3 failures in a row the
 * breaker opens and calls fail fast for a while instead of piling onto a
 * service that is down; then one probe goes through, and success closes it.
 * Failed calls are retried with backoff, so no message is skipped, and each
 * message is done only after its call succeeded.
 *
 *   KAFKA_BROKERS=localhost:9092 npx tsx examples/circuit-breaker.ts
 */
import { pathToFileURL } from 'node:url'
import { concatMap, defer, map, mergeMap, type Observable, of, throwError } from 'rxjs'
import { circuitBreaker, createKafka, retryBackoff, type ConsumerMessage, type Kafka } from 'rxkafka'

/** Stands in for an HTTP call: fails while `isDown()` says so. */
export function flakyDownstream(isDown: () => boolean) {
  return (msg: ConsumerMessage): Observable<string> =>
    defer(() => (isDown() ? throwError(() => new Error('downstream unavailable')) : of(`stored ${msg.partition}:${msg.offset}`)))
}

export function guarded(kafka: Kafka, topic: string, groupId: string, call: (msg: ConsumerMessage) => Observable<string>) {
  const breaker = circuitBreaker({ failureThreshold: 3, resetAfterMs: 200, name: 'downstream' })
  const delivered$ = kafka.consumeGroup({ groupId, topics: [topic], fromBeginning: true }).pipe(
    mergeMap((partition$) =>
      partition$.pipe(
        concatMap((msg) =>
          breaker.wrap(call(msg)).pipe(
            // retry the same message (breaker refusals included) until the downstream is back
            retryBackoff({ retries: 1_000, initialMs: 20, maxMs: 200 }),
            map((outcome) => {
              msg.done()
              return outcome
            }),
          ),
        ),
      ),
    ),
  )
  return { delivered$, state$: breaker.state$ }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? 'localhost:9092').split(','), clientId: 'guarded' })
  let down = false
  setInterval(() => (down = !down), 2_000).unref()
  const { delivered$, state$ } = guarded(kafka, 'orders', 'guarded', flakyDownstream(() => down))
  state$.subscribe((s) => console.log(`breaker ${s}`))
  const run = delivered$.subscribe((line) => console.log(line))
  process.once('SIGINT', () => {
    run.unsubscribe()
    void kafka.close()
  })
}
