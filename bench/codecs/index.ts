/**
 * Codec benchmark: compress and decompress the records region of RecordBatch v2
 * batches (the bytes a codec really sees), for each codec implementation that is
 * installed, side by side and interleaved: in every round each implementation
 * takes its turn, so a drift of the (shared) machine hits them alike. Each cell
 * is the median over the rounds of a rate per CPU-second of this process.
 *
 *   npm run bench:codecs                         # every codec, every installed implementation
 *   npm run bench:codecs -- --codecs lz4,snappy --sizes 16384,524288 --rounds 9
 *   npm run bench:codecs -- --baseline HEAD~3    # also the built-in codecs as they were at a git revision
 *   npm run bench:codecs -- --json out.json      # the cells as JSON as well
 *   npm run bench:instructions -- lz4 --baseline HEAD~3   # instruction counts under callgrind (see instructions.ts)
 *
 * `--baseline REV` extracts `lib/` at REV into bench/.baseline/REV (git-ignored)
 * and measures its built-in codecs beside today's, in the same process and
 * rounds: the honest way to compare a change on a loaded machine.
 *
 * Implementations: `rxkafka` (the built-in codecs), and where installed the
 * optional native ones (`snappy`, `lz4-napi`), `node:zlib` (gzip, and zstd on
 * Node >= 22.15), `fzstd` (pure-JS zstd decompression, a dependency) and
 * `zstddec` (WebAssembly zstd decompression, measured for comparison only).
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, loadavg } from 'node:os'
import { pathToFileURL } from 'node:url'
import * as zlib from 'node:zlib'
import { getCodec } from '../../lib/protocol/compression/index.js'
import type { CompressionCodec } from '../../lib/protocol/compression/index.js'
import { RecordBatchBuilder, RECORD_BATCH_HEADER_BYTES } from '../../lib/protocol/records/index.js'
import { benchValues } from '../payload.js'
import { baselineCompressionModule } from './baseline.js'
const require = createRequire(import.meta.url)

interface Options {
  codecs: string[]
  sizes: number[]
  valueBytes: number[]
  rounds: number
  /** Input bytes each implementation works through per cell and round. */
  bytesPerRound: number
  baseline: string | undefined
  json: string | undefined
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = {
    codecs: ['lz4', 'snappy', 'gzip', 'zstd'],
    sizes: [16 * 1024, 512 * 1024],
    valueBytes: [100, 1024],
    rounds: 7,
    bytesPerRound: 8 * 1024 * 1024,
    baseline: undefined,
    json: undefined,
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const value = argv[i + 1]
    const need = (): string => {
      if (value === undefined) throw new Error(`${arg} needs a value`)
      i++
      return value
    }
    if (arg === '--codecs') options.codecs = need().split(',')
    else if (arg === '--sizes') options.sizes = need().split(',').map(Number)
    else if (arg === '--values') options.valueBytes = need().split(',').map(Number)
    else if (arg === '--rounds') options.rounds = Number(need())
    else if (arg === '--mib') options.bytesPerRound = Number(need()) * 1024 * 1024
    else if (arg === '--baseline') options.baseline = need()
    else if (arg === '--json') options.json = need()
    else throw new Error(`unknown argument ${arg}; see the comment at the top of bench/codecs.ts`)
  }
  return options
}

/** One way of doing a codec: compress and decompress functions over the records region. */
interface Implementation {
  codec: string
  name: string
  compress?: (input: Uint8Array) => Uint8Array
  /** Compressed bytes in, decompressed out; `size` is the expected output size. */
  decompress?: (packed: Uint8Array, size: number) => Uint8Array
  /** The compressed form `decompress` reads, when it cannot read its own `compress` output (or has none). */
  packWith?: Implementation
}

