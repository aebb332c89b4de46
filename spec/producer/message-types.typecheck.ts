/**
 * Type-level spec of the producer's key and value types, checked by
 * `npm run typecheck` (tsc), not run: each `@ts-expect-error` line must fail to
 * compile (tsc reports an unused directive otherwise), every other line must
 * compile. A key or value that is not Buffer, string or null needs a
 * serializer, in every form of the producer.
 */
import { from, of } from 'rxjs'
import { createKafka, produce, produceTo, send, type ProducerOptions, type ProducerResult } from 'rxkafka'

interface Order {
  id: string
  amount: number
}

export function producerTypes(): void {
  const kafka = createKafka({ brokers: ['localhost:9092'] })
  const client = kafka.cluster
  const order: Order = { id: 'o-1', amount: 5 }

  // A value the producer cannot send is a compile error, in every form.
  // @ts-expect-error number is not Buffer | string | null, and no valueSerializer is given
  from([{ value: 42 }]).pipe(kafka.produceTo('orders'))
  // @ts-expect-error the same with options that have no serializer
  from([{ value: 42 }]).pipe(kafka.produceTo('orders', { acks: 'all' }))
  // @ts-expect-error an object value without a serializer
  of({ value: order }).pipe(produceTo('orders', { client }))
  // @ts-expect-error a key that is a number, without keySerializer
  of({ key: 7, value: 'x' }).pipe(kafka.produceTo('orders'))
  // @ts-expect-error produce() for messages naming their topic
  of({ topic: 'orders', value: 42 }).pipe(kafka.produce())
  // @ts-expect-error the standalone produce()
  of({ topic: 'orders', value: order }).pipe(produce({ client }))
  // @ts-expect-error kafka.send
  void kafka.send('orders', { value: 42 })
  // @ts-expect-error the standalone send, whose message type used to be inferred as anything
  void send(client, 'orders', { value: 42 })
  // @ts-expect-error a serializer for another type than the value's
  of({ value: order }).pipe(kafka.produceTo('orders', { valueSerializer: (n: number) => String(n) }))
  // @ts-expect-error ProducerOptions of a non-byte value type requires its serializer
  const missing: ProducerOptions<string, Order> = { acks: 'all' }
  void missing

  // Bytes need no serializer.
  of({ value: 'text' }).pipe(kafka.produceTo('orders'))
  of({ key: Buffer.from('k'), value: null }).pipe(kafka.produceTo('orders', { acks: 1 }))
  of({ key: undefined, value: 'x', metadata: 3 })
    .pipe(kafka.produceTo('orders'))
    .subscribe((r: ProducerResult<number>) => r.metadata)
  of({ topic: 'orders', value: 'x' }).pipe(kafka.produce())
  void kafka.send('orders', { value: 'x' })
  void send(client, 'orders', { key: 'k', value: Buffer.alloc(1) })

  // Any type with a serializer, inferred from it or from the source.
  of({ value: order }).pipe(kafka.produceTo('orders', { valueSerializer: (o: Order) => JSON.stringify(o) }))
  of({ value: order }).pipe(kafka.produceTo('orders', { valueSerializer: (o) => JSON.stringify(o) }))
  of({ value: order }).pipe(kafka.produceTo('orders', { valueSerializer: (v: unknown) => JSON.stringify(v) }))
  of({ key: 7, value: order }).pipe(produceTo('orders', { client, keySerializer: String, valueSerializer: (o: Order) => JSON.stringify(o) }))
  of({ topic: 'orders', value: order }).pipe(kafka.produce({ valueSerializer: (o: Order) => o.id }))
  void kafka.send('orders', { value: order }, { valueSerializer: (o) => o.id })
  void send(client, 'orders', { key: 1, value: 'x' }, { keySerializer: (n: number) => String(n) })
  const options: ProducerOptions<string, Order> = { acks: 'all', valueSerializer: (o) => JSON.stringify(o) }
  of({ key: 'c-1', value: order }).pipe(produceTo('orders', { ...options, client }))
}
