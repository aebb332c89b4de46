/**
 * Consume, transform, produce: read `orders`, write `orders-enriched`, and mark
 * each input message done only once its output is acknowledged, so a crash
 * re-processes rather than loses (at-least-once end to end).
 *
 *   KAFKA_BROKERS=localhost:9092 npx tsx examples/consume-transform-produce.ts
 */
import { pathToFileURL } from 'node:url'
import { map, mergeMap, type Observable, tap } from 'rxjs'
import { createKafka, type ConsumerMessage, type Kafka, type ProducerResult } from 'rxkafka'

export function enrich(value: Buffer | null): string {
  const order = JSON.parse(value?.toString() ?? '{}') as { amount?: number }
  return JSON.stringify({ ...order, amountWithTax: Math.round((order.amount ?? 0) * 1.2 * 100) / 100 })
}

export function consumeTransformProduce(kafka: Kafka, input: string, output: string, groupId: string): Observable<ProducerResult<ConsumerMessage>> {
  return kafka.consumeGroup({ groupId, topics: [input], fromBeginning: true }).pipe(
    mergeMap((partition$) => partition$), // one producer for all partitions; order per key is kept
    map((msg) => ({ key: msg.key, value: enrich(msg.value), metadata: msg })),
    kafka.produceTo<ConsumerMessage>(output, { acks: 'all' }),
    tap((result) => result.metadata!.done()), // the output is on the broker: the input may be committed
  )
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? 'localhost:9092').split(','), clientId: 'enricher' })
  const run = consumeTransformProduce(kafka, 'orders', 'orders-enriched', 'enricher').subscribe({ error: (e: unknown) => console.error(e) })
  process.once('SIGINT', () => {
    run.unsubscribe() // commits what is done and leaves the group
    void kafka.close()
  })
}
