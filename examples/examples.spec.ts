/**
 * Every example, run against both peers (the mock cluster and the shared
 * Apache Kafka), so none of them rots.
 */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { firstValueFrom, lastValueFrom, map, range, Subject, take, toArray, mergeMap, filter } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKafka, silentLogger, type Kafka } from 'rxkafka'
import { PEERS, startPeer, uniqueName, type Peer } from '../spec/support/peers.js'
import { groupLag } from '../lib/cli/lag.js'
import { guarded, flakyDownstream } from './circuit-breaker.js'
import { consumeTransformProduce } from './consume-transform-produce.js'
import { runUntilStopped } from './graceful-shutdown.js'
import { freshOnly } from './max-message-age.js'
import { outOfOrder } from './out-of-order-done.js'
import { produceLines } from './produce-lines.js'
import { quickStart } from './quick-start.js'

/** The peer of the describe block running now (blocks run one after another). */
let peer: Peer
let kafka: Kafka

/** Retries an assertion until it passes or about 5 s have gone (commits travel asynchronously). */
async function eventually(check: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await check()
      return
    } catch (error) {
      if (attempt >= 100) throw error
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}

async function freshTopic(partitions = 3): Promise<string> {
  const name = uniqueName('example')
  await peer.createTopic(name, partitions)
  return name
}

async function produceValues(topic: string, values: string[], timestamp?: number): Promise<void> {
  await lastValueFrom(
    range(0, values.length).pipe(
      map((i) => ({ key: `k${i}`, value: values[i]!, ...(timestamp === undefined ? {} : { timestamp }) })),
      kafka.produceTo(topic),
      toArray(),
    ),
  )
}