/** A registry codec; a half the platform lacks (zstd compression on Node < 22.15) is left out. */
function fromCodec(codec: CompressionCodec, name: string): Implementation {
  const works = (use: () => unknown): boolean => {
    try {
      use()
      return true
    } catch {
      return false
    }
  }
  const canCompress = works(() => codec.compress(Buffer.from('probe')))
  const canDecompress = !canCompress || works(() => codec.decompress(codec.compress(Buffer.from('probe')), 5))
  return {
    codec: codec.name,
    name,
    compress: canCompress ? (input) => codec.compress(input) : undefined,
    decompress: canDecompress ? (packed, size) => codec.decompress(packed, size) : undefined,
  }
}

function optional<T>(name: string): T | undefined {
  try {
    return require(name) as T
  } catch {
    return undefined
  }
}

async function implementations(options: Options): Promise<Implementation[]> {
  const list: Implementation[] = []
  const builtIn = new Map<string, Implementation>()
  for (const id of [1, 2, 3, 4]) {
    const impl = fromCodec(getCodec(id), 'rxkafka')
    builtIn.set(impl.codec, impl)
    list.push(impl)
  }
  if (options.baseline !== undefined) {
    const old = (await import(pathToFileURL(baselineCompressionModule(options.baseline)).href)) as { getCodec(id: number): CompressionCodec }
    for (const id of [1, 2, 3, 4]) list.push(fromCodec(old.getCodec(id), `rxkafka@${options.baseline}`))
  }
  const z = zlib as unknown as Record<string, ((input: Uint8Array, options?: object) => Buffer) | undefined>
  list.push({
    codec: 'gzip',
    name: 'node:zlib',
    compress: (input) => zlib.gzipSync(input),
    decompress: (packed, size) => zlib.gunzipSync(packed, { maxOutputLength: Math.max(1, size) }),
  })
  if (typeof z.zstdCompressSync === 'function') {
    list.push({ codec: 'zstd', name: 'node:zlib', compress: (input) => z.zstdCompressSync!(input), decompress: (packed) => z.zstdDecompressSync!(packed) })
  }
  const zstdPacker = list.find((i) => i.codec === 'zstd' && i.name === 'node:zlib') ?? zstdCliPacker()
  for (const impl of list) if (impl.codec === 'zstd' && impl.compress === undefined) impl.packWith = zstdPacker
  const fzstd = optional<{ decompress(input: Uint8Array, out?: Uint8Array): Uint8Array }>('fzstd')
  if (fzstd !== undefined) list.push({ codec: 'zstd', name: 'fzstd', decompress: (packed) => fzstd.decompress(packed), packWith: zstdPacker })
  const zstddec = optional<{ ZSTDDecoder: new () => { init(): Promise<void>; decode(input: Uint8Array, size?: number): Uint8Array } }>('zstddec')
  if (zstddec !== undefined) {
    const decoder = new zstddec.ZSTDDecoder()
    await decoder.init()
    list.push({ codec: 'zstd', name: 'zstddec (wasm)', decompress: (packed, size) => decoder.decode(packed, size), packWith: zstdPacker })
  }
  const snappy = optional<{ compressSync(input: Uint8Array): Buffer; uncompressSync(input: Uint8Array, options?: { asBuffer: true }): Buffer }>('snappy')
  if (snappy !== undefined) {
    try {
      const { snappyNativeCodec } = (await import('../../lib/codecs/snappy-native.js')) as { snappyNativeCodec: CompressionCodec }
      list.push(fromCodec(snappyNativeCodec, 'snappy (napi)'))
    } catch {
      // Before lib/codecs/ existed: the raw library, block framing left out.
      list.push({ codec: 'snappy', name: 'snappy (napi, raw)', compress: (i) => snappy.compressSync(i), decompress: (p) => snappy.uncompressSync(p, { asBuffer: true }) })
    }
  }
  const lz4napi = optional<{ compressFrameSync(input: Buffer): Buffer; decompressFrameSync(input: Buffer): Buffer }>('lz4-napi')
  if (lz4napi !== undefined) {
    try {
      const { lz4NativeCodec } = (await import('../../lib/codecs/lz4-native.js')) as { lz4NativeCodec: CompressionCodec }
      list.push(fromCodec(lz4NativeCodec, 'lz4-napi'))
    } catch {
      const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength)
      list.push({ codec: 'lz4', name: 'lz4-napi (frame)', compress: (i) => lz4napi.compressFrameSync(asBuffer(i)), decompress: (p) => lz4napi.decompressFrameSync(asBuffer(p)) })
    }
  }
  return list.filter((i) => options.codecs.includes(i.codec))
}

