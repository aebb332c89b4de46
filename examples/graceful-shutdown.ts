/**
 * Graceful shutdown on SIGINT: stop taking new messages, let the ones in
 * progress finish and be marked done, then end the group's stream, which
 * commits the done offsets and leaves the group (so the partitions move to
 * other members at once instead of after a session timeout). Messages that
 * arrived but were not started are not done, so the next owner gets them.
 * `group.stop()` resolves once the coordinator has the commit and the leave;
 * `kafka.close()` waits for it too (bounded by `closeTimeoutMs`), so closing
 * right after the stream ends loses nothing.
 *
 *   KAFKA_BROKERS=localhost:9092 npx tsx examples/graceful-shutdown.ts
 */
import { pathToFileURL } from 'node:url'
import { asapScheduler, concatMap, filter, observeOn, map, merge, mergeMap, type Observable, Subject, takeUntil, takeWhile, tap, timer } from 'rxjs'
import { createKafka, type ConsumerGroup, type ConsumerMessage, type Kafka } from 'rxkafka'

export function worker(group: ConsumerGroup, stop$: Observable<void>): Observable<ConsumerMessage> {
  let stopping = false
  let inProgress = 0
  const idle$ = new Subject<void>()
  // Drained: the signal came and nothing is in progress (now, or as soon as the last one finishes).
  const drained$ = merge(
    stop$.pipe(
      tap(() => (stopping = true)),
      filter(() => inProgress === 0),
    ),
    idle$.pipe(filter(() => stopping)),
  )
  return group.pipe(
    mergeMap((partition$) =>
      partition$.pipe(
        takeWhile(() => !stopping), // no new messages after the signal...
        tap(() => inProgress++),
        concatMap((msg) => timer(5).pipe(map(() => msg))), // ...but those taken in finish
        map((msg) => {
          msg.done()
          if (--inProgress === 0) idle$.next()
          return msg
        }),
      ),
    ),
    // Unsubscribing from the group commits the done offsets and leaves the group. The signal is
    // delivered asynchronously, so the last message finishes passing downstream first.
    takeUntil(drained$.pipe(observeOn(asapScheduler))),
  )
}

/** Runs until `stop$` fires and everything in progress is done; resolves once the commit and the leave reached the coordinator. */
export async function runUntilStopped(kafka: Kafka, topic: string, groupId: string, stop$: Subject<void>, onMessage: (m: ConsumerMessage) => void = () => undefined): Promise<void> {
  const group = kafka.consumeGroup({ groupId, topics: [topic], fromBeginning: true })
  await new Promise<void>((resolve, reject) => {
    worker(group, stop$).subscribe({ next: onMessage, error: reject, complete: resolve })
  })
  // The stream's end began the final commit and the LeaveGroup; this waits for both (and rejects if the commit failed).
  await group.stop()
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? 'localhost:9092').split(','), clientId: 'worker' })
  const stop$ = new Subject<void>()
  process.once('SIGINT', () => {
    console.log('draining...')
    stop$.next()
  })
  runUntilStopped(kafka, 'orders', 'workers', stop$, (m) => console.log(m.partition, m.offset))
    .then(() => console.log('drained, committed, left the group'))
    .finally(() => kafka.close())
}
