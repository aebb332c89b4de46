/**
 * Errors that fit: each states every location once, carries one hint that
 * fits it alone, and send() does not talk about errorMode; illegal topic
 * names are refused before anything is sent.
 */
import { describe, expect, it } from 'vitest'
import { from, lastValueFrom, map, of, toArray } from 'rxjs'
import { OperatorOptionError, ProducerDeliveryError, ProducerInputError } from '../../lib/errors/index.js'
import type { RxKafkaError } from '../../lib/errors/index.js'
import { topicNameProblem } from '../../lib/index.js'
import { ErrorCode } from '../../lib/protocol/error-codes.js'
import { produce, produceTo, send } from '../../lib/producer/index.js'
import { ProducerCluster } from './producer-cluster.js'

const count = (text: string, part: string): number => text.split(part).length - 1

describe('producer errors that fit', () => {
  it("send(): the rejection states each location once and its hint is the cause's, not errorMode's", async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1] }, produce: (call) => of(client.successFor(call, { 't/0': ErrorCode.INVALID_TIMESTAMP })) })
    const error = (await send(client, 't', { value: 'x' }).catch((e: unknown) => e)) as ProducerDeliveryError
    expect(error).toBeInstanceOf(ProducerDeliveryError)
    expect(error.code).toBe('INVALID_TIMESTAMP')
    expect(error.message).not.toMatch(/errorMode/)
    expect(count(error.message, 'topic t')).toBe(1)
    expect(count(error.message, 'partition 0')).toBe(1)
    expect(count(error.message, 'broker 1')).toBe(1)
    expect(error.hint).toBe((error.cause as RxKafkaError).hint)
    expect(error.hint).toMatch(/timestamp/)
    await client.close()
  })

  it('produceTo, errorMode stream: each location once, and one hint (how to keep going)', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1] }, produce: (call) => of(client.successFor(call, { 't/0': ErrorCode.INVALID_TIMESTAMP })) })
    const error = (await lastValueFrom(of({ value: 'x' }).pipe(produceTo('t', { client }))).catch((e: unknown) => e)) as ProducerDeliveryError
    expect(error).toBeInstanceOf(ProducerDeliveryError)
    expect(count(error.message, 'topic t')).toBe(1)
    expect(count(error.message, 'partition 0')).toBe(1)
    expect(error.hint).toMatch(/errorMode: "result"/)
    expect(count(error.message, error.hint!)).toBe(1)
    // The cause's own hint is on the cause, not repeated in this message.
    expect(error.message).not.toContain((error.cause as RxKafkaError).hint!)
    await client.close()
  })

  it('input errors carry the hint for their own mistake', async () => {
    const client = new ProducerCluster({ topics: { t: [1] } })
    const results = await lastValueFrom(from([
      { value: undefined as unknown as string, metadata: 'no value' },
      { value: 42 as unknown as string, metadata: 'a number' },
      { value: 'x', headers: 7 as unknown as Record<string, string>, metadata: 'bad headers' },
    ]).pipe(produceTo<string>('t', { client, errorMode: 'result' }), toArray()))
    const hints = Object.fromEntries(results.map((r) => [r.metadata, (r.error as ProducerInputError).hint]))
    expect(results.every((r) => r.error instanceof ProducerInputError)).toBe(true)
    expect(hints['no value']).toMatch(/Give the message a value/)
    expect(hints['no value']).not.toMatch(/serializer|partitioner/i)
    expect(hints['a number']).toMatch(/valueSerializer/)
    expect(hints['a number']).not.toMatch(/partitioner/i)
    expect(hints['bad headers']).toMatch(/headers/)
    expect(hints['bad headers']).not.toMatch(/serializer|partitioner/i)
    await client.close()
  })
})

describe('illegal topic names are refused before anything is sent', () => {
  const illegal = ['', '.', '..', 'my topic', 'orders/eu', 'ünïcode', 'a'.repeat(250)]

  it.each(illegal)('produceTo(%j) throws an OperatorOptionError naming the rule', (name) => {
    const client = new ProducerCluster({ topics: { t: [1] } })
    expect(() => produceTo(name, { client })).toThrow(OperatorOptionError)
    expect(() => produceTo(name, { client })).toThrow(/topic name is 1 to 249 characters/)
  })

  it('legal names pass: 249 characters, dots, dashes, underscores', () => {
    for (const name of ['a'.repeat(249), '...', 'a.b-c_D9', '__consumer-like']) expect(topicNameProblem(name)).toBeUndefined()
    expect(topicNameProblem('my topic')).toMatch(/contains " "/)
  })

  it('produce() fails a message with an illegal topic alone, without a request; send() rejects', async () => {
    const client = new ProducerCluster({ topics: { t: [1] } })
    const results = await lastValueFrom(from(['t', 'bad topic', '..', 't']).pipe(
      map((topic, i) => ({ topic, value: `m${i}`, metadata: i })),
      produce<number>({ client, errorMode: 'result' }),
      toArray(),
    ))
    const failed = results.filter((r) => r.error !== undefined)
    expect(failed.map((r) => r.metadata).sort()).toEqual([1, 2])
    expect(failed.every((r) => r.error instanceof ProducerInputError && /topic name/.test(r.error.message))).toBe(true)
    expect(results.filter((r) => r.error === undefined).map((r) => r.metadata).sort()).toEqual([0, 3])
    const asked = client.of('Metadata').flatMap((r) => ((r.body as { topics: { name: string }[] | null }).topics ?? []).map((t) => t.name))
    expect(asked).not.toContain('bad topic')
    expect(asked).not.toContain('..')
    const rejected = await send(client, 'no/slash', { value: 'x' }).catch((e: unknown) => e)
    expect((rejected as RxKafkaError).code).toBe('PRODUCER_INPUT')
    await client.close()
  })
})