/** On Node < 22.15 the zstd input for the decoders comes from the zstd command-line tool, if present. */
function zstdCliPacker(): Implementation | undefined {
  try {
    execFileSync('zstd', ['--version'], { stdio: 'ignore' })
  } catch {
    return undefined
  }
  return { codec: 'zstd', name: 'zstd CLI', compress: (input) => execFileSync('zstd', ['-3', '-c', '-q'], { input, maxBuffer: 64 * 1024 * 1024 }) }
}

/** The records region of a batch of about `size` bytes made of the bench's JSON-like values. */
function recordsRegion(size: number, valueBytes: number): Buffer {
  const values = benchValues(valueBytes)
  const builder = new RecordBatchBuilder({ initialCapacity: size + 4096 })
  const timestamp = Date.now()
  for (let i = 0; builder.sizeInBytes < size; i++) builder.append({ value: values[i % values.length]!, timestamp: timestamp + (i >> 6) })
  const bytes = builder.seal().bytes
  return Buffer.from(bytes.subarray(RECORD_BATCH_HEADER_BYTES))
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[sorted.length >> 1]!
}

interface Cell {
  codec: string
  implementation: string
  valueBytes: number
  batchBytes: number
  op: 'compress' | 'decompress'
  /** Median input (compress) or output (decompress) MB per CPU-second. */
  mbPerCpuSecond: number
  mbPerCpuSecondMin: number
  mbPerCpuSecondMax: number
  /** Median MB per wall-clock second. */
  mbPerWallSecond: number
  /** Compressed size / input size. */
  ratio: number | undefined
}

