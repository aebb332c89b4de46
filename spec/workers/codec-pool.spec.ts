/**
 * The codec worker pool: what workers return is what the calling thread
 * computes, every fallback to the calling thread happens where documented and
 * is counted, typed errors survive the hand-off, a dying worker loses nothing
 * that can be redone and fails what cannot with a typed error, and no worker
 * outlives the pool (nor keeps the process alive while idle).
 */
import { spawnSync } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { CompressionError, DecompressedSizeExceededError, lz4Codec, registerCodec, zstdAvailable, type CompressionCodecName } from '../../lib/protocol/compression/index.js'
import { RecordBatchBuilder, compressRecords, decodeRecordBatches, sealRecords, type UnsealedRecords } from '../../lib/protocol/records/index.js'
import { CodecPool, CodecWorkerError, acquireCodecPool } from '../../lib/workers/codec-pool.js'

const ids: Record<CompressionCodecName, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }
const codecs: CompressionCodecName[] = ['gzip', 'snappy', 'lz4', ...(zstdAvailable() ? (['zstd'] as const) : [])]

function records(count: number, seed = 0): UnsealedRecords {
  const builder = new RecordBatchBuilder()
  for (let i = 0; i < count; i++) builder.append({ key: `k${(i + seed) % 13}`, value: `{"n":${i + seed},"pad":"${'p'.repeat(i % 60)}"}`, timestamp: 1_700_000_000_000 + i })
  return builder.takeRecords()
}

const pools: CodecPool[] = []
/** A pool whose workers are ready, so the counts below do not depend on how fast a thread starts. */
async function pool(options: ConstructorParameters<typeof CodecPool>[0]): Promise<CodecPool> {
  const p = new CodecPool(options)
  pools.push(p)
  await p.start()
  return p
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()))
  registerCodec(lz4Codec)
})

describe('work done by workers equals work done here', () => {
  for (const codec of codecs) {
    it(`${codec}: compress + CRC on a worker seals the same batch; decompress on a worker gives the records back`, async () => {
      const p = await pool({ workers: 1, minBytes: 0 })
      const here = records(2000, 1)
      const expected = sealRecords(here, compressRecords(ids[codec], here.buffer, here.end), { producerId: 9n, producerEpoch: 1, baseSequence: 5 })
      const there = records(2000, 1)
      const compressed = await p.compress(ids[codec], there)
      expect(there.buffer.length).toBe(0) // transferred: the memory went to the worker
      const sealed = sealRecords(there, compressed, { producerId: 9n, producerEpoch: 1, baseSequence: 5 })
      expect(sealed.bytes.equals(expected.bytes)).toBe(true)
      const decompressed = await p.decompress(ids[codec], sealed.bytes.subarray(61), 64 << 20)
      expect(decompressed.equals(here.buffer.subarray(61, here.end))).toBe(true)
      expect(p.stats().offloaded).toBe(2)
      expect(decodeRecordBatches(sealed.bytes, { topic: 't', partition: 0 }).batches[0]!.records()).toHaveLength(2000)
    })
  }

  it('many batches at once over two workers: every result is the right one', async () => {
    const p = await pool({ workers: 2, minBytes: 0, maxPending: 64 })
    const inputs = Array.from({ length: 40 }, (_, i) => records(200 + i * 10, i))
    const expected = inputs.map((_, i) => {
      const r = records(200 + i * 10, i)
      return compressRecords(3, r.buffer, r.end)
    })
    const results = await Promise.all(inputs.map((r) => p.compress(3, r)))
    results.forEach((result, i) => {
      expect(result.bytes.subarray(61).equals(expected[i]!.bytes.subarray(61))).toBe(true)
      expect(result.recordsCrc).toBe(expected[i]!.recordsCrc)
    })
    expect(p.stats().offloaded).toBe(40)
    expect(p.stats().workers).toBe(2)
  })
})

describe('falling back to the calling thread', () => {
  it('small batches, a full queue, no workers, a user-registered codec and a closed pool run here, counted', async () => {
    const lazy = new CodecPool({ workers: 1 })
    pools.push(lazy)
    await lazy.compress(3, records(10))
    expect(lazy.stats().inline.small).toBe(1)
    expect(lazy.stats().workers).toBe(0) // a small batch starts no worker

    const starting = new CodecPool({ workers: 1, minBytes: 0 })
    pools.push(starting)
    await starting.compress(3, records(300)) // the worker is not ready yet: done here, not lost
    expect(starting.stats().inline.starting).toBe(1)

    const busy = await pool({ workers: 1, maxPending: 1, minBytes: 0 })
    await Promise.all(Array.from({ length: 5 }, (_, i) => busy.compress(3, records(300, i))))
    expect(busy.stats().offloaded).toBe(1)
    expect(busy.stats().inline.busy).toBe(4)

    const none = await pool({ workers: 0, minBytes: 0 })
    await none.compress(3, records(300))
    expect(none.stats().inline.noWorker).toBe(1)

    const custom = await pool({ workers: 1, minBytes: 0 })
    registerCodec({ ...lz4Codec, compressWithHeadroom: undefined })
    await custom.compress(3, records(300))
    expect(custom.stats().inline.codec).toBe(1)
    registerCodec(lz4Codec)

    const closed = await pool({ workers: 1, minBytes: 0 })
    await closed.close()
    const r = records(300)
    const compressed = await closed.compress(3, r)
    expect(compressed.bytes.length).toBeGreaterThan(61)
    expect(closed.stats().inline.closed).toBe(1)
  })
})

