/**
 * `npm run bench`: one mock cluster, every lane run in turn by rxkafka,
 * KafkaJS, node-rdkafka and kcat on the same topics and data, each run in a
 * fresh process of its own; a table on the terminal and JSON in bench/results/.
 *
 * `npm run bench:profile -- <lane>`: the same lane once for rxkafka under
 * `node --cpu-prof`, with the top self-time functions of the measured window.
 *
 * Options: --runs N (default 3), --lanes a,b, --clients a,b, --scale F
 * (multiply message counts, e.g. 0.25 for a quick look; the consume topic
 * never grows past what the mock's retention keeps), --latest (also write
 * bench/latest.json), --profile <lane>, --scale-curves (the scale lanes:
 * throughput against partitions and topics, plotted as SVG), --plot FILE (where
 * that SVG goes; default next to the JSON), --peer mock|kafka (bench/peers.ts:
 * librdkafka's mock cluster, or real Apache Kafka through startKafkaCluster).
 *
 * @platformatic/kafka needs Node >= 22.22 or >= 24.6: its children run on the
 * Node 24 of the `node` npm package (`npx -y -p node@24`, as .ci/run does),
 * every other Node client on the Node that runs this script.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { zstdAvailable } from '../lib/protocol/compression/index.js'
import { GNU_TIME, KCAT, kcatConsume, kcatFill, kcatFirstOffset, kcatProduce, type KcatRun } from './clients/kcat.js'
import { CLIENTS, CONSUME_MESSAGES, CONSUME_TOPIC, LANES, RESULT_PREFIX, laneKey, laneTopics, type ChildTask, type ClientName, type LaneDefinition, type RunMeasurement } from './lanes.js'
import { writeValueFile } from './payload.js'
import { PEERS, PeerUnavailableError, startPeer, type BenchPeer, type PeerName } from './peers.js'
import { scalePlotSvg } from './plot.js'
import { formatSummary, readProfile, summarizeProfile } from './profile-summary.js'
import { addRatios, markdownTable, summarize, tableRows, terminalTable, type CellSummary } from './report.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const RESULTS = join(ROOT, 'bench', 'results')
const CHILD = join(ROOT, 'bench', 'child.ts')
const CHILD_TIMEOUT_MS = 120_000
const WARMUP_MESSAGES = 2_000

interface Options {
  runs: number
  lanes: LaneDefinition[]
  clients: ClientName[]
  scale: number
  latest: boolean
  profile: string | undefined
  peer: PeerName
  plot: string | undefined
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { runs: 3, lanes: LANES.filter((l) => l.family === undefined), clients: [...CLIENTS], scale: 1, latest: false, profile: undefined, peer: 'mock', plot: undefined }
  let lanesGiven = false
  let scaleCurves = false
  let clientsGiven = false
  let runsGiven = false
  const list = (value: string | undefined, flag: string): string[] => {
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`)
    return value.split(',').filter((s) => s.length > 0)
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--runs') {
      options.runs = Number(argv[++i])
      runsGiven = true
      if (!Number.isInteger(options.runs) || options.runs < 1) throw new UsageError(`--runs must be a whole number >= 1, got ${argv[i]}`)
    } else if (arg === '--lanes') {
      const ids = list(argv[++i], '--lanes')
      options.lanes = ids.map((id) => laneById(id))
      lanesGiven = true
    } else if (arg === '--scale-curves') {
      scaleCurves = true
    } else if (arg === '--plot') {
      options.plot = argv[++i]
      if (options.plot === undefined) throw new UsageError('--plot needs a file name')
    } else if (arg === '--peer') {
      const peer = argv[++i]
      if (!(PEERS as readonly string[]).includes(peer ?? '')) throw new UsageError(`--peer must be one of ${PEERS.join(', ')}, got ${peer}`)
      options.peer = peer as PeerName
    } else if (arg === '--clients') {
      clientsGiven = true
      options.clients = list(argv[++i], '--clients').map((name) => {
        if (!(CLIENTS as readonly string[]).includes(name)) throw new UsageError(`unknown client "${name}"; clients: ${CLIENTS.join(', ')}`)
        return name as ClientName
      })
    } else if (arg === '--scale') {
      options.scale = Number(argv[++i])
      if (!(options.scale > 0 && options.scale <= 10)) throw new UsageError(`--scale must be a number in (0, 10], got ${argv[i]}`)
    } else if (arg === '--latest') {
      options.latest = true
    } else if (arg === '--profile') {
      const id = argv[++i]
      if (id === undefined) throw new UsageError(`--profile needs a lane; lanes: ${LANES.map((l) => l.id).join(', ')}`)
      options.profile = laneById(id).id
    } else if (arg === '--help' || arg === '-h') {
      throw new UsageError('')
    } else {
      throw new UsageError(`unknown argument "${arg}"`)
    }
  }
  if (scaleCurves) {
    const scale = LANES.filter((l) => l.family === 'scale')
    options.lanes = lanesGiven ? [...options.lanes, ...scale.filter((l) => !options.lanes.includes(l))] : scale
  }
  if (options.profile !== undefined) {
    options.lanes = [laneById(options.profile)]
    if (!clientsGiven) options.clients = ['rxkafka']
    options.clients = options.clients.filter((c) => c !== 'kcat')
    if (!runsGiven) options.runs = 1
  }
  options.lanes = options.lanes.map((lane) => {
    const scaled = Math.max(100, Math.round(lane.messages * options.scale))
    // The consume topic is already as large as the mock's retention allows; it can only shrink.
    return { ...lane, messages: lane.topic === CONSUME_TOPIC ? Math.min(scaled, CONSUME_MESSAGES) : scaled }
  })
  return options
}

function laneById(id: string): LaneDefinition {
  const lane = LANES.find((l) => l.id === id)
  if (lane === undefined) throw new UsageError(`unknown lane "${id}"; lanes: ${LANES.map((l) => l.id).join(', ')}`)
  return lane
}

const USAGE = `usage: npm run bench -- [--runs N] [--lanes a,b] [--clients a,b] [--scale F] [--latest] [--scale-curves] [--plot FILE] [--peer mock|kafka]
       npm run bench:profile -- <lane> [--clients a,b]
lanes:   ${LANES.filter((l) => l.family === undefined).map((l) => l.id).join(', ')}
scale:   ${LANES.filter((l) => l.family === 'scale').map((l) => l.id).join(', ')} (--scale-curves)
clients: ${CLIENTS.join(', ')}`

/** Why an rxkafka lane cannot run yet: the API it is written against has not landed. */
function rxkafkaMissing(lane: LaneDefinition): string | undefined {
  const needs: [string, string[]][] =
    lane.kind === 'produce' || lane.kind === 'latency' ? [['lib/producer/index.ts', ['produceTo', 'send']]] : [['lib/consumer/index.ts', ['consumeGroup']]]
  for (const [file, names] of needs) {
    const path = join(ROOT, file)
    if (!existsSync(path)) return `${file} not there yet`
    const text = readFileSync(path, 'utf8')
    const absent = names.filter((name) => !new RegExp(`\\b${name}\\b`).test(text))
    if (absent.length > 0) return `${file} does not export ${absent.join(', ')} yet`
  }
  return undefined
}

