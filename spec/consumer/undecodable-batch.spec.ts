/**
 * A batch the consumer cannot decompress (a codec that fails, or none
 * registered for it) fails its substream with a typed error, on both peers.
 * Found against Apache Kafka: records are decompressed lazily, after the
 * eager decode, and a failure there was taken for a fetch error and the
 * batch fetched again forever, with no error on the stream.
 */
import { lastValueFrom, mergeMap, take, tap, timeout, toArray } from 'rxjs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { consumePartitions } from '../../lib/consumer/index.js'
import { consoleLogger } from '../../lib/logger.js'
import { CorruptRecordError } from '../../lib/errors/index.js'
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
})
