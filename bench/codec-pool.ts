/**
 * What the codec worker pool buys on this machine: the producer's batch work
 * (encode records into a batch, compress it, checksum it, seal it) done all on
 * the main thread, against the same work with compression and CRC handed to a
 * worker (lib/workers/codec-pool.ts) while the main thread encodes the next
 * batch. Per codec and batch size: wall time, CPU of the process (all threads)
 * and busy time of the main thread (event-loop utilization), per MB of records;
 * median of interleaved runs.
 *
 *   npm run bench:pool
 *   npm run bench:pool -- --codecs lz4,gzip --sizes 16384,1048576 --runs 7 --mib 16 --workers 1
 *   npm run bench:pool -- --json bench/results/pool.json
 *
 * Reading it: "wall ×" above 1 means the pool finished the same batches sooner;
 * "main busy ×" below 1 means it left the main thread that share of the time.
 */
import { writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { zstdAvailable } from '../lib/protocol/compression/index.js'
import { RecordBatchBuilder, compressRecords, sealRecords, type CompressedRecords } from '../lib/protocol/records/index.js'
import { CodecPool } from '../lib/workers/codec-pool.js'
import { benchValues } from './payload.js'

const IDS: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }
const args = process.argv.slice(2)
const flag = (name: string, fallback: string): string => {
  const at = args.indexOf(name)
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1]! : fallback
}
const codecs = flag('--codecs', ['none', 'lz4', 'snappy', 'gzip', ...(zstdAvailable() ? ['zstd'] : [])].join(',')).split(',')
const sizes = flag('--sizes', '16384,65536,262144,1048576').split(',').map(Number)
const runs = Number(flag('--runs', '5'))
const mib = Number(flag('--mib', '16'))
const workers = Number(flag('--workers', '1'))
const inFlight = Number(flag('--in-flight', '4'))
const valueBytes = Number(flag('--values', '100'))
const jsonOut = args.includes('--json') ? flag('--json', '') : undefined
const values = benchValues(valueBytes)

interface Sample {
  wallMs: number
  cpuMs: number
  mainBusyMs: number
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]!
}

/** Builds `batches` batches of about `batchBytes`, compressing each with `compress`; at most `inFlight` compressions outstanding. */
async function produce(batches: number, batchBytes: number, codec: number, compress: (codec: number, r: ReturnType<RecordBatchBuilder['takeRecords']>) => Promise<CompressedRecords> | CompressedRecords): Promise<Sample> {
  const elu = performance.eventLoopUtilization()
  const cpu = process.cpuUsage()
  const started = performance.now()
  const outstanding: Promise<unknown>[] = []
  let v = 0
  for (let b = 0; b < batches; b++) {
    const builder = new RecordBatchBuilder({ initialCapacity: batchBytes + 4096 })
    while (builder.sizeInBytes < batchBytes) builder.append({ value: values[v++ & 511]!, timestamp: 1_700_000_000_000 })
    const records = builder.takeRecords()
    const done = Promise.resolve(compress(codec, records)).then((compressed) => sealRecords(records, compressed, {}))
    outstanding.push(done)
    if (outstanding.length >= inFlight) await outstanding.shift()
  }
  await Promise.all(outstanding)
  const wallMs = performance.now() - started
  const used = process.cpuUsage(cpu)
  const busy = performance.eventLoopUtilization(elu)
  return { wallMs, cpuMs: (used.user + used.system) / 1000, mainBusyMs: busy.active }
}

async function main(): Promise<void> {
  console.log('# codec worker pool: hand-off cost and gain')
  console.log(`Node ${process.versions.node}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${workers} worker(s), ${inFlight} batches in flight, ${valueBytes}-byte values, ${mib} MiB of records per run, median of ${runs} interleaved runs`)
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`)
  const pool = new CodecPool({ workers, minBytes: 0, maxPending: inFlight + 1, codecs: [0, 1, 2, 3, 4] })
  await pool.start()
  const inline = (codec: number, r: ReturnType<RecordBatchBuilder['takeRecords']>): CompressedRecords => compressRecords(codec, r.buffer, r.end)
  const viaPool = (codec: number, r: ReturnType<RecordBatchBuilder['takeRecords']>): Promise<CompressedRecords> => pool.compress(codec, r)
  const rows: Record<string, unknown>[] = []
  console.log('| codec | batch | main thread: wall ms/MB | CPU ms/MB | pool: wall ms/MB | CPU ms/MB | main busy ms/MB | wall × | main busy × | CPU × |')
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|')
  try {
    for (const codec of codecs) {
      for (const size of sizes) {
        const scale = codec === 'gzip' ? 0.25 : 1
        const batches = Math.max(4, Math.round((mib * scale * 1048576) / size))
        const megabytes = (batches * size) / 1e6
        await produce(Math.min(batches, 8), size, IDS[codec]!, inline) // warm-up
        await produce(Math.min(batches, 8), size, IDS[codec]!, viaPool)
        const here: Sample[] = []
        const there: Sample[] = []
        for (let run = 0; run < runs; run++) {
          here.push(await produce(batches, size, IDS[codec]!, inline))
          there.push(await produce(batches, size, IDS[codec]!, viaPool))
        }
        const m = (samples: Sample[], key: keyof Sample): number => median(samples.map((s) => s[key])) / megabytes
        const row = {
          codec,
          batchBytes: size,
          batches,
          main: { wallMsPerMB: m(here, 'wallMs'), cpuMsPerMB: m(here, 'cpuMs'), mainBusyMsPerMB: m(here, 'mainBusyMs') },
          pool: { wallMsPerMB: m(there, 'wallMs'), cpuMsPerMB: m(there, 'cpuMs'), mainBusyMsPerMB: m(there, 'mainBusyMs') },
          wallSpread: [Math.min(...here.map((s) => s.wallMs)) / megabytes, Math.max(...here.map((s) => s.wallMs)) / megabytes, Math.min(...there.map((s) => s.wallMs)) / megabytes, Math.max(...there.map((s) => s.wallMs)) / megabytes],
        }
        rows.push(row)
        const f = (x: number): string => x.toFixed(2)
        const label = size >= 1 << 20 ? `${size >> 20} MiB` : `${size >> 10} KiB`
        console.log(
          `| ${codec} | ${label} | ${f(row.main.wallMsPerMB)} | ${f(row.main.cpuMsPerMB)} | ${f(row.pool.wallMsPerMB)} | ${f(row.pool.cpuMsPerMB)} | ${f(row.pool.mainBusyMsPerMB)} | ${(row.main.wallMsPerMB / row.pool.wallMsPerMB).toFixed(2)} | ${(row.pool.mainBusyMsPerMB / row.main.mainBusyMsPerMB).toFixed(2)} | ${(row.pool.cpuMsPerMB / row.main.cpuMsPerMB).toFixed(2)} |`,
        )
      }
    }
  } finally {
    await pool.close()
  }
  console.log(`\npool stats: ${JSON.stringify(pool.stats())}`)
  console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  if (jsonOut !== undefined && jsonOut !== '') {
    writeFileSync(jsonOut, `${JSON.stringify({ node: process.versions.node, cpus: cpus().length, workers, inFlight, valueBytes, runs, loadavg: loadavg(), rows }, null, 2)}\n`)
    console.log(`written: ${jsonOut}`)
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
  process.exitCode = 1
})