/** Whether node-rdkafka's librdkafka has zstd (its `features` lists the codecs it was built with); asked once. */
let nodeRdkafkaZstd: boolean | undefined
function nodeRdkafkaHasZstd(): boolean {
  if (nodeRdkafkaZstd !== undefined) return nodeRdkafkaZstd
  try {
    const { features } = createRequire(import.meta.url)('node-rdkafka') as { features: string[] }
    nodeRdkafkaZstd = features.includes('zstd')
  } catch {
    nodeRdkafkaZstd = false
  }
  return nodeRdkafkaZstd
}

/** Why a client has no number in a lane by design. */
function notApplicable(lane: LaneDefinition, client: ClientName, peer: PeerName): string | undefined {
  // Both seen on the mock from librdkafka 2.12 with @platformatic/kafka 2.12.1 (docs/bench.md); Kafka answers both.
  if (client === 'platformatic' && peer === 'mock' && (lane.kind === 'consume' || lane.kind === 'slow-consume')) {
    return 'the mock closes the connection on its JoinGroup (v6+, a flexible version the mock misreads), and it has no version cap'
  }
  if (client === 'platformatic' && peer === 'mock' && lane.idempotent) return 'the mock answers its InitProducerId v4 with UNKNOWN_PRODUCER_ID'
  if (client === 'kcat' && lane.kind === 'latency') return 'kcat cannot await one message at a time'
  if (client === 'kcat' && lane.kind === 'slow-consume') return 'kcat has no handler to slow down'
  if (client === 'kcat' && (lane.topics ?? 1) > 1) return 'kcat -P writes to one topic per process'
  // node-rdkafka builds librdkafka on npm install, and links zstd only where libzstd's headers are installed.
  if (client === 'node-rdkafka' && lane.compression === 'zstd' && !nodeRdkafkaHasZstd()) return 'its librdkafka was built without libzstd (no libzstd-dev at npm install)'
  // KafkaJS asks the controller for a producer id; the mock names controller 0, which is no broker (ids are 1..n).
  if (client === 'kafkajs' && peer === 'mock' && lane.idempotent) return 'the mock names controller 0, no such broker; KafkaJS asks it for a producer id'
  return undefined
}

