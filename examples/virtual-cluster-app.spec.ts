/**
 * Testing your own stream app with the virtual cluster, in virtual time.
 *
 * The app (`routeOrders`, normally in its own file) reads JSON orders from a
 * consumer group, sends valid ones to `orders.valid` keyed by customer and the
 * rest to `orders.rejected`, and marks each order done once it is written.
 * The test runs it on an in-memory cluster under RxJS's TestScheduler, forces a
 * rebalance and a broker error at chosen frames, and asserts exactly what the
 * app emitted and when, what landed in the topics and what the group committed.
 *
 * In your project the imports are `rxkafka` and `rxkafka/testing`.
 */
import { describe, expect, it } from 'vitest'
import { map, mergeMap, type Observable } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { createKafka, ErrorCode, type ConsumerMessage, type Kafka, type TopicProducerMessage } from '../lib/index.js'
import { createVirtualCluster } from '../lib/testing/index.js'

// ---- the app ---------------------------------------------------------------

interface Order {
  customer: string
  amount: number
}

function parseOrder(bytes: Buffer | null): Order | undefined {
  try {
    const order = JSON.parse(bytes?.toString() ?? '') as Partial<Order>
    return typeof order.customer === 'string' && typeof order.amount === 'number' && order.amount > 0 ? (order as Order) : undefined
  } catch {
    return undefined
  }
}

/** Routes orders; emits one line per written order: `topic/partition@offset`. */
export function routeOrders(kafka: Kafka): Observable<string> {
  return kafka.consumeGroup({ groupId: 'router', topics: ['orders'], fromBeginning: true, heartbeatIntervalMs: 1_000 }).pipe(
    mergeMap((partition$) =>
      partition$.pipe(
        map((msg): TopicProducerMessage<ConsumerMessage> => {
          const order = parseOrder(msg.value)
          return order === undefined
            ? { topic: 'orders.rejected', key: null, value: msg.value, metadata: msg }
            : { topic: 'orders.valid', key: order.customer, value: JSON.stringify(order), metadata: msg }
        }),
      ),
    ),
    kafka.produce({ lingerMs: 0, random: () => 0.5 }),
    map((result) => {
      result.metadata!.done()
      return `${result.topic}/${result.partition}@${result.offset}`
    }),
  )
}

// ---- its test --------------------------------------------------------------

describe('routeOrders', () => {
  it('routes, survives a rebalance and a refused write, and commits what it wrote', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    const cluster = createVirtualCluster({
      topics: [
        { name: 'orders', partitions: 1 },
        { name: 'orders.valid', partitions: 1 },
        { name: 'orders.rejected', partitions: 1 },
      ],
    })
    scheduler.run(({ expectObservable }) => {
      const kafka = createKafka({ client: cluster })
      cluster.produceDirect('orders', 0, [{ value: '{"customer":"ann","amount":5}' }, { value: 'not json' }])
      // Frame 2000: the group rebalances (as when a member joins); heartbeats answer
      // REBALANCE_IN_PROGRESS, the app commits, rejoins and carries on.
      scheduler.schedule(() => cluster.rebalance('router'), 2_000)
      let afterRebalance: unknown
      scheduler.schedule(() => (afterRebalance = cluster.groupState('router')), 2_001)
      scheduler.schedule(() => cluster.produceDirect('orders', 0, [{ value: '{"customer":"bob","amount":7}' }]), 3_000)
      // Frame 4000: the broker refuses the next write; the producer retries after its backoff
      // (100 ms minus 20% jitter, drawn at 0.5 by the `random` option: 90 ms).
      scheduler.schedule(() => {
        cluster.injectError('Produce', ErrorCode.NOT_ENOUGH_REPLICAS)
        cluster.produceDirect('orders', 0, [{ value: '{"customer":"cy","amount":0}' }])
      }, 4_000)

      expectObservable(routeOrders(kafka), '^ 5999ms !').toBe('(ab) 2996ms c 999ms - 89ms d', {
        a: 'orders.valid/0@0',
        b: 'orders.rejected/0@0',
        c: 'orders.valid/0@1',
        d: 'orders.rejected/0@1',
      })
      scheduler.schedule(() => expect(afterRebalance).toMatchObject({ state: 'Stable', generationId: 2 }), 5_000)
    })
    expect(cluster.readValues('orders.valid')).toEqual(['{"customer":"ann","amount":5}', '{"customer":"bob","amount":7}'])
    expect(cluster.readValues('orders.rejected')).toEqual(['not json', '{"customer":"cy","amount":0}'])
    expect(cluster.committedOffsets('router')).toMatchObject([{ topic: 'orders', partition: 0, offset: 4n }])
    expect(cluster.groupState('router')).toMatchObject({ state: 'Empty', generationId: 3 })
  })
})
