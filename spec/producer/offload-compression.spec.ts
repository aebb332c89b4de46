/**
 * `offloadCompression`: sealed batches compressed and checksummed on codec
 * worker threads, against both peers. Every message arrives once and in order
 * per partition (the batch waits in its queue while a worker has its bytes),
 * idempotent sequences included, and a worker that dies holding batches costs
 * nothing: the producer compresses those on its own thread.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lastValueFrom, map, mergeMap, range, take, tap, toArray } from 'rxjs'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { consumePartitions } from '../../lib/consumer/index.js'
import { produceTo } from '../../lib/producer/index.js'
import { acquireCodecPool, type CodecPoolLease } from '../../lib/workers/codec-pool.js'
import { PEERS, startPeer, uniqueName, type Peer } from '../support/peers.js'

const MESSAGES = 3_000
const PARTITIONS = 2

describe.each(PEERS)('offloadCompression against %s', (name) => {
  let peer: Peer
  let client: KafkaCluster
  beforeAll(async () => {
    peer = await startPeer(name)
    client = new KafkaCluster({ ...peer.clientConfig, clientId: 'offload-spec' })
  })
  afterAll(async () => {
    await client?.close()
    await peer?.stop()
  })

  /** Produces MESSAGES 1 KiB lz4 values (batches of about 128 KiB) with offloadCompression; reads them back. */
  async function roundTrip(lease: CodecPoolLease): Promise<{ values: Map<number, number[]>; offloadedDuring: number }> {
    const topic = uniqueName('offload')
    await peer.createTopic(topic, PARTITIONS)
    const before = lease.pool.stats().offloaded
    const results = await lastValueFrom(
      range(0, MESSAGES).pipe(
        map((i) => ({ key: `k${i % PARTITIONS}`, value: `${i}:`.padEnd(1024, 'x') })),
        produceTo(topic, { client, compression: 'lz4', acks: 'all', idempotent: true, batchBytes: 128 * 1024, lingerMs: 20, offloadCompression: true }),
        toArray(),
      ),
    )
    expect(results.filter((r) => r.error !== undefined)).toEqual([])
    const offloadedDuring = lease.pool.stats().offloaded - before
    const values = new Map<number, number[]>()
    await lastValueFrom(
      consumePartitions({ client, topic, from: 'earliest' }).pipe(
        mergeMap((p) => p),
        tap((m) => {
          const list = values.get(m.partition) ?? []
          list.push(Number(m.value!.toString().split(':')[0]))
          values.set(m.partition, list)
          m.done()
        }),
        take(MESSAGES),
      ),
    )
    return { values, offloadedDuring }
  }

  function expectOncePerPartitionInOrder(values: Map<number, number[]>): void {
    const all = [...values.values()].flat().sort((a, b) => a - b)
    expect(all).toEqual(Array.from({ length: MESSAGES }, (_, i) => i)) // none lost, none twice
    for (const list of values.values()) expect(list).toEqual([...list].sort((a, b) => a - b)) // in order per partition
  }

  it('compresses on workers, and every message arrives once, in order per partition', async () => {
    const lease = acquireCodecPool()
    try {
      await lease.pool.start() // until a worker is ready, batches are compressed on this thread
      const { values, offloadedDuring } = await roundTrip(lease)
      expect(offloadedDuring).toBeGreaterThan(0)
      expectOncePerPartitionInOrder(values)
    } finally {
      await lease.release()
    }
  })

  it('loses nothing when the worker dies holding batches: they are compressed on the calling thread', async () => {
    // A worker that says it is ready, then exits on its first task (with the batch's bytes).
    const lease = acquireCodecPool({
      workers: 1,
      workerCode: "const { parentPort } = require('node:worker_threads'); parentPort.postMessage({ ready: true }); parentPort.on('message', () => process.exit(3))",
    })
    try {
      await lease.pool.start()
      const { values, offloadedDuring } = await roundTrip(lease)
      expect(offloadedDuring).toBe(0)
      expect(lease.pool.stats().workerFailures).toBeGreaterThan(0)
      expectOncePerPartitionInOrder(values)
    } finally {
      await lease.release()
    }
  })
})
