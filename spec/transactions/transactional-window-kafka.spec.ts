/**
 * transactionalWindow against Apache Kafka, in one process: a window whose
 * transform fails is aborted and read again; a rebalance hands partitions over
 * without losing or duplicating a window; a second instance with the same
 * transactionalId fences the first, which ends with TransactionFencedError.
 */
import { debounceTime, filter, from, lastValueFrom, map, mergeAll, race, Subject, take, takeUntil, timer, toArray, type Subscription } from 'rxjs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { consumePartitions } from '../../lib/consumer/consume-partitions.js'
import { TransactionFencedError, TransactionStateError } from '../../lib/errors/index.js'
import { createKafka, type Kafka } from '../../lib/kafka.js'
import { consoleLogger } from '../../lib/logger.js'
import { produceTo } from '../../lib/producer/index.js'
import type { TransactionalWindowResult } from '../../lib/transactions/index.js'
import { startPeer, uniqueName, type Peer } from '../support/peers.js'

let peer: Peer
const clients: KafkaCluster[] = []
const subscriptions: Subscription[] = []
const GROUP = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 300, rebalanceTimeoutMs: 10_000, commitIntervalMs: 0, fromBeginning: true }

beforeAll(async () => {
  peer = await startPeer('kafka')
})
afterEach(async () => {
  for (const s of subscriptions.splice(0)) s.unsubscribe()
  await new Promise((resolve) => setTimeout(resolve, 300))
})
afterAll(async () => {
  for (const c of clients) await c.close()
  await peer?.stop()
})

function newKafka(): Kafka {
  const client = new KafkaCluster({ ...peer.clientConfig, clientId: 'transactional-window-spec', logger: consoleLogger('silent') })
  clients.push(client)
  return createKafka({ client })
}

async function feed(topic: string, count: number): Promise<void> {
  const client = newKafka().cluster
  await lastValueFrom(from(Array.from({ length: count }, (_, i) => ({ key: String(i), value: String(i) }))).pipe(produceTo(topic, { client }), toArray()))
}

async function readCommitted(topic: string, partitions: number): Promise<string[]> {
  const client = newKafka().cluster
  const values = new Subject<string>()
  let seen = 0
  const quiet = race(values.pipe(debounceTime(2_500)), timer(20_000).pipe(filter(() => seen === 0))).pipe(take(1))
  const all = lastValueFrom(values.pipe(takeUntil(quiet), toArray()))
  const sub = consumePartitions({ client, topic, partitions: Array.from({ length: partitions }, (_, i) => i), from: 'earliest', isolationLevel: 'read_committed' })
    .pipe(mergeAll(), map((m) => (seen++, m.done(), m.value!.toString())))
    .subscribe(values)
  try {
    return await all
  } finally {
    sub.unsubscribe()
  }
}

function exactlyOnce(values: readonly string[], count: number): { lost: number; duplicated: number } {
  const distinct = new Set(values)
  let lost = 0
  for (let i = 0; i < count; i++) if (!distinct.has(String(i))) lost++
  return { lost, duplicated: values.length - distinct.size }
}

