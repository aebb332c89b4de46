/**
 * Protocol benchmark: encoding and decoding RecordBatch v2 for 100-byte and
 * 1 KiB records, uncompressed and with each codec, in 16 KiB and 1 MiB
 * batches; plus CRC-32C throughput. Each cell is the median of several runs,
 * as a rate per CPU-second of this process, because on a shared machine a
 * wall-clock rate mostly measures the other tenants (the headline line gives both).
 *
 *   npm run bench:protocol              # full table
 *   npm run bench:protocol -- --quick   # fewer runs, smaller volumes
 *
 * Record values are JSON-like text (compressible, as real payloads tend to be),
 * 1024 distinct values cycled; keys are short strings on every record; each
 * record carries an explicit timestamp (one `Date.now()` per batch, not per
 * record), as a producer that stamps at send time would. MB/s counts key and
 * value bytes (the payload), not batch overhead.
 */
import { cpus, loadavg } from 'node:os'
import { zstdAvailable, type CompressionCodecName } from '../../lib/protocol/compression/index.js'
import { RecordBatchBuilder, crc32c, decodeRecordBatches, type ProducerRecord } from '../../lib/protocol/records/index.js'

const quick = process.argv.includes('--quick')
const RUNS = quick ? 3 : 7
const context = { topic: 'bench', partition: 0 }

/**
 * Seconds of CPU time this process used (user + system) since `start`. On a shared
 * machine wall-clock rates mostly measure the neighbours; CPU time measures us.
 */
function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1e6
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[sorted.length >> 1]!
}

function makeValue(size: number, seed: number): Buffer {
  let text = ''
  let n = seed
  while (text.length < size) {
    n = (n * 1103515245 + 12345) & 0x7fffffff
    text += `{"id":${n % 100000},"user":"user-${n % 977}","event":"${['click', 'view', 'buy', 'scroll'][n % 4]}","amount":${(n % 10000) / 100}},`
  }
  return Buffer.from(text.slice(0, size))
}

function makeRecords(valueBytes: number): ProducerRecord[] {
  return Array.from({ length: 1024 }, (_, i) => ({ key: `key-${i % 97}`, value: makeValue(valueBytes, i + 1), timestamp: 0 }))
}

function payloadBytes(record: ProducerRecord): number {
  return ((record.key as string | undefined)?.length ?? 0) + (record.value as Buffer).length
}

interface Measurement {
  /** Per CPU-second. */
  recordsPerSecond: number
  /** Per CPU-second. */
  megabytesPerSecond: number
  /** Per wall-clock second. */
  wallRecordsPerSecond: number
  ratio: number
}

/** Encodes `totalRecords` records into batches of `batchBytes`, sealing each with `compression`. */
function encodeRun(records: ProducerRecord[], totalRecords: number, batchBytes: number, compression: CompressionCodecName, keep = false) {
  let payload = 0
  let uncompressed = 0
  let compressed = 0
  const sealed: Buffer[] = []
  const started = process.hrtime.bigint()
  const cpuStart = process.cpuUsage()
  let builder = new RecordBatchBuilder({ initialCapacity: batchBytes + 2048 })
  let timestamp = Date.now()
  for (let i = 0; i < totalRecords; i++) {
    const template = records[i & 1023]!
    template.timestamp = timestamp
    builder.append(template)
    payload += payloadBytes(template)
    if (builder.sizeInBytes >= batchBytes) {
      const batch = builder.seal({ compression })
      uncompressed += batch.uncompressedBytes
      compressed += batch.compressedBytes
      // Keeping batches alive would charge the encode timing with the GC work they cause.
      if (keep) sealed.push(batch.bytes)
      builder = new RecordBatchBuilder({ initialCapacity: batchBytes + 2048 })
      timestamp = Date.now()
    }
  }
  if (builder.count > 0) {
    const batch = builder.seal({ compression })
    uncompressed += batch.uncompressedBytes
    compressed += batch.compressedBytes
    if (keep) sealed.push(batch.bytes)
  }
  const cpuSeconds = cpuSecondsSince(cpuStart)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  return { seconds, cpuSeconds, payload, ratio: compressed / uncompressed, sealed }
}

function measureEncode(records: ProducerRecord[], totalRecords: number, batchBytes: number, compression: CompressionCodecName): Measurement {
  encodeRun(records, Math.min(totalRecords, 20_000), batchBytes, compression) // warm-up
  const rates: number[] = []
  const throughputs: number[] = []
  const wallRates: number[] = []
  let ratio = 1
  for (let run = 0; run < RUNS; run++) {
    const result = encodeRun(records, totalRecords, batchBytes, compression)
    rates.push(totalRecords / result.cpuSeconds)
    throughputs.push(result.payload / result.cpuSeconds / 1e6)
    wallRates.push(totalRecords / result.seconds)
    ratio = result.ratio
  }
  return { recordsPerSecond: median(rates), megabytesPerSecond: median(throughputs), wallRecordsPerSecond: median(wallRates), ratio }
}

