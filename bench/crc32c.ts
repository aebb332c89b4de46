/**
 * CRC-32C micro-benchmark: the portable slicing-by-16 code against
 * `@node-rs/crc32` (where installed) and `crc32c`, which picks one by length.
 * Inputs start 61 bytes into their buffer, as a batch's records do; rounds are
 * interleaved so a drift of the shared machine hits every implementation alike.
 * MB per CPU-second of this process, median of the rounds (min–max).
 *
 *   npm run bench:crc32c
 *   npm run bench:crc32c -- --sizes 1024,16384 --rounds 9
 */
import { loadavg } from 'node:os'
import { requireIfPresent } from '../lib/kit/require-if-present.js'
import { crc32c, crc32cImplementation, crc32cPortable } from '../lib/protocol/records/crc32c.js'

const OFFSET = 61
const BYTES_PER_ROUND = 32 * 1024 * 1024

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback
}

const sizes = option('sizes', '64,256,1024,16384,524288').split(',').map(Number)
const rounds = Number(option('rounds', '7'))
const native = requireIfPresent<{ crc32c(input: Uint8Array, initialState?: number): number }>('@node-rs/crc32')

console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; crc32c() uses ${crc32cImplementation()} from 256 bytes`)
console.log('\n| bytes | implementation | MB/s |\n|---:|---|---:|')
for (const size of sizes) {
  const buffer = Buffer.allocUnsafe(OFFSET + size)
  for (let i = 0; i < buffer.length; i++) buffer[i] = (i * 131 + 17) & 0xff
  const candidates: [string, () => number][] = [
    ['crc32cPortable', () => crc32cPortable(buffer, OFFSET)],
    ['crc32c', () => crc32c(buffer, OFFSET)],
  ]
  if (native !== undefined) candidates.push(['@node-rs/crc32', () => native.crc32c(buffer.subarray(OFFSET))])
  const expected = candidates[0]![1]()
  for (const [name, run] of candidates) if (run() !== expected) throw new Error(`${name} disagrees at ${size} bytes`)
  const rates = new Map<string, number[]>(candidates.map(([name]) => [name, []]))
  const iterations = Math.max(1, Math.floor(BYTES_PER_ROUND / size))
  let sink = 0
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of candidates) {
      const before = process.cpuUsage()
      for (let i = 0; i < iterations; i++) sink ^= run()
      const used = process.cpuUsage(before)
      rates.get(name)!.push((iterations * size) / (used.user + used.system))
    }
  }
  for (const [name, values] of rates) {
    values.sort((a, b) => a - b)
    const median = values[values.length >> 1]!
    console.log(`| ${size} | ${name} | ${median.toFixed(0)} (${values[0]!.toFixed(0)}–${values[values.length - 1]!.toFixed(0)}) |`)
  }
  if (sink === 0.5) console.log('unreachable')
}