/**
 * Why @confluentinc/kafka-javascript is no client here: its install downloads a
 * prebuilt binary from GitHub, and its fallback source build has librdkafka's
 * configure download zlib, OpenSSL, zstd and curl sources; only the npm
 * registry is reachable on this machine and its CI, so `npm install` fails.
 */
const CONFLUENT_LEFT_OUT = 'not a client: its install needs downloads from outside the npm registry (docs/bench.md)'

const running = new Set<ChildProcess>()
const killRunning = (): void => {
  for (const child of running) child.kill('SIGKILL')
}
process.on('exit', killRunning)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killRunning()
    process.exit(130)
  })
}

/**
 * With `--import tsx` the module loader runs in a worker thread, and
 * `--cpu-prof` writes one profile per thread; each run profiles into a fresh
 * directory, and the main thread's profile (the one that ran bench/child.ts)
 * is moved to `target`.
 */
function keepMainThreadProfile(dir: string, target: string): void {
  const candidates = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))
  const main = candidates.find((f) => readFileSync(join(dir, f), 'utf8').includes('bench/child.ts'))
  if (main === undefined) throw new Error(`no main-thread profile among ${candidates.length} profile(s) in ${dir}`)
  // A copy, not a rename: the temporary directory may be on another file system.
  copyFileSync(join(dir, main), target)
  rmSync(dir, { recursive: true, force: true })
}

/**
 * The Node binary a child runs on: Node 24 for @platformatic/kafka (its engines field), and for the zstd lanes when
 * this Node has no zstd in node:zlib (rxkafka, and KafkaJS through rxkafka's codec plugin, need Node >= 22.15);
 * else this one.
 */
function nodeFor(task: { client: ChildTask['client'] | 'baseline'; lane?: LaneDefinition }): string {
  const zstdLane = task.lane?.compression === 'zstd' && !zstdAvailable()
  if (task.client !== 'platformatic' && !zstdLane) return process.execPath
  if (node24 === undefined) {
    const found = spawnSync('npx', ['-y', '-p', 'node@24', '--', 'node', '-p', 'process.execPath + " " + process.version'], { encoding: 'utf8', timeout: 300_000 })
    const [path, version] = (found.stdout ?? '').trim().split(' ')
    node24 = found.status === 0 && path !== undefined && existsSync(path) ? { path, version: version ?? '?' } : null
  }
  if (node24 === null) throw new Error(`${task.client} runs on Node 24 here, and \`npx -y -p node@24\` could not fetch it`)
  return node24.path
}
let node24: { path: string; version: string } | null | undefined

function runNodeChild(task: ChildTask | { client: 'baseline' }, cpuProfile?: { dir: string }): Promise<RunMeasurement> {
  const flags = cpuProfile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfile.dir]
  const child = spawn(nodeFor(task), [...flags, '--import', 'tsx', CHILD, JSON.stringify(task)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
  })
  running.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8000)
  })
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`timed out after ${CHILD_TIMEOUT_MS / 1000} s`))
    }, CHILD_TIMEOUT_MS)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      running.delete(child)
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX))
      if (code === 0 && line !== undefined) return resolvePromise(JSON.parse(line.slice(RESULT_PREFIX.length)) as RunMeasurement)
      const why = stderr.trim().split('\n').filter((l) => l.trim().length > 0)
      reject(new Error(`exited with ${signal ?? code}: ${why.slice(0, 3).join(' | ') || 'no output'}`))
    })
  })
}

function withTimeout(run: KcatRun): Promise<RunMeasurement> {
  const timer = setTimeout(() => run.kill(), CHILD_TIMEOUT_MS)
  return run.result.finally(() => clearTimeout(timer))
}