function measureDecode(records: ProducerRecord[], totalRecords: number, batchBytes: number, compression: CompressionCodecName): Measurement {
  const { sealed, payload } = encodeRun(records, totalRecords, batchBytes, compression, true)
  // Group batches into ~1 MiB fetch responses (max.partition.fetch.bytes' default), as a
  // consumer sees them, and let each response's records go before decoding the next.
  const responses: Buffer[] = []
  for (let i = 0; i < sealed.length; ) {
    const group: Buffer[] = []
    let size = 0
    while (i < sealed.length && (group.length === 0 || size + sealed[i]!.length <= 1024 * 1024)) {
      size += sealed[i]!.length
      group.push(sealed[i++]!)
    }
    responses.push(Buffer.concat(group))
  }
  const decodeAll = (): number => {
    let count = 0
    for (const response of responses) {
      for (const batch of decodeRecordBatches(response, context).batches) count += batch.records().length
    }
    return count
  }
  decodeAll() // warm-up
  const rates: number[] = []
  const throughputs: number[] = []
  const wallRates: number[] = []
  for (let run = 0; run < RUNS; run++) {
    const started = process.hrtime.bigint()
    const cpuStart = process.cpuUsage()
    const count = decodeAll()
    const cpuSeconds = cpuSecondsSince(cpuStart)
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    if (count !== totalRecords) throw new Error(`decoded ${count} records, expected ${totalRecords}`)
    rates.push(count / cpuSeconds)
    throughputs.push(payload / cpuSeconds / 1e6)
    wallRates.push(count / seconds)
  }
  return { recordsPerSecond: median(rates), megabytesPerSecond: median(throughputs), wallRecordsPerSecond: median(wallRates), ratio: 1 }
}

function formatRate(value: number): string {
  return value >= 1e6 ? `${(value / 1e6).toFixed(2)} M` : `${(value / 1e3).toFixed(0)} k`
}

function measureCrc(): number {
  const bytes = makeValue(1 << 20, 3)
  for (let i = 0; i < 20; i++) crc32c(bytes)
  const rates: number[] = []
  for (let run = 0; run < RUNS; run++) {
    const started = process.hrtime.bigint()
    for (let i = 0; i < 50; i++) crc32c(bytes)
    rates.push((50 * bytes.length) / (Number(process.hrtime.bigint() - started) / 1e9) / 1e6)
  }
  return median(rates)
}

const codecs: CompressionCodecName[] = ['none', 'gzip', 'snappy', 'lz4', ...(zstdAvailable() ? (['zstd'] as const) : [])]
const recordSizes = [100, 1024]
const batchSizes = [16 * 1024, 1024 * 1024]

console.log(`# rxkafka protocol benchmark`)
console.log(`Node ${process.versions.node}, ${process.platform}/${process.arch}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), median of ${RUNS} runs${quick ? ' (quick)' : ''}`)
// Other work on the machine skews every number; say how busy it was.
console.log(`load average at start: ${loadavg().map(l => l.toFixed(2)).join(' ')}`)
if (!zstdAvailable()) console.log('zstd: not measured (needs Node >= 22.15)')
console.log(`\nCRC-32C: ${measureCrc().toFixed(0)} MB/s (1 MiB input)`)
{
  // The headline figure: 100-byte values, no key, uncompressed, 1 MiB batches.
  const valueOnly = makeRecords(100).map(r => ({ value: r.value, timestamp: 0 }))
  const headline = measureEncode(valueOnly, quick ? 500_000 : 2_000_000, 1024 * 1024, 'none')
  console.log(
    `Encode, 100-byte values without keys, 1 MiB batches, uncompressed: ${formatRate(headline.recordsPerSecond)} records per CPU-second (${formatRate(headline.wallRecordsPerSecond)} per wall-clock second)\n`,
  )
}
console.log('Rates per CPU-second of this process (user + system, GC included); wall-clock rates differ by the machine\'s load.\n')
console.log('| value | batch | codec | encode rec/s | encode MB/s | decode rec/s | decode MB/s | size ratio |')
console.log('|---|---|---|---|---|---|---|---|')
for (const valueBytes of recordSizes) {
  const records = makeRecords(valueBytes)
  const perSecondBudget = valueBytes <= 100 ? 400_000 : 80_000
  for (const batchBytes of batchSizes) {
    for (const codec of codecs) {
      // The slow codecs get fewer records so the whole table finishes in minutes.
      const total = Math.round((codec === 'none' ? perSecondBudget : perSecondBudget / 4) * (quick ? 0.25 : 1))
      const encode = measureEncode(records, total, batchBytes, codec)
      const decode = measureDecode(records, total, batchBytes, codec)
      console.log(
        `| ${valueBytes} B | ${batchBytes >= 1 << 20 ? '1 MiB' : '16 KiB'} | ${codec} | ${formatRate(encode.recordsPerSecond)} | ${encode.megabytesPerSecond.toFixed(0)} | ${formatRate(decode.recordsPerSecond)} | ${decode.megabytesPerSecond.toFixed(0)} | ${encode.ratio.toFixed(2)} |`,
      )
    }
  }
}
console.log(`\nload average at end: ${loadavg().map(l => l.toFixed(2)).join(' ')}`)