/** Runs `op` over `input` until `bytes` have gone through; returns [cpu s, wall s, iterations]. */
function timed(op: () => void, inputBytes: number, bytes: number): [number, number, number] {
  const iterations = Math.max(1, Math.round(bytes / inputBytes))
  const cpu = process.cpuUsage()
  const wall = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) op()
  const used = process.cpuUsage(cpu)
  return [(used.user + used.system) / 1e6, Number(process.hrtime.bigint() - wall) / 1e9, iterations]
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2))
  const impls = await implementations(options)
  console.log('# rxkafka codec benchmark')
  console.log(`Node ${process.versions.node}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${options.rounds} interleaved rounds, ${options.bytesPerRound / 1048576} MiB per cell and round`)
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  console.log(`implementations: ${impls.map((i) => `${i.codec}/${i.name}`).join(', ')}\n`)
  const cells: Cell[] = []
  for (const valueBytes of options.valueBytes) {
    for (const batchBytes of options.sizes) {
      const input = recordsRegion(batchBytes, valueBytes)
      for (const codec of options.codecs) {
        const group = impls.filter((i) => i.codec === codec)
        if (group.length === 0) continue
        // Every decoder reads the same bytes: the first compressing implementation's output, which it must round-trip.
        const packed = new Map<Implementation, Uint8Array>()
        for (const impl of group) {
          const packer = impl.compress !== undefined ? impl : impl.packWith
          if (packer?.compress === undefined) continue
          const bytes = packer.compress(input)
          packed.set(impl, bytes)
          if (impl.decompress === undefined) continue
          let same: boolean
          try {
            same = Buffer.from(impl.decompress(bytes, input.length)).equals(input)
          } catch (error) {
            console.log(`${codec}/${impl.name}: decompression left out (${error instanceof Error ? error.message.slice(0, 100) : String(error)})`)
            impl.decompress = undefined
            continue
          }
          if (!same) throw new Error(`${codec}/${impl.name} does not round-trip a ${batchBytes}-byte input`)
        }
        const samples = new Map<string, { cpu: number[]; wall: number[] }>()
        const sample = (key: string, cpu: number, wall: number, mb: number): void => {
          const s = samples.get(key) ?? { cpu: [], wall: [] }
          s.cpu.push(mb / cpu)
          s.wall.push(mb / wall)
          samples.set(key, s)
        }
        for (let round = -1; round < options.rounds; round++) {
          for (const impl of group) {
            const bytes = packed.get(impl)
            if (bytes === undefined) continue
            const budget = round < 0 ? options.bytesPerRound / 4 : options.bytesPerRound // round -1 warms the JIT
            if (impl.compress !== undefined) {
              const [cpu, wall, n] = timed(() => impl.compress!(input), input.length, budget)
              if (round >= 0) sample(`${impl.name}\tcompress`, cpu, wall, (n * input.length) / 1e6)
            }
            if (impl.decompress !== undefined) {
              const [cpu, wall, n] = timed(() => impl.decompress!(bytes, input.length), input.length, budget)
              if (round >= 0) sample(`${impl.name}\tdecompress`, cpu, wall, (n * input.length) / 1e6)
            }
          }
        }
        for (const [key, s] of samples) {
          const [name, op] = key.split('\t') as [string, 'compress' | 'decompress']
          const impl = group.find((i) => i.name === name)!
          const own = impl.compress !== undefined ? packed.get(impl) : undefined
          cells.push({
            codec,
            implementation: name,
            valueBytes,
            batchBytes,
            op,
            mbPerCpuSecond: median(s.cpu),
            mbPerCpuSecondMin: Math.min(...s.cpu),
            mbPerCpuSecondMax: Math.max(...s.cpu),
            mbPerWallSecond: median(s.wall),
            ratio: own === undefined ? undefined : own.length / input.length,
          })
        }
      }
    }
  }
  console.log('MB of uncompressed records per CPU-second (median of the rounds, min–max); ratio = compressed / uncompressed\n')
  console.log('| value | batch | codec | implementation | compress MB/s | decompress MB/s | ratio |')
  console.log('|---|---|---|---|---:|---:|---:|')
  const keyOf = (c: Cell): string => `${c.valueBytes}|${c.batchBytes}|${c.codec}|${c.implementation}`
  const rows = [...new Set(cells.map(keyOf))]
  const fmt = (c: Cell | undefined): string =>
    c === undefined ? '' : `${c.mbPerCpuSecond.toFixed(0)} (${c.mbPerCpuSecondMin.toFixed(0)}–${c.mbPerCpuSecondMax.toFixed(0)})`
  for (const row of rows) {
    const of = cells.filter((c) => keyOf(c) === row)
    const first = of[0]!
    const compress = of.find((c) => c.op === 'compress')
    const decompress = of.find((c) => c.op === 'decompress')
    const size = first.batchBytes >= 1 << 20 ? `${first.batchBytes >> 20} MiB` : `${first.batchBytes >> 10} KiB`
    console.log(`| ${first.valueBytes} B | ${size} | ${first.codec} | ${first.implementation} | ${fmt(compress)} | ${fmt(decompress)} | ${compress?.ratio?.toFixed(3) ?? ''} |`)
  }
  console.log(`\nload average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  if (options.json !== undefined) {
    writeFileSync(options.json, `${JSON.stringify({ node: process.versions.node, startedLoad: loadavg(), options, cells }, null, 2)}\n`)
    console.log(`written: ${options.json}`)
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
  process.exitCode = 1
})
