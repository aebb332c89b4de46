/**
 * Process a partition's messages concurrently, finishing in any order. `done()`
 * may come out of order: the group commits only the end of each partition's
 * contiguous done prefix, so a restart never skips an unfinished message.
 *
 *   KAFKA_BROKERS=localhost:9092 npx tsx examples/out-of-order-done.ts
 */
import { pathToFileURL } from 'node:url'
import { mergeMap, type Observable, timer, map } from 'rxjs'
import { createKafka, processConcurrently, type ConsumerMessage, type Kafka } from 'rxkafka'

/** A handler whose duration varies, so completions come out of order. */
export function slowHandler(msg: ConsumerMessage): Observable<string> {
  const delayMs = (Number(msg.offset) * 37) % 50
  return timer(delayMs).pipe(map(() => `${msg.partition}:${msg.offset} took ${delayMs} ms`))
}

export function outOfOrder(kafka: Kafka, topic: string, groupId: string): Observable<string> {
  return kafka.consumeGroup({ groupId, topics: [topic], fromBeginning: true }).pipe(
    // up to 8 messages of each partition in flight at once; each marked done when its handler completes
    mergeMap((partition$) => partition$.pipe(processConcurrently(slowHandler, { concurrency: 8 }))),
  )
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? 'localhost:9092').split(','), clientId: 'out-of-order' })
  const run = outOfOrder(kafka, 'orders', 'out-of-order').subscribe((line) => console.log(line))
  process.once('SIGINT', () => {
    run.unsubscribe()
    void kafka.close()
  })
}
