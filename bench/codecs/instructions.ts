/**
 * Instructions per uncompressed byte of a codec, counted by valgrind's callgrind:
 * repeatable on a loaded machine, where CPU time and wall time are not. Each
 * figure is (Ir(N2) - Ir(N1)) / ((N2 - N1) · input bytes), so start-up, the
 * loader and the JIT's first compilations cancel out.
 *
 *   npm run bench:instructions -- lz4,snappy                     # today's codecs
 *   npm run bench:instructions -- lz4 --baseline main --values 100 --batch 524288 --ops compress
 *
 * Each count is one valgrind run of about 30-60 s on this machine.
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { CURRENT_COMPRESSION_MODULE, ROOT, baselineCompressionModule } from './baseline.js'

const IDS: Record<string, number> = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 }
const args = process.argv.slice(2)
const flag = (name: string, fallback: string): string => {
  const at = args.indexOf(name)
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1]! : fallback
}
const codecs = (args[0] !== undefined && !args[0].startsWith('--') ? args[0] : 'lz4,snappy').split(',')
const baseline = args.includes('--baseline') ? flag('--baseline', 'main') : undefined
const valueBytes = flag('--values', '100').split(',').map(Number)
const batchBytes = Number(flag('--batch', String(512 * 1024)))
const ops = flag('--ops', 'compress,decompress').split(',')
const [n1, n2] = flag('--iterations', '10,40').split(',').map(Number) as [number, number]

function instructions(module: string, codec: string, op: string, values: number, iterations: number): { ir: number; inputBytes: number } {
  const run = spawnSync(
    'valgrind',
    ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--single-threaded', '--import', 'tsx', join(ROOT, 'bench', 'codecs', 'work.ts'), module, String(IDS[codec]), op, String(values), String(batchBytes), String(iterations)],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  )
  const collected = /Collected : (\d+)/.exec(run.stderr)
  if (run.status !== 0 || collected === null) throw new Error(`valgrind failed (${run.status}): ${run.stderr.slice(-500)}`)
  return { ir: Number(collected[1]), inputBytes: Number(run.stdout.trim().split(' ')[0]) }
}

const variants: [string, string][] = [['today', CURRENT_COMPRESSION_MODULE]]
if (baseline !== undefined) variants.unshift([baseline, baselineCompressionModule(baseline)])
console.log(`instructions per uncompressed byte (callgrind, (Ir(${n2}) - Ir(${n1})) / ${n2 - n1} iterations), ${batchBytes}-byte records region\n`)
console.log('| codec | value | op | ' + variants.map(([name]) => name).join(' | ') + ' |')
console.log('|---|---|---|' + variants.map(() => '---:').join('|') + '|')
for (const codec of codecs) {
  for (const values of valueBytes) {
    for (const op of ops) {
      const cells = variants.map(([, module]) => {
        const a = instructions(module, codec, op, values, n1)
        const b = instructions(module, codec, op, values, n2)
        return ((b.ir - a.ir) / ((n2 - n1) * b.inputBytes)).toFixed(1)
      })
      console.log(`| ${codec} | ${values} B | ${op} | ${cells.join(' | ')} |`)
    }
  }
}
