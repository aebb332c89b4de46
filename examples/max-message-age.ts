/**
 * Skip ahead when lagging too far: a message older than the topic's maximum
 * age is treated like an out-of-range offset, and the partition jumps to
 * where `offsetOutOfRange` says (here, and by default, the newest message).
 * Useful for dashboards and caches, where stale data is worth less than fresh.
 *
 *   KAFKA_BROKERS=localhost:9092 npx tsx examples/max-message-age.ts
 */
import { pathToFileURL } from 'node:url'
import { mergeMap, type Observable, tap } from 'rxjs'
import { createKafka, type ConsumerMessage, type Kafka } from 'rxkafka'

export function freshOnly(kafka: Kafka, topic: string, groupId: string, maxAgeMs: number): Observable<ConsumerMessage> {
  return kafka
    .consumeGroup({
      groupId,
      topics: [topic],
      fromBeginning: true,
      maxMessageAge: () => maxAgeMs,
      offsetOutOfRange: () => 'latest',
    })
    .pipe(
      mergeMap((partition$) => partition$),
      tap((msg) => msg.done()),
    )
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? 'localhost:9092').split(','), clientId: 'fresh-only' })
  const run = freshOnly(kafka, 'prices', 'dashboard', 60_000).subscribe((m) => console.log(m.partition, m.offset, m.value?.toString()))
  process.once('SIGINT', () => {
    run.unsubscribe()
    void kafka.close()
  })
}
