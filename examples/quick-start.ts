/**
 * The README's Quick start as a whole app: produce three orders, then read
 * them back through a consumer group, mark each done, and stop (which commits
 * and leaves the group).
 *
 *   npx tsx examples/quick-start.ts                                 # on an embedded mock cluster
 *   KAFKA_BROKERS=localhost:9092 npx tsx examples/quick-start.ts    # on your cluster
 */
import { pathToFileURL } from 'node:url'
import { firstValueFrom, from, map, mergeMap, take, toArray } from 'rxjs'
import { createKafka, type Kafka } from 'rxkafka'
import { startMockCluster, type MockCluster } from 'rxkafka/testing'

interface Order {
  id: string
  customerId: string
  amount: number
}

/** Produces `orders` to `topic`, then consumes them back with group `groupId`; resolves with what was read. */
export async function quickStart(kafka: Kafka, topic: string, groupId: string, orders: readonly Order[]): Promise<Order[]> {
  // Producing is an operator: each order becomes one message; each result says where it went.
  const results = await firstValueFrom(
    from(orders).pipe(
      map((o) => ({ key: o.customerId, value: o, metadata: o.id })),
      kafka.produceTo(topic, { acks: 'all', compression: 'lz4', valueSerializer: (o: Order) => JSON.stringify(o) }),
      toArray(),
    ),
  )
  for (const r of results) console.log(`produced ${r.metadata} to ${r.topic}/${r.partition} at offset ${r.offset}`)

  // A consumer group is an Observable of partition substreams. fromBeginning: a new group reads what is already
  // there (without it, it starts at the end and would wait for orders produced after it joined).
  return firstValueFrom(
    kafka.consumeGroup({ groupId, topics: [topic], fromBeginning: true }).pipe(
      mergeMap((partition$) => partition$),
      map((msg) => {
        const order = JSON.parse(msg.value!.toString('utf8')) as Order
        console.log(`consumed ${order.id} from ${msg.topic}/${msg.partition} at offset ${msg.offset}`)
        msg.done() // processed: its offset may be committed
        return order
      }),
      take(orders.length), // then unsubscribe: commits what is done and leaves the group
      toArray(),
    ),
  )
}

async function main(): Promise<void> {
  let mock: MockCluster | undefined
  if (process.env.KAFKA_BROKERS === undefined) {
    console.log('no KAFKA_BROKERS: starting an embedded mock cluster (librdkafka)')
    mock = await startMockCluster({ brokers: 1, topics: [{ name: 'orders', partitions: 3 }] })
    await mock.setGroupInitialRebalanceDelay(0) // a new group would otherwise wait 3 s for more members
  }
  // The mock's clientConfig carries the compatibility setting it needs; a real cluster needs none.
  const kafka = createKafka({ ...(mock?.clientConfig ?? { brokers: process.env.KAFKA_BROKERS!.split(',') }), clientId: 'quick-start' })
  try {
    const orders = [1, 2, 3].map((n) => ({ id: `order-${n}`, customerId: `customer-${n % 2}`, amount: n * 10 }))
    const read = await quickStart(kafka, 'orders', `quick-start-${Date.now()}`, orders)
    console.log(`read back ${read.length} of ${orders.length} orders`)
  } finally {
    await kafka.close()
    await mock?.stop()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
