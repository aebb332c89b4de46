// Run by codec-pool.spec.ts in a child process: a pool that did work and was never closed must not keep the process alive.
import { CodecPool } from '../../lib/workers/codec-pool.js'
import { RecordBatchBuilder } from '../../lib/protocol/records/index.js'

const pool = new CodecPool({ workers: 1, minBytes: 0 })
const builder = new RecordBatchBuilder()
for (let i = 0; i < 100; i++) builder.append({ value: `v${i}`, timestamp: 1 })
await pool.start()
const compressed = await pool.compress(3, builder.takeRecords())
process.stdout.write(`compressed ${compressed.bytes.length} offloaded ${pool.stats().offloaded} workers ${pool.stats().workers}\n`)
// No close(): the event loop must empty by itself.
