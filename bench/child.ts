/**
 * One client process: runs one lane once for one client and prints the
 * measurement as a `BENCH_RESULT {json}` line. Each client gets its own
 * process so that CPU time and peak RSS are the client's alone.
 *
 * Usage (the parent does this): node --import tsx bench/child.ts '<ChildTask JSON>'
 */
import { RESULT_PREFIX, type ChildTask, type RunMeasurement } from './lanes.js'
import { peakRssBytes } from './measure.js'

async function main(): Promise<void> {
  const raw = process.argv[2]
  if (raw === undefined) throw new Error('bench/child.ts needs a task as its JSON argument; run it through `npm run bench`')
  const task = JSON.parse(raw) as ChildTask
  let result: RunMeasurement
  if ((task.client as string) === 'baseline') {
    // An idle Node process with the same loader: the floor under every Node client's RSS.
    result = { messages: 0, bytes: 0, wallMs: 0, cpuSeconds: 0, peakRssBytes: peakRssBytes() }
  } else if (task.client === 'rxkafka') {
    result = await (await import('./clients/rxkafka.js')).run(task)
  } else if (task.client === 'kafkajs') {
    result = await (await import('./clients/kafkajs.js')).run(task)
  } else if (task.client === 'node-rdkafka') {
    result = await (await import('./clients/node-rdkafka.js')).run(task)
  } else if (task.client === 'platformatic') {
    result = await (await import('./clients/platformatic.js')).run(task)
  } else {
    throw new Error(`unknown client ${String(task.client)}`)
  }
  // Peak RSS is read last so that it covers the whole run.
  result.peakRssBytes = Math.max(result.peakRssBytes, peakRssBytes())
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`, () => process.exit(0))
}

main().catch((error: unknown) => {
  process.stderr.write(`bench child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