/**
 * kcat reports nothing between its start and its exit, so its produce window
 * is its wall time minus the wall time of a one-message kcat run made just
 * before: start-up, metadata, one linger and round trip (the last two slightly
 * in kcat's favour). Its CPU and RSS stay those of the whole measured process.
 */
async function runKcat(lane: LaneDefinition, bootstrap: string, groupId: string, valueFile: string, oneValueFile: string): Promise<RunMeasurement> {
  if (lane.kind !== 'produce') return withTimeout(kcatConsume(lane, bootstrap, groupId))
  const startup = await withTimeout(kcatProduce({ ...lane, messages: 1 }, bootstrap, oneValueFile))
  const result = await withTimeout(kcatProduce(lane, bootstrap, valueFile))
  const wallMs = result.wallMs - startup.wallMs
  return wallMs > 0 ? { ...result, wallMs, startupMs: startup.wallMs } : result
}

function tool(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  return result.status === 0 ? `${result.stdout}${result.stderr}` : undefined
}

function short(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 160)
}

function describeRun(lane: LaneDefinition, r: RunMeasurement): string {
  const rate = r.messages / (r.wallMs / 1000)
  const parts = [`${Math.round(rate).toLocaleString('en-US')} msg/s`, `cpu ${r.cpuSeconds.toFixed(2)} s`, `rss ${(r.peakRssBytes / 1e6).toFixed(0)} MB`]
  if (r.joinMs !== undefined) parts.push(`join ${r.joinMs.toFixed(0)} ms`)
  if (r.latencyMs !== undefined) parts.push(`p50 ${r.latencyMs.p50.toFixed(2)} ms p99 ${r.latencyMs.p99.toFixed(2)} ms`)
  if (lane.kind === 'slow-consume' && r.rssSamples !== undefined && r.rssSamples.length > 0) {
    parts.push(`rss ${((r.rssSamples[0]?.[1] ?? 0) / 1e6).toFixed(0)}→${((r.rssSamples[r.rssSamples.length - 1]?.[1] ?? 0) / 1e6).toFixed(0)} MB`)
  }
  return parts.join(', ')
}

async function prefillConsumeTopic(cluster: BenchPeer, lanes: readonly LaneDefinition[], work: string): Promise<void> {
  const lane = lanes.find((l) => l.topic === CONSUME_TOPIC)
  if (lane === undefined) return
  const perPartition = Math.ceil(lane.messages / lane.partitions)
  const file = join(work, `consume-${lane.valueBytes}.txt`)
  writeValueFile(file, lane.valueBytes, perPartition)
  const started = Date.now()
  for (let p = 0; p < lane.partitions; p++) await kcatFill(cluster.bootstrap, CONSUME_TOPIC, p, file)
  // A consumer waiting for records that retention dropped would only time out; say so now.
  for (let p = 0; p < lane.partitions; p++) {
    const first = await kcatFirstOffset(cluster.bootstrap, CONSUME_TOPIC, p)
    if (first !== 0) {
      throw new Error(`${CONSUME_TOPIC} partition ${p} starts at offset ${first}: the mock's 5 MiB retention dropped data; lower CONSUME_MESSAGES or raise CONSUME_PARTITIONS in bench/lanes.ts`)
    }
  }
  // Every consume lane reads exactly what was written, so the counts agree with what is there.
  for (const l of lanes) if (l.topic === CONSUME_TOPIC) l.messages = perPartition * l.partitions
  console.log(`filled ${CONSUME_TOPIC}: ${perPartition * lane.partitions} messages in ${lane.partitions} partitions (${Date.now() - started} ms)`)
}

/**
 * Fills the topics of the lanes that ask for it (`prefill`): keyed lines, one
 * kcat process per topic, the keys spreading them over the partitions. The
 * sizes are chosen under the mock's 5 MiB per partition (bench/lanes.ts).
 */
async function prefillLaneTopics(cluster: BenchPeer, lanes: readonly LaneDefinition[], work: string): Promise<void> {
  for (const lane of lanes) {
    if (lane.prefill === undefined) continue
    const file = join(work, `${lane.topic}.txt`)
    writeValueFile(file, lane.valueBytes, lane.prefill.messages, 0, laneKey)
    const started = Date.now()
    await kcatFill(cluster.bootstrap, lane.topic, undefined, file)
    console.log(`filled ${lane.topic}: ${lane.prefill.messages} keyed messages over ${lane.partitions} partitions (${Date.now() - started} ms)`)
  }
}