describe('errors', () => {
  it('a codec error on a worker arrives as the same typed error', async () => {
    const p = await pool({ workers: 1, minBytes: 0 })
    const bomb = lz4Codec.compress(Buffer.alloc(1 << 20, 1))
    await expect(p.decompress(3, bomb, 1000)).rejects.toBeInstanceOf(DecompressedSizeExceededError)
    await expect(p.decompress(3, Buffer.alloc(100_000, 7), 1 << 20)).rejects.toBeInstanceOf(CompressionError)
    expect(p.stats().inline.redone).toBe(2)
  })

  it('a worker that dies: decompressions are redone here, compressions fail with CodecWorkerError; later work still gets done', async () => {
    const p = await pool({ workers: 1, minBytes: 0, maxPending: 100 })
    const input = records(5000)
    const packed = compressRecords(3, input.buffer, input.end).bytes.subarray(61)
    const decompressions = Array.from({ length: 10 }, () => p.decompress(3, packed, 64 << 20))
    const compressions = Array.from({ length: 10 }, (_, i) => p.compress(3, records(3000, i)).then(() => 'done', (e: unknown) => e))
    await p.threads[0]!.terminate()
    for (const d of await Promise.all(decompressions)) expect(d.equals(input.buffer.subarray(61, input.end))).toBe(true)
    const outcomes = await Promise.all(compressions)
    // Each compression either finished before the worker stopped or failed, typed: none is lost or left pending.
    for (const outcome of outcomes) if (outcome !== 'done') expect(outcome).toBeInstanceOf(CodecWorkerError)
    expect(p.stats().workerFailures).toBe(1)
    const after = await p.compress(3, records(300))
    expect(after.bytes.length).toBeGreaterThan(61)
    expect(p.stats().pending).toBe(0)
  })
})

describe('a worker that cannot start', () => {
  it('loses no batch: tasks run here until a worker is ready, and after three failed starts the pool stops trying', async () => {
    const p = new CodecPool({ workers: 1, minBytes: 0, workerCode: 'throw new Error("this worker cannot load its codecs")' })
    pools.push(p)
    const first = await p.compress(3, records(300)) // sent while the worker starts: done here
    expect(first.bytes.length).toBeGreaterThan(61)
    for (let i = 0; i < 3; i++) await p.start()
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => p.compress(3, records(300, i))))
    expect(results.every((r) => r.bytes.length > 61)).toBe(true)
    expect(p.stats().workerFailures).toBe(3)
    expect(p.stats().offloaded).toBe(0)
    expect(p.stats().inline.starting + p.stats().inline.noWorker).toBe(6)
    expect(p.stats().inline.noWorker).toBe(5)
    expect(p.stats().lastError).toMatch(/cannot load its codecs/)
  })
})

describe('teardown', () => {
  it('close() lets tasks in flight finish, then no worker is left', async () => {
    const p = await pool({ workers: 2, minBytes: 0 })
    const tasks = Array.from({ length: 6 }, (_, i) => p.compress(1, records(2000, i)))
    const threads = [...p.threads]
    expect(threads.length).toBe(2)
    const exited = threads.map((t) => new Promise<number>((resolve) => t.once('exit', resolve)))
    await p.close()
    expect((await Promise.all(tasks)).every((t) => t.bytes.length > 61)).toBe(true)
    await Promise.all(exited)
    expect(p.stats().workers).toBe(0)
  })

  it('the shared pool closes when its last lease is released', async () => {
    const a = acquireCodecPool({ workers: 1, minBytes: 0 })
    const b = acquireCodecPool()
    expect(b.pool).toBe(a.pool)
    await a.pool.start()
    await a.pool.compress(3, records(300))
    await a.release()
    await a.release() // idempotent: does not take b's share
    await b.pool.compress(3, records(300))
    expect(b.pool.stats().inline.closed).toBe(0)
    await b.release()
    await b.pool.compress(3, records(300))
    expect(b.pool.stats().inline.closed).toBe(1)
    expect(b.pool.stats().workers).toBe(0)
    const c = acquireCodecPool()
    expect(c.pool).not.toBe(a.pool) // a new pool for a new user
    await c.release()
  })

  it('an idle pool that was never closed does not keep the process alive', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'spec/workers/idle-pool-child.ts'], { encoding: 'utf8', timeout: 60_000 })
    expect(child.error).toBeUndefined()
    expect(child.status).toBe(0)
    expect(child.stdout).toMatch(/offloaded 1 workers 1/)
  })
})
