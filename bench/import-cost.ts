/**
 * What `import 'rxkafka'` costs a user: wall and CPU time of the import and
 * the heap it leaves behind, each in a fresh Node process against the built `dist/`
 * (the files a user installs), plus the JavaScript bytes of the module graph
 * the import pulls in (followed statically through `import`/`export … from`).
 *
 *   npm run bench:import                       # builds dist/, 9 runs per entry point
 *   npm run bench:import -- --runs 15 --no-build
 *   npm run bench:import -- --entries rxkafka,rxkafka/protocol
 *   npm run bench:import -- --root /tmp/rxkafka-before --no-build   # another checkout's built dist/
 *
 * Each run is `node --expose-gc` with a tiny ES module that collects garbage,
 * reads `heapUsed` and the clock, imports the entry point by its package name
 * (Node resolves a package's own name through its `exports`), collects again
 * and reads both once more. Medians across runs; min and max show the spread
 * on a shared machine, where CPU time (user + system of the process during
 * the import) is the steadier figure: wall time also counts waiting for a core. Not part of `npm test`: speed is measured here, never
 * asserted.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

interface Options {
  runs: number
  build: boolean
  entries: string[]
  /** The package directory whose package.json and dist/ are measured. */
  root: string
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { runs: 9, build: true, entries: [], root: resolve(dirname(fileURLToPath(import.meta.url)), '..') }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--runs') {
      options.runs = Number(argv[++i])
      if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error(`--runs must be a whole number >= 1, got ${argv[i]}`)
    } else if (arg === '--no-build') {
      options.build = false
    } else if (arg === '--entries') {
      options.entries = (argv[++i] ?? '').split(',').filter((s) => s.length > 0)
    } else if (arg === '--root') {
      options.root = resolve(argv[++i] ?? '.')
    } else {
      throw new Error(`unknown option ${arg} (known: --runs N, --no-build, --entries a,b, --root DIR)`)
    }
  }
  return options
}

interface PackageJson {
  name: string
  exports: Record<string, { import: string }>
}

/** Every entry point the package exports, as a user spells it (`rxkafka`, `rxkafka/testing`, ...). */
function exportedEntries(pkg: PackageJson): string[] {
  return Object.keys(pkg.exports).map((key) => (key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`))
}

function fileOf(root: string, pkg: PackageJson, entry: string): string {
  const key = entry === pkg.name ? '.' : `./${entry.slice(pkg.name.length + 1)}`
  const target = pkg.exports[key]
  if (target === undefined) throw new Error(`${entry} is not exported by package.json`)
  return join(root, target.import)
}

const RELATIVE_IMPORT = /(?:^|[\s;}])(?:import|export)\s[^'";]*?from\s*['"](\.[^'"]+)['"]|(?:^|[\s;])import\s*['"](\.[^'"]+)['"]/gm

/** Files and bytes of the JavaScript module graph reachable from `file` through relative static imports. */
function moduleGraph(file: string): { files: number; bytes: number } {
  const seen = new Set<string>()
  let bytes = 0
  const visit = (path: string): void => {
    if (seen.has(path)) return
    seen.add(path)
    const text = readFileSync(path, 'utf8')
    bytes += Buffer.byteLength(text)
    for (const match of text.matchAll(RELATIVE_IMPORT)) visit(resolve(dirname(path), (match[1] ?? match[2])!))
  }
  visit(file)
  return { files: seen.size, bytes }
}

const CHILD = `
globalThis.gc(); globalThis.gc()
const heapBefore = process.memoryUsage().heapUsed
const started = performance.now()
const cpuBefore = process.cpuUsage()
await import(process.env.IMPORT_COST_ENTRY)
const cpu = process.cpuUsage(cpuBefore)
const ms = performance.now() - started
globalThis.gc(); globalThis.gc()
const heap = process.memoryUsage().heapUsed - heapBefore
console.log(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, heap, rss: process.memoryUsage().rss }))
`

interface Sample {
  ms: number
  cpuMs: number
  heap: number
  rss: number
}

function sample(root: string, entry: string): Sample {
  const result = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD], {
    cwd: root,
    env: { ...process.env, IMPORT_COST_ENTRY: entry },
    encoding: 'utf8',
    timeout: 60_000,
  })
  if (result.status !== 0) throw new Error(`importing ${entry} failed (status ${result.status}): ${result.stderr}`)
  return JSON.parse(result.stdout.trim()) as Sample
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function main(): void {
  const options = parseArgs(process.argv.slice(2))
  const root = options.root
  if (options.build) {
    const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
    if (build.status !== 0) throw new Error('npm run build failed')
  }
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error(`${root}/dist/ is missing: run npm run build (or drop --no-build)`)
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson
  const entries = options.entries.length > 0 ? options.entries : exportedEntries(pkg)
  console.log(`${root}: node ${process.version}, ${cpus().length} cpus, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}, ${options.runs} runs per entry`)
  console.log('entry                 files   JS KiB   wall ms (min-max)       CPU ms (min-max)        heap MiB (min-max)      rss MiB')
  for (const entry of entries) {
    const graph = moduleGraph(fileOf(root, pkg, entry))
    const samples = Array.from({ length: options.runs }, () => sample(root, entry))
    const ms = samples.map((s) => s.ms)
    const cpuMs = samples.map((s) => s.cpuMs)
    const heap = samples.map((s) => s.heap / 2 ** 20)
    const rss = samples.map((s) => s.rss / 2 ** 20)
    console.log(
      `${entry.padEnd(20)} ${String(graph.files).padStart(6)} ${(graph.bytes / 1024).toFixed(0).padStart(8)}   ` +
        `${median(ms).toFixed(1).padStart(6)} (${Math.min(...ms).toFixed(1)}-${Math.max(...ms).toFixed(1)})`.padEnd(24) +
        `${median(cpuMs).toFixed(1).padStart(6)} (${Math.min(...cpuMs).toFixed(1)}-${Math.max(...cpuMs).toFixed(1)})`.padEnd(24) +
        `${median(heap).toFixed(2).padStart(6)} (${Math.min(...heap).toFixed(2)}-${Math.max(...heap).toFixed(2)})`.padEnd(24) +
        `${median(rss).toFixed(0).padStart(4)}`,
    )
  }
}

main()