async function main(): Promise<void> {
  let options: Options
  try {
    options = parseArgs(process.argv.slice(2))
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.message !== '') console.error(error.message)
      console.error(USAGE)
      process.exit(error.message === '' ? 0 : 2)
    }
    throw error
  }
  const kcatVersion = tool(KCAT, ['-V'])
    ?.split('\n')
    .find((line) => line.startsWith('Version'))
    ?.trim()
  const hasTime = existsSync(GNU_TIME)
  if (options.clients.includes('kcat') && (kcatVersion === undefined || !hasTime)) {
    const missing = [kcatVersion === undefined ? 'kcat' : undefined, hasTime ? undefined : `GNU time (${GNU_TIME})`].filter((m) => m !== undefined)
    console.error(`the kcat lanes need ${missing.join(' and ')} (apt-get install -y kcat time); running without kcat`)
    options.clients = options.clients.filter((c) => c !== 'kcat')
  }
  if (options.lanes.some((l) => l.topic === CONSUME_TOPIC) && kcatVersion === undefined) {
    throw new Error('the consume lanes are filled with kcat, which is not installed: apt-get install -y kcat')
  }
  mkdirSync(RESULTS, { recursive: true })
  const work = join(tmpdir(), `rxkafka-bench-${process.pid}`)
  mkdirSync(work, { recursive: true })
  const startedAt = new Date()
  const topics = [...new Map(options.lanes.flatMap((l) => laneTopics(l).map((name) => [name, { name, partitions: l.partitions }] as const))).values()]
  const described = topics.length > 12 ? `${topics.length} topics, ${topics.reduce((n, t) => n + t.partitions, 0)} partitions` : topics.map((t) => `${t.name}:${t.partitions}`).join(', ')
  console.log(`starting the ${options.peer} peer (${described})`)
  let cluster: BenchPeer
  try {
    cluster = await startPeer(options.peer, topics)
  } catch (error) {
    if (error instanceof PeerUnavailableError) {
      console.error(error.message)
      process.exit(2)
    }
    throw error
  }
  const cells: CellSummary[] = []
  let baselineRssMB: number | undefined
  const profiles: { lane: string; client: string; file: string; summary: ReturnType<typeof summarizeProfile> }[] = []
  try {
    // The first join would otherwise wait the broker default of 3 s for more members.
    await cluster.prepareGroups()
    if (options.clients.includes('platformatic')) {
      try {
        nodeFor({ client: 'platformatic' })
        console.log(`@platformatic/kafka ${packageVersion('@platformatic/kafka') ?? '(not installed: npm install)'} runs on Node ${node24?.version} (${node24?.path})`)
      } catch (error) {
        console.error(`${short(error)}; running without @platformatic/kafka`)
        options.clients = options.clients.filter((c) => c !== 'platformatic')
      }
    }
    await prefillConsumeTopic(cluster, options.lanes, work)
    await prefillLaneTopics(cluster, options.lanes, work)
    baselineRssMB = (await runNodeChild({ client: 'baseline' })).peakRssBytes / 1e6
    console.log(`idle Node + tsx child: peak RSS ${baselineRssMB.toFixed(0)} MB (the floor under every Node client's RSS)`)
    for (const lane of options.lanes) {
      console.log(`\n${lane.id}: ${lane.title}; ${lane.messages.toLocaleString('en-US')} messages`)
      const valueFile = join(work, `${lane.id}.txt`)
      const oneValueFile = join(work, `${lane.id}-one.txt`)
      if (lane.kind === 'produce' && options.clients.includes('kcat')) {
        const key = lane.keyed === true ? laneKey : undefined
        writeValueFile(valueFile, lane.valueBytes, lane.messages, 0, key)
        writeValueFile(oneValueFile, lane.valueBytes, 1, 0, key)
      }
      const runsOf = new Map<ClientName, RunMeasurement[]>(options.clients.map((c) => [c, []]))
      const errorsOf = new Map<ClientName, string[]>(options.clients.map((c) => [c, []]))
      const skipped = new Map<ClientName, { status: 'not yet' | 'n/a'; note: string }>()
      for (const client of options.clients) {
        const na = notApplicable(lane, client, options.peer)
        if (na !== undefined) skipped.set(client, { status: 'n/a', note: na })
        const missing = client === 'rxkafka' ? rxkafkaMissing(lane) : undefined
        if (missing !== undefined) skipped.set(client, { status: 'not yet', note: missing })
      }
      // Runs interleave the clients, so a slow drift of the machine hits every client alike.
      for (let run = 1; run <= options.runs; run++) {
        for (const client of options.clients) {
          if (skipped.has(client)) continue
          const groupId = `bench-${lane.id}-${client}-${run}-${Date.now()}`
          const label = `  run ${run}/${options.runs} ${client.padEnd(12)}`
          try {
            let result: RunMeasurement
            if (client === 'kcat') {
              result = await runKcat(lane, cluster.bootstrap, groupId, valueFile, oneValueFile)
            } else {
              const task: ChildTask = { lane, client, bootstrap: cluster.bootstrap, ...(cluster.compatibility === undefined ? {} : { compatibility: cluster.compatibility }), groupId, warmupMessages: lane.kind === 'produce' || lane.kind === 'latency' ? WARMUP_MESSAGES : 0 }
              const profileDir = join(work, `profile-${lane.id}-${client}-${run}`)
              result = await runNodeChild(task, options.profile === undefined ? undefined : { dir: profileDir })
              if (options.profile !== undefined) {
                const file = join(RESULTS, `${lane.id}-${client}-${startedAt.toISOString().replace(/[:.]/g, '-')}-run${run}.cpuprofile`)
                keepMainThreadProfile(profileDir, file)
                profiles.push({ lane: lane.id, client, file, summary: summarizeProfile(readProfile(file), ROOT, result.windowUs) })
              }
            }
            runsOf.get(client)?.push(result)
            console.log(`${label} ${describeRun(lane, result)}`)
          } catch (error) {
            errorsOf.get(client)?.push(short(error))
            console.log(`${label} FAILED: ${short(error)}`)
          }
        }
      }
      const laneCells = options.clients.map((client): CellSummary => {
        const skip = skipped.get(client)
        if (skip !== undefined) return { lane: lane.id, client, status: skip.status, note: skip.note, runs: [], errors: [] }
        return summarize(lane, client, runsOf.get(client) ?? [], errorsOf.get(client) ?? [])
      })
      addRatios(lane, laneCells)
      cells.push(...laneCells)
    }
  } finally {
    await cluster.stop()
    rmSync(work, { recursive: true, force: true })
  }

  const rows = tableRows(options.lanes, cells)
  console.log(`\n${terminalTable(rows)}`)
  const command = `npm run ${options.profile === undefined ? 'bench' : 'bench:profile'}${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-')
  const report = {
    command,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.versions.node, platform: process.platform },
    peers: {
      kafkajs: packageVersion('kafkajs'),
      nodeRdkafka: packageVersion('node-rdkafka'),
      platformatic: packageVersion('@platformatic/kafka') === undefined ? undefined : { version: packageVersion('@platformatic/kafka'), node: node24?.version },
      kcat: kcatVersion,
      confluentKafkaJavascript: CONFLUENT_LEFT_OUT,
    },
    peer: options.peer,
    cluster: cluster.description,
    runs: options.runs,
    scale: options.scale,
    experiment:
      process.env.BENCH_RX_MAX_UNDONE === undefined && process.env.BENCH_RX_OFFLOAD === undefined
        ? undefined
        : { BENCH_RX_MAX_UNDONE: process.env.BENCH_RX_MAX_UNDONE, BENCH_RX_OFFLOAD: process.env.BENCH_RX_OFFLOAD },
    baselineRssMB,
    lanes: options.lanes,
    cells,
    markdown: markdownTable(rows),
    profiles: profiles.map((p) => ({ lane: p.lane, client: p.client, file: p.file, summary: p.summary })),
  }
  const out = join(RESULTS, `bench-${stamp}.json`)
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`)
  console.log(`\nwritten: ${out}`)
  if (options.lanes.some((l) => l.curve !== undefined)) {
    const svg = options.plot ?? join(RESULTS, `scale-${stamp}.svg`)
    writeFileSync(svg, scalePlotSvg(report))
    console.log(`written: ${svg} (scale curves)`)
  }
  if (options.latest) {
    writeFileSync(join(ROOT, 'bench', 'latest.json'), `${JSON.stringify(report, null, 2)}\n`)
    console.log('written: bench/latest.json')
  }
  for (const p of profiles) {
    console.log(`\nprofile of ${p.client} in ${p.lane}: ${p.file}\n${formatSummary(p.summary)}`)
  }
}

function packageVersion(name: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string }).version
  } catch {
    return undefined
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
  process.exitCode = 1
})

