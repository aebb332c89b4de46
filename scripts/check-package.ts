/**
 * `npm run check:package`: the npm tarball as a user gets it. Packs the
 * package, checks what it ships (no native binaries, no source maps pointing at
 * files it does not ship), installs it into a fresh temporary project beside
 * nothing but rxjs (so node-rdkafka, an optional peer dependency, is absent),
 * type-checks a small app there against the shipped declarations, and runs it:
 * it imports `rxkafka`, `rxkafka/protocol`, `rxkafka/testing` and `rxkafka/otel`
 * (with `@opentelemetry/api`, its optional peer, installed), produces and
 * consumes on the virtual cluster, plain and instrumented, and sees the mock cluster fail with a clear
 * error naming node-rdkafka. `.ci/run` runs it after the specs.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'rxkafka-package-'))

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`package check failed: ${what}`)
  console.log(`  ok  ${what}`)
}

const APP = `
import { createKafka, RxKafkaError } from 'rxkafka'
import { MetadataApi, Writer, chooseVersion } from 'rxkafka/protocol'
import { createVirtualCluster, startMockCluster, MockClusterBuildError } from 'rxkafka/testing'
import { instrumentKafka, METRICS } from 'rxkafka/otel'
import { firstValueFrom, from, map, mergeMap, take, toArray } from 'rxjs'

const writer = new Writer()
MetadataApi.encodeRequest(writer, chooseVersion(MetadataApi, { minVersion: 0, maxVersion: 12 }), { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
if (writer.offset === 0) throw new Error('rxkafka/protocol encoded nothing')

const cluster = createVirtualCluster({ topics: [{ name: 'orders', partitions: 2 }] })
const kafka = createKafka({ client: cluster })
const produced = await firstValueFrom(from(['a', 'b', 'c']).pipe(map((v) => ({ key: v, value: 'order ' + v })), kafka.produceTo('orders'), toArray()))
const consumed = await firstValueFrom(
  kafka.consumeGroup({ groupId: 'package-check', topics: ['orders'], fromBeginning: true }).pipe(
    mergeMap((partition$) => partition$),
    map((message) => { message.done(); return message.value!.toString() }),
    take(3),
    toArray(),
  ),
)
await kafka.close()
// Instrumented, with no OpenTelemetry SDK registered: the API's no-op tracer and meter, and the client works as before.
const traced = instrumentKafka(createKafka({ client: createVirtualCluster({ topics: [{ name: 'audit', partitions: 1 }] }) }))
const tracedResult = await traced.send('audit', { value: 'login' })
await traced.close()
if (tracedResult.error !== undefined || tracedResult.offset !== 0n || METRICS.sentMessages !== 'messaging.client.sent.messages') throw new Error('rxkafka/otel send went wrong')
if (produced.length !== 3 || consumed.sort().join(',') !== 'order a,order b,order c') throw new Error('produce/consume went wrong: ' + consumed.join(','))

const mock = await startMockCluster().then(
  () => undefined,
  (error: unknown) => error,
)
if (!(mock instanceof MockClusterBuildError) || mock.missing !== 'node-rdkafka' || !(mock instanceof RxKafkaError)) {
  throw new Error('startMockCluster without node-rdkafka: ' + String(mock))
}
console.log(JSON.stringify({ produced: produced.length, consumed, mockError: mock.message }))
`

try {
  console.log(`packing into ${work}`)
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root)) as { filename: string; files: { path: string }[] }[]
  const files = packed[0]!.files.map((f) => f.path)
  const tarball = join(work, packed[0]!.filename)
  check(!files.some((f) => f.startsWith('native/build')), 'no native/build/ binaries (they are linked to paths on the packing machine)')
  check(files.includes('native/mock-cluster.c'), 'the mock cluster source, built on first use')
  check(!files.some((f) => f.endsWith('.map')), 'no source maps (they would point at lib/, which is not shipped)')
  for (const entry of ['dist/index.js', 'dist/index.d.ts', 'dist/protocol/index.js', 'dist/testing/index.js', 'dist/otel/index.js', 'dist/otel/index.d.ts', 'dist/cli/index.js']) {
    check(files.includes(entry), `ships ${entry}`)
  }
  const index = readFileSync(join(root, 'dist', 'index.js'), 'utf8')
  check(!index.includes('sourceMappingURL'), 'no sourceMappingURL comments left in the built files')

  const app = join(work, 'app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'rxkafka-package-check', private: true, type: 'module' }, null, 2))
  writeFileSync(join(app, 'app.ts'), APP)
  console.log('installing the tarball and rxjs into a fresh project')
  run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', tarball, 'rxjs@^7.8.0', '@opentelemetry/api@^1.9.0'], app)
  const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'rxkafka', 'package.json'), 'utf8')) as { peerDependenciesMeta?: Record<string, { optional?: boolean }> }
  check(installed.peerDependenciesMeta?.['node-rdkafka']?.optional === true, 'node-rdkafka is an optional peer dependency')
  check(installed.peerDependenciesMeta?.['@opentelemetry/api']?.optional === true, '@opentelemetry/api is an optional peer dependency (only rxkafka/otel needs it)')

  // The app is type-checked against the shipped .d.ts (the repository's tsc and @types/node), then run as JavaScript.
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  run(process.execPath, [tsc, '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', 'false',
    '--typeRoots', join(root, 'node_modules', '@types'), '--types', 'node', '--outDir', app, join(app, 'app.ts')], app)
  check(true, 'a strict TypeScript app type-checks against the shipped declarations')
  const output = JSON.parse(run(process.execPath, [join(app, 'app.js')], app).trim()) as { produced: number; consumed: string[]; mockError: string }
  check(output.produced === 3 && output.consumed.length === 3, 'rxkafka, rxkafka/protocol, rxkafka/testing and rxkafka/otel import; 3 messages produced and consumed on the virtual cluster, 1 sent instrumented')
  check(/optional peer dependency/.test(output.mockError), `startMockCluster without node-rdkafka says: ${output.mockError.slice(0, 90)}...`)
  check(!existsSync(join(app, 'node_modules', 'node-rdkafka')), 'installing rxkafka did not pull in node-rdkafka')
  const version = run(join(app, 'node_modules', '.bin', 'rxkafka'), ['--version'], app).trim()
  check(version === (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version, `the rxkafka command runs (--version: ${version})`)
  console.log('package check passed')
} finally {
  rmSync(work, { recursive: true, force: true })
}