describe.each(PEERS)('examples against %s', (name) => {
  beforeAll(async () => {
    peer = await startPeer(name)
    kafka = createKafka({ ...peer.clientConfig, clientId: 'examples', logger: silentLogger })
  })
  afterAll(async () => {
    await kafka?.close()
    await peer?.stop()
  })

  it('quick-start: what is produced is read back by a new group, from the beginning', async () => {
    const topic = await freshTopic()
    const orders = [1, 2, 3].map((n) => ({ id: `order-${n}`, customerId: `customer-${n % 2}`, amount: n }))
    const read = await quickStart(kafka, topic, 'quick-start-spec', orders)
    expect(read.map((o) => o.id).sort()).toEqual(['order-1', 'order-2', 'order-3'])
    await eventually(async () => {
      const lag = await groupLag(kafka, 'quick-start-spec', [topic])
      expect(lag.reduce((sum, p) => sum + p.lag, 0n)).toBe(0n) // committed on unsubscribe
    })
  })

  it('produce-lines: every line of a file and of an HTTP body arrives, in order', async () => {
    const topic = await freshTopic(1)
    const dir = mkdtempSync(join(tmpdir(), 'rxkafka-lines-'))
    const file = join(dir, 'lines.txt')
    writeFileSync(file, 'alpha\nbeta\ngamma\n')
    const server: Server = createServer((_req, res) => res.end('delta\nepsilon\n'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      expect(await produceLines(kafka, topic, file)).toBe(3)
      expect(await produceLines(kafka, topic, `http://127.0.0.1:${(server.address() as { port: number }).port}/`)).toBe(2)
      const read = await firstValueFrom(
        kafka.consumePartitions({ topic, from: 'earliest' }).pipe(mergeMap((p) => p), take(5), map((m) => m.value!.toString()), toArray()),
      )
      expect(read).toEqual(['alpha', 'beta', 'gamma', 'delta', 'epsilon'])
    } finally {
      server.close()
      rmSync(dir, { recursive: true })
    }
  })

  it('consume-transform-produce: every input becomes one enriched output, and inputs are committed', async () => {
    const input = await freshTopic()
    const output = await freshTopic()
    const orders = Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: i, amount: i * 10 }))
    await produceValues(input, orders)
    const results = await firstValueFrom(consumeTransformProduce(kafka, input, output, 'enricher').pipe(take(30), toArray()))
    expect(results.every((r) => r.error === undefined)).toBe(true)
    const outputs = await firstValueFrom(
      kafka.consumePartitions({ topic: output, from: 'earliest' }).pipe(mergeMap((p) => p), take(30), map((m) => JSON.parse(m.value!.toString()) as { id: number; amountWithTax: number }), toArray()),
    )
    expect(outputs.map((o) => o.id).sort((a, b) => a - b)).toEqual(orders.map((_, i) => i))
    expect(outputs.find((o) => o.id === 5)!.amountWithTax).toBe(60)
    await eventually(async () => {
      const lag = await groupLag(kafka, 'enricher', [input])
      expect(lag.reduce((sum, r) => sum + r.lag, 0n)).toBe(0n)
    })
  })

  it('out-of-order-done: handlers finish out of order, yet the commit never passes an unfinished message', async () => {
    const topic = await freshTopic(2)
    await produceValues(topic, Array.from({ length: 40 }, (_, i) => `m${i}`))
    const lines: string[] = []
    const sub = outOfOrder(kafka, topic, 'ooo').subscribe((line) => lines.push(line))
    try {
      for (let i = 0; i < 200 && lines.length < 40; i++) await new Promise((r) => setTimeout(r, 25))
      expect(lines.length).toBe(40)
      // a line is emitted just before its handler completes and marks the message done
      await new Promise((r) => setTimeout(r, 50))
    } finally {
      sub.unsubscribe() // commits the done prefix and leaves
    }
    const order = lines.map((l) => Number(/:(\d+) /.exec(l)![1]))
    expect(order).not.toEqual([...order].sort((a, b) => a - b)) // they really did finish out of order
    await eventually(async () => {
      const lag = await groupLag(kafka, 'ooo', [topic])
      expect(lag.reduce((sum, r) => sum + r.lag, 0n)).toBe(0n) // all done, so the whole prefix is committed
    })
  })

  it('max-message-age: a partition lagging behind old messages jumps to the newest', async () => {
    const topic = await freshTopic(1)
    await produceValues(topic, ['old-1', 'old-2', 'old-3'], Date.now() - 3_600_000)
    const fresh$ = freshOnly(kafka, topic, 'fresh', 60_000)
    const received: string[] = []
    const sub = fresh$.subscribe((m) => received.push(m.value!.toString()))
    try {
      // after the jump to the end, only messages produced from now on arrive
      for (let i = 0; i < 100 && received.length === 0; i++) {
        await produceValues(topic, [`new-${i}`])
        await new Promise((r) => setTimeout(r, 50))
      }
      expect(received.length).toBeGreaterThan(0)
      expect(received.some((v) => v.startsWith('old'))).toBe(false)
    } finally {
      sub.unsubscribe()
    }
  })

  it('circuit-breaker: opens while the downstream is down, closes when it is back, and skips nothing', async () => {
    const topic = await freshTopic(1)
    await produceValues(topic, Array.from({ length: 10 }, (_, i) => `m${i}`))
    let calls = 0
    const down = () => {
      calls++
      return calls > 3 && calls <= 8 // a few successes, then an outage, then back
    }
    const { delivered$, state$ } = guarded(kafka, topic, 'guarded', flakyDownstream(down))
    const states: string[] = []
    const stateSub = state$.subscribe((s) => states.push(s))
    try {
      const delivered = await firstValueFrom(delivered$.pipe(take(10), toArray()))
      expect(delivered).toEqual(Array.from({ length: 10 }, (_, i) => `stored 0:${i}`))
      expect(states).toContain('open')
      expect(states.at(-1)).toBe('closed')
    } finally {
      stateSub.unsubscribe()
    }
  })

  it('graceful-shutdown: after the signal, what was taken finishes, is committed, and the group is left', async () => {
    const topic = await freshTopic(1)
    await produceValues(topic, Array.from({ length: 20 }, (_, i) => `m${i}`))
    const stop$ = new Subject<void>()
    const seen: bigint[] = []
    await runUntilStopped(kafka, topic, 'workers', stop$, (m) => {
      seen.push(m.offset)
      if (seen.length === 5) stop$.next()
    })
    // everything processed is committed; nothing beyond it
    await eventually(async () => {
      const lag = await groupLag(kafka, 'workers', [topic])
      expect(lag[0]!.committed).toBe(BigInt(seen.length))
    })
    expect(seen).toEqual(seen.map((_, i) => BigInt(i)))
    // the member left: a new member gets the partition at once and starts after the commit
    await produceValues(topic, ['after-restart'])
    const next = await firstValueFrom(
      kafka.consumeGroup({ groupId: 'workers', topics: [topic] }).pipe(mergeMap((p) => p), filter(() => true), take(1)),
    )
    expect(next.offset).toBe(BigInt(seen.length))
  })
})
