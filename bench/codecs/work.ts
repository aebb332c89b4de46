/**
 * One fixed codec workload, run under callgrind by bench/codecs/instructions.ts:
 *   node --import tsx bench/codecs/work.ts <compression module> <codec id> <compress|decompress> <value bytes> <batch bytes> <iterations>
 */
import { pathToFileURL } from 'node:url'
import type { CompressionCodec } from '../../lib/protocol/compression/index.js'
import { RecordBatchBuilder, RECORD_BATCH_HEADER_BYTES } from '../../lib/protocol/records/index.js'
import { benchValues } from '../payload.js'

const [modulePath, codecId, op, valueBytes, batchBytes, iterations] = process.argv.slice(2)
const { getCodec } = (await import(pathToFileURL(modulePath!).href)) as { getCodec(id: number): CompressionCodec }
const codec = getCodec(Number(codecId))
const values = benchValues(Number(valueBytes))
const builder = new RecordBatchBuilder({ initialCapacity: Number(batchBytes) + 4096 })
for (let i = 0; builder.sizeInBytes < Number(batchBytes); i++) builder.append({ value: values[i % values.length]!, timestamp: 1_700_000_000_000 })
const input = Buffer.from(builder.seal().bytes.subarray(RECORD_BATCH_HEADER_BYTES))
const packed = codec.compress(input)
let sink = 0
for (let i = 0, n = Number(iterations); i < n; i++) sink += (op === 'decompress' ? codec.decompress(packed, input.length) : codec.compress(input)).length
process.stdout.write(`${input.length} ${sink}\n`)
