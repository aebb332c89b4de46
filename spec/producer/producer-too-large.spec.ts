/**
 * MESSAGE_TOO_LARGE against Apache Kafka, on a topic whose max.message.bytes
 * is small: a batch the broker refuses is split and sent again (order and
 * idempotent sequences kept, so nothing is lost, doubled or reordered); only
 * a single record over the limit fails, its error naming its size and the limit.
 */
import { lastValueFrom, map, mergeMap, range, take, tap, timeout, toArray } from 'rxjs'
import { afterAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { consumePartitions } from '../../lib/consumer/index.js'
import { KafkaBrokerError } from '../../lib/errors/index.js'
import { consoleLogger } from '../../lib/logger.js'
import { produceTo, producerDiagnostics } from '../../lib/producer/index.js'
import type { ProducerResult } from '../../lib/producer/index.js'
import { createTopicAndWait } from '../../lib/testing/apache-kafka-wire.js'
import { sharedKafka, uniqueName } from '../support/peers.js'

const LIMIT = 4_000

describe('MESSAGE_TOO_LARGE on Apache Kafka (max.message.bytes 4000)', () => {
  const clients: KafkaCluster[] = []
  const newClient = (): KafkaCluster => {
    const client = new KafkaCluster({ brokers: sharedKafka().bootstrap.split(','), clientId: 'too-large', logger: consoleLogger('silent') })
    clients.push(client)
    return client
  }
  afterAll(async () => {
    for (const c of clients) await c.close()
  })
  const createTopic = async (name: string): Promise<void> => {
    const nodes = sharedKafka().bootstrap.split(',').map((a) => ({ host: a.split(':')[0]!, port: Number(a.split(':')[1]) }))
    await createTopicAndWait(nodes, { name, partitions: 1, replicationFactor: 1, configs: { 'max.message.bytes': String(LIMIT) } })
  }

  it('a batch over the limit is split until its parts fit: every message once, in order, idempotent; a single record over it fails naming its size and the limit', async () => {
    const topic = uniqueName('too-large')
    await createTopic(topic)
    const client = newClient()
    // 60 messages of 500 bytes in one batch of ~31 KB, then one of 5 000 bytes alone, then 10 more small ones.
    const value = (i: number): string => (i === 60 ? 'x'.repeat(5_000) : `${String(i).padStart(4, '0')}:${'v'.repeat(495)}`)
    let splits = 0
    const results: ProducerResult<number>[] = await lastValueFrom(range(0, 71).pipe(
      map((i) => ({ value: value(i), partition: 0, metadata: i })),
      produceTo<number>(topic, { client, errorMode: 'result', lingerMs: 50, batchMessages: 60 }),
      tap(() => { splits = Math.max(splits, producerDiagnostics(client)[0]?.splitBatches ?? 0) }),
      toArray(),
    ))
    const failed = results.filter((r) => r.error !== undefined)
    expect(failed.map((r) => r.metadata)).toEqual([60])
    const error = failed[0]!.error as KafkaBrokerError
    expect(error).toBeInstanceOf(KafkaBrokerError)
    expect(error.code).toBe('MESSAGE_TOO_LARGE')
    expect(error.message).toMatch(/a record of 5\d{3} bytes .* over the topic's limit of 4000 bytes \(max\.message\.bytes\)/)
    expect(error.hint).toMatch(/max\.message\.bytes/)
    expect(splits).toBeGreaterThan(0)
    // The results of the split batch come in order, with consecutive offsets.
    const delivered = results.filter((r) => r.error === undefined)
    expect(delivered.map((r) => r.metadata)).toEqual([...Array.from({ length: 60 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 61 + i)])
    const offsets = delivered.map((r) => r.offset)
    expect(offsets).toEqual(offsets.map((_, i) => offsets[0]! + BigInt(i)))

    const read = await lastValueFrom(consumePartitions({ client: newClient(), topic, from: 'earliest' }).pipe(
      mergeMap((partition$) => partition$),
      tap((m) => m.done()),
      take(70),
      toArray(),
      timeout(30_000),
    ))
    expect(read.map((m) => Number(m.value!.toString().slice(0, 4)))).toEqual(delivered.map((r) => r.metadata))
    expect(read.map((m) => m.offset)).toEqual(offsets)
  }, 60_000)
})
