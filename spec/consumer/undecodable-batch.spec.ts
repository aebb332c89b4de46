/**
 * A batch the consumer cannot decompress (a codec that fails, or none
 * registered for it) fails its substream with a typed error, on both peers.
 * Found against Apache Kafka: records are decompressed lazily, after the
 * eager decode, and a failure there was taken for a fetch error and the
 * batch fetched again forever, with no error on the stream.
 */
import { lastValueFrom, map, mergeMap, of, take, tap, timeout, toArray } from 'rxjs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { consumePartitions } from '../../lib/consumer/index.js'
import { consoleLogger } from '../../lib/logger.js'
import { CorruptRecordError, RxKafkaError } from '../../lib/errors/index.js'
import { createKafka } from '../../lib/kafka.js'
import { gzipCodec, registerCodec } from '../../lib/protocol/compression/index.js'
import { runKcat } from '../testing/mock-helpers.js'
import { PEERS, startPeer, uniqueName, type Peer } from '../support/peers.js'

describe.each(PEERS)('an undecompressable batch against %s', (name) => {
  let peer: Peer
  const clients: KafkaCluster[] = []
  beforeAll(async () => {
    peer = await startPeer(name)
  })
  afterEach(async () => {
    registerCodec(gzipCodec)
    for (const c of clients.splice(0)) await c.close()
  })
  afterAll(async () => {
    await peer?.stop()
  })

  it('fails its substream with a CorruptRecordError naming the codec, instead of fetching it again forever', async () => {
    const topic = uniqueName('undecompressable')
    await peer.createTopic(topic, 1)
    // Compressible values: librdkafka sends a batch uncompressed when compression would not make it smaller.
    const produced = await runKcat(['-P', '-b', peer.bootstrap, '-t', topic, '-p', '0', '-z', 'gzip'], `${'one'.repeat(500)}\n${'two'.repeat(500)}\n`)
    expect(produced.code).toBe(0)
    let calls = 0
    registerCodec({
      id: gzipCodec.id,
      name: 'gzip',
      compress: gzipCodec.compress,
      decompress: () => {
        calls++
        throw new Error('this codec is broken')
      },
    })
    const client = new KafkaCluster({ ...peer.clientConfig, clientId: 'undecompressable-spec', logger: consoleLogger('silent') })
    clients.push(client)
    const error = await lastValueFrom(
      consumePartitions({ client, topic, from: 'earliest' }).pipe(mergeMap((partition$) => partition$), tap((m) => m.done()), take(2), toArray(), timeout(20_000)),
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CorruptRecordError)
    expect((error as CorruptRecordError).message).toContain('gzip-compressed records do not decompress')
    expect((error as CorruptRecordError).partition).toBe(0)
    expect(calls).toBe(1)
  })

  it("with undecodableBatch: 'skip', steps past the batch with a warning on errors$ naming its offsets, and reads on", async () => {
    const topic = uniqueName('poison-skip')
    await peer.createTopic(topic, 1)
    const producer = createKafka({ ...peer.clientConfig, clientId: 'poison-skip-producer', logger: consoleLogger('silent') })
    try {
      // Three batches: plain, gzip (the poison once the codec is broken), plain.
      await lastValueFrom(of({ value: 'good-0', partition: 0 }).pipe(producer.produceTo(topic)))
      await lastValueFrom(of({ value: 'bad'.repeat(500), partition: 0 }, { value: 'bad'.repeat(500), partition: 0 }).pipe(producer.produceTo(topic, { compression: 'gzip', lingerMs: 50 })))
      await lastValueFrom(of({ value: 'good-3', partition: 0 }).pipe(producer.produceTo(topic)))
    } finally {
      await producer.close()
    }
    registerCodec({
      id: gzipCodec.id,
      name: 'gzip',
      compress: gzipCodec.compress,
      decompress: () => {
        throw new Error('this codec is broken')
      },
    })
    const client = new KafkaCluster({ ...peer.clientConfig, clientId: 'poison-skip-spec', logger: consoleLogger('silent') })
    clients.push(client)
    const reader = consumePartitions({ client, topic, from: 'earliest', undecodableBatch: 'skip' })
    const warnings: RxKafkaError[] = []
    reader.errors$.subscribe((e) => warnings.push(e))
    const read = await lastValueFrom(
      reader.pipe(mergeMap((partition$) => partition$), tap((m) => m.done()), map((m) => `${m.offset}:${m.value?.toString()}`), take(2), toArray(), timeout(20_000)),
    )
    expect(read).toEqual(['0:good-0', '3:good-3'])
    const skipped = warnings.filter((w) => w.code === 'CORRUPT_RECORD')
    expect(skipped).toHaveLength(1)
    expect(skipped[0]!.message).toContain('skipped the batch at offsets 1-2')
    expect(skipped[0]!.message).toContain('gzip-compressed records do not decompress')
    expect([skipped[0]!.topic, skipped[0]!.partition, skipped[0]!.offset]).toEqual([topic, 0, 1n])
  })
})
