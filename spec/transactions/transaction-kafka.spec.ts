/**
 * The transactional producer against Apache Kafka: what a read_committed
 * reader sees of committed and aborted transactions, and fencing of a zombie
 * by a newer producer with the same transactionalId.
 */
import { lastValueFrom, mergeAll, take, takeUntil, timer, toArray } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { consumePartitions } from '../../lib/consumer/consume-partitions.js'
import { TransactionFencedError, TransactionStateError, OperatorOptionError } from '../../lib/errors/index.js'
import { createKafka, type Kafka } from '../../lib/kafka.js'
import { consoleLogger } from '../../lib/logger.js'
import { TransactionManager } from '../../lib/producer/transaction-manager.js'
import { startPeer, uniqueName, type Peer } from '../support/peers.js'

let peer: Peer
let kafka: Kafka
const clients: KafkaCluster[] = []

beforeAll(async () => {
  peer = await startPeer('kafka')
  kafka = createKafka({ client: newClient() })
})
afterAll(async () => {
  for (const c of clients) await c.close()
  await peer?.stop()
})

function newClient(): KafkaCluster {
  const client = new KafkaCluster({ ...peer.clientConfig, clientId: 'transactions-spec', logger: consoleLogger('silent') })
  clients.push(client)
  return client
}

/** Every value in the topic's partitions, as a reader with the given isolation sees it (reads until `quietMs` without news). */
async function readAll(topic: string, partitions: number, isolationLevel: 'read_committed' | 'read_uncommitted', expected: number): Promise<string[]> {
  const client = newClient()
  const messages = await lastValueFrom(
    consumePartitions({ client, topic, partitions: Array.from({ length: partitions }, (_, i) => i), from: 'earliest', isolationLevel }).pipe(
      mergeAll(),
      // One more than expected, so a reader that sees too much is caught; a local broker delivers in well under 4 s.
      take(expected + 1),
      takeUntil(timer(4_000)),
      toArray(),
    ),
  )
  return messages.map((m) => m.value!.toString())
}

describe('transactions against Apache Kafka', () => {
  it('a committed transaction is seen by read_committed readers; an aborted one only by read_uncommitted ones', async () => {
    const topic = uniqueName('tx-visible')
    await peer.createTopic(topic, 2)
    const transactionalId = uniqueName('tx-visible')
    const writes = await kafka.transaction({ transactionalId }, async (tx) => {
      const a = await tx.send(topic, [{ key: 'k1', value: 'c1' }, { key: 'k2', value: 'c2' }])
      const b = await tx.send(topic, [{ partition: 1, value: 'c3' }])
      return [...a, ...b]
    })
    expect(writes.map((w) => w.topic)).toEqual([topic, topic, topic])
    expect(writes[2]!.partition).toBe(1)
    const boom = new Error('changed my mind')
    await expect(kafka.transaction({ transactionalId }, async (tx) => {
      await tx.send(topic, [{ value: 'a1' }, { value: 'a2' }])
      throw boom
    })).rejects.toBe(boom)
    await kafka.transaction({ transactionalId }, (tx) => tx.send(topic, [{ partition: 0, value: 'c4' }]))

    const committed = await readAll(topic, 2, 'read_committed', 4)
    expect(committed.sort()).toEqual(['c1', 'c2', 'c3', 'c4'])
    // read_uncommitted sees the aborted records too (markers are never delivered as messages).
    const uncommitted = await readAll(topic, 2, 'read_uncommitted', 6)
    expect(uncommitted.sort()).toEqual(['a1', 'a2', 'c1', 'c2', 'c3', 'c4'])
  })

  it('a newer producer with the same transactionalId fences the older: the zombie gets TransactionFencedError and stays fenced', async () => {
    const topic = uniqueName('tx-fence')
    await peer.createTopic(topic, 1)
    const transactionalId = uniqueName('tx-fence')
    const zombie = new TransactionManager(newClient(), { transactionalId })
    await zombie.begin()
    await zombie.send([{ topic, value: 'zombie-1' }])

    const successor = new TransactionManager(newClient(), { transactionalId })
    await successor.begin() // InitProducerId bumps the epoch and aborts the zombie's open transaction
    expect(successor.producer.producerEpoch).toBeGreaterThan(zombie.producer.producerEpoch)
    await successor.send([{ topic, value: 'successor-1' }])
    await successor.commit()

    const fenced = await zombie.send([{ topic, value: 'zombie-2' }]).then(() => zombie.commit()).then(() => undefined, (e: unknown) => e)
    expect(fenced).toBeInstanceOf(TransactionFencedError)
    expect((fenced as TransactionFencedError).code).toBe('TRANSACTION_FENCED')
    await expect(zombie.begin()).rejects.toBe(fenced)

    expect(await readAll(topic, 1, 'read_committed', 1)).toEqual(['successor-1'])
  })

  it('sends the callback did not await belong to the transaction; a send after the end is refused', async () => {
    const topic = uniqueName('tx-late')
    await peer.createTopic(topic, 1)
    const transactionalId = uniqueName('tx-late')
    let leaked: Parameters<Parameters<Kafka['transaction']>[1]>[0] | undefined
    await kafka.transaction({ transactionalId }, (tx) => {
      leaked = tx
      void tx.send(topic, [{ value: 'not-awaited' }])
    })
    await expect(leaked!.send(topic, [{ value: 'late' }])).rejects.toBeInstanceOf(TransactionStateError)
    expect(await readAll(topic, 1, 'read_committed', 1)).toEqual(['not-awaited'])
  })

  it('a write the broker refuses aborts the transaction (rejecting with the refusal); the next one commits', async () => {
    const topic = uniqueName('tx-refused')
    await peer.createTopic(topic, 1)
    const transactionalId = uniqueName('tx-refused')
    const tooBig = Buffer.alloc(2 * 1024 * 1024, 1) // over the broker's message.max.bytes (1 MiB by default)
    const failure = await kafka.transaction({ transactionalId }, async (tx) => {
      await tx.send(topic, [{ value: 'before' }])
      await tx.send(topic, [{ value: tooBig }])
    }).then(() => undefined, (e: unknown) => e)
    // The callback's own error (the broker's refusal), after the abort.
    expect((failure as { code?: string }).code).toBe('MESSAGE_TOO_LARGE')
    await kafka.transaction({ transactionalId }, (tx) => tx.send(topic, [{ value: 'after' }]))
    expect(await readAll(topic, 1, 'read_committed', 1)).toEqual(['after'])
  })

  it('refuses options that cannot work with a typed error', async () => {
    await expect(kafka.transaction({ transactionalId: '' }, () => undefined)).rejects.toBeInstanceOf(OperatorOptionError)
    await expect(kafka.transaction({ transactionalId: 'x', transactionTimeoutMs: -5 }, () => undefined)).rejects.toThrow(/transactionTimeoutMs/)
  })
})