async function until(what: string, check: () => boolean, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('transactionalWindow against Apache Kafka', () => {
  it('a window whose transform throws is aborted, its input read again, and every input is written once', async () => {
    const [input, output] = [uniqueName('tw-abort-in'), uniqueName('tw-abort-out')]
    await peer.createTopic(input, 2)
    await peer.createTopic(output, 2)
    await feed(input, 300)
    const kafka = newKafka()
    const results: TransactionalWindowResult[] = []
    let calls = 0
    const windows = kafka.consumeGroup({ groupId: uniqueName('tw-abort'), topics: [input], ...GROUP }).pipe(
      kafka.transactionalWindow({ transactionalId: uniqueName('tw-abort'), count: 50, timeMs: 50 }, (messages) => {
        calls++
        // The third window fails once: the transform throws.
        if (calls === 3) throw new Error('transform failed on purpose')
        return messages.map((m) => ({ topic: output, key: m.key, value: m.value }))
      }),
    )
    let error: unknown
    subscriptions.push(windows.subscribe({ next: (r) => results.push(r), error: (e: unknown) => (error = e) }))
    await until('300 messages committed', () => results.filter((r) => r.outcome === 'committed').reduce((n, r) => n + r.messages, 0) >= 300)
    expect(error).toBeUndefined()
    const aborted = results.filter((r) => r.outcome === 'aborted')
    expect(aborted).toHaveLength(1)
    expect(aborted[0]!.error?.code).toBe('TRANSACTION_ABORTED')
    expect((aborted[0]!.error?.cause as Error).message).toBe('transform failed on purpose')
    // The window after the abort is its first retry.
    expect(results[results.indexOf(aborted[0]!) + 1]!.attempt).toBe(1)
    expect(results.filter((r) => r.outcome === 'committed').reduce((n, r) => n + r.messages, 0)).toBe(300)
    expect(exactlyOnce(await readCommitted(output, 2), 300)).toEqual({ lost: 0, duplicated: 0 })
  })

  it('a window that produced and then failed in the transaction leaves nothing visible (an aborted write)', async () => {
    const [input, output] = [uniqueName('tw-write-in'), uniqueName('tw-write-out')]
    await peer.createTopic(input, 1)
    await peer.createTopic(output, 1)
    await feed(input, 100)
    const kafka = newKafka()
    const results: TransactionalWindowResult[] = []
    let calls = 0
    const windows = kafka.consumeGroup({ groupId: uniqueName('tw-write'), topics: [input], ...GROUP }).pipe(
      kafka.transactionalWindow({ transactionalId: uniqueName('tw-write'), count: 25, timeMs: 50 }, (messages) => {
        calls++
        const records = messages.map((m) => ({ topic: output, key: m.key, value: m.value }))
        // The second window adds a record the broker refuses (over message.max.bytes): its good records are aborted too.
        return calls === 2 ? [...records, { topic: output, value: Buffer.alloc(2 * 1024 * 1024) }] : records
      }),
    )
    subscriptions.push(windows.subscribe({ next: (r) => results.push(r) }))
    await until('100 messages committed', () => results.filter((r) => r.outcome === 'committed').reduce((n, r) => n + r.messages, 0) >= 100)
    expect(results.filter((r) => r.outcome === 'aborted').map((r) => r.error?.cause)).toEqual([expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' })])
    expect(exactlyOnce(await readCommitted(output, 1), 100)).toEqual({ lost: 0, duplicated: 0 })
  })

  it('a second member joining moves partitions; windows commit before the hand-over and nothing is lost or doubled', async () => {
    const [input, output, groupId] = [uniqueName('tw-rebalance-in'), uniqueName('tw-rebalance-out'), uniqueName('tw-rebalance')]
    await peer.createTopic(input, 4)
    await peer.createTopic(output, 4)
    const total = 3_000
    const committed = [0, 0]
    const start = (member: number): void => {
      const kafka = newKafka()
      const windows = kafka.consumeGroup({ groupId, topics: [input], ...GROUP }).pipe(
        kafka.transactionalWindow({ transactionalId: `${groupId}-${member}`, count: 50, timeMs: 20 }, (messages) =>
          messages.map((m) => ({ topic: output, key: m.key, value: m.value })),
        ),
      )
      subscriptions.push(windows.subscribe({
        next: (r) => {
          if (r.outcome === 'committed') committed[member]! += r.messages
        },
      }))
    }
    const feeder = newKafka().cluster
    start(0)
    // Input keeps coming for ~6 s, so the second member joins mid-stream and gets its share after the rebalance.
    const feeding = (async () => {
      for (let i = 0; i < total; i += 50) {
        await lastValueFrom(from(Array.from({ length: 50 }, (_, j) => ({ key: String(i + j), value: String(i + j) }))).pipe(produceTo(input, { client: feeder }), toArray()))
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    })()
    await until('the first member under way', () => committed[0]! >= 100)
    start(1)
    await feeding
    await until(`${total} messages committed`, () => committed[0]! + committed[1]! >= total, 60_000)
    expect(committed[1]).toBeGreaterThan(0)
    expect(committed[0]! + committed[1]!).toBe(total)
    expect(exactlyOnce(await readCommitted(output, 4), total)).toEqual({ lost: 0, duplicated: 0 })
  })

  it('a newer instance with the same transactionalId fences the older: its stream ends with TransactionFencedError', async () => {
    const [input, output, groupId] = [uniqueName('tw-fence-in'), uniqueName('tw-fence-out'), uniqueName('tw-fence')]
    await peer.createTopic(input, 1)
    await peer.createTopic(output, 1)
    await feed(input, 50)
    const transactionalId = uniqueName('tw-fence')
    const zombie = newKafka()
    let zombieError: unknown
    let zombieWindows = 0
    subscriptions.push(zombie.consumeGroup({ groupId, topics: [input], ...GROUP }).pipe(
      zombie.transactionalWindow({ transactionalId, count: 10, timeMs: 20 }, (messages) => messages.map((m) => ({ topic: output, value: m.value }))),
    ).subscribe({ next: () => zombieWindows++, error: (e: unknown) => (zombieError = e) }))
    await until('the first instance committing', () => zombieWindows >= 1)
    // The successor initialises the same id (as a restarted instance would); the old one's next call is refused.
    const successor = newKafka()
    await successor.transaction({ transactionalId }, () => undefined)
    await successor.transaction({ transactionalId }, (tx) => tx.send(output, [{ value: 'from the successor' }]))
    await feed(input, 20)
    await until('the old instance fenced', () => zombieError !== undefined)
    expect(zombieError).toBeInstanceOf(TransactionFencedError)
  })

  it('refuses an Observable that is not a consumer group, and a group that commits by itself, with typed errors', async () => {
    const kafka = newKafka()
    const error = await lastValueFrom(from([]).pipe(kafka.transactionalWindow({ transactionalId: 'x' }, () => []))).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(TransactionStateError)
    const committing = kafka.consumeGroup({ groupId: uniqueName('tw-commits'), topics: ['t'] })
    const refused = await lastValueFrom(committing.pipe(kafka.transactionalWindow({ transactionalId: 'y' }, () => []))).then(() => undefined, (e: unknown) => e)
    expect(refused).toBeInstanceOf(TransactionStateError)
    expect((refused as TransactionStateError).hint).toMatch(/commitIntervalMs: 0/)
  })
})
