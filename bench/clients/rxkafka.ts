/**
 * The rxkafka lanes, written the way the README tells users to write them:
 * a stream piped through `produceTo`, `send()` awaited per message, and
 * `consumeGroup` flattened with `mergeMap`, each message marked `done()`.
 */
import { concatMap, firstValueFrom, map, mergeMap, NEVER, Observable, of, timer } from 'rxjs'
// The package entry point ('rxkafka'), as users import it.
import { consumeGroup, KafkaCluster, produce, produceTo, send } from '../../lib/index.js'
import type { ConsumerMessage, TopicProducerMessage } from '../../lib/index.js'
import { laneKey, laneTopics, SLOW_EVERY, SLOW_SLEEP_MS, type ChildTask, type LaneDefinition, type RunMeasurement } from '../lanes.js'
import { latencySummary, nowMs, sampleRss, Window } from '../measure.js'
import { benchValues } from '../payload.js'
import { acquireCodecPool } from '../../lib/workers/codec-pool.js'
import { offloadsByDefault } from '../../lib/producer/options.js'

/**
 * Messages are emitted 1000 per macrotask, as a live source would deliver
 * them: the producer gets to write and read sockets between chunks instead of
 * encoding the whole run before the first byte goes out.
 */
const CHUNK = 1000

function chunkedSource(lane: LaneDefinition, values: readonly Buffer[], count: number): Observable<TopicProducerMessage> {
  const topics = laneTopics(lane)
  return new Observable<TopicProducerMessage>((subscriber) => {
    let next = 0
    let immediate: NodeJS.Immediate | undefined
    const step = (): void => {
      const end = Math.min(count, next + CHUNK)
      for (; next < end && !subscriber.closed; next++) {
        subscriber.next({
          topic: topics[next % topics.length] as string,
          key: lane.keyed === true ? laneKey(next) : null,
          value: values[next % values.length] as Buffer,
        })
      }
      if (next < count) immediate = setImmediate(step)
      else subscriber.complete()
    }
    step()
    return () => {
      if (immediate !== undefined) clearImmediate(immediate)
    }
  })
}

function produceCount(client: KafkaCluster, lane: LaneDefinition, values: readonly Buffer[], count: number): Promise<number> {
  // BENCH_RX_OFFLOAD=1|0 sets offloadCompression for an experiment (recorded in the JSON); unset: the library default.
  const offload = process.env.BENCH_RX_OFFLOAD === undefined ? {} : { offloadCompression: process.env.BENCH_RX_OFFLOAD === '1' }
  const options = { client, acks: lane.acks, idempotent: lane.idempotent, compression: lane.compression, lingerMs: lane.lingerMs, ...offload }
  // One topic: produceTo, as the README writes it; several: produce, with the topic on each message.
  const producer = (lane.topics ?? 1) === 1 ? produceTo<unknown>(lane.topic, options) : produce<unknown>(options)
  return new Promise((resolve, reject) => {
    let results = 0
    chunkedSource(lane, values, count)
      .pipe(producer)
      .subscribe({ next: () => results++, error: reject, complete: () => resolve(results) })
  })
}

async function produceLane(client: KafkaCluster, task: ChildTask): Promise<RunMeasurement> {
  const { lane } = task
  const values = benchValues(lane.valueBytes)
  if (task.warmupMessages > 0) await produceCount(client, lane, values, task.warmupMessages)
  const window = new Window()
  window.begin()
  const delivered = await produceCount(client, lane, values, lane.messages)
  if (delivered !== lane.messages) throw new Error(`rxkafka delivered ${delivered} of ${lane.messages}`)
  return window.end(delivered, delivered * lane.valueBytes)
}

async function latencyLane(client: KafkaCluster, task: ChildTask): Promise<RunMeasurement> {
  const { lane } = task
  const values = benchValues(lane.valueBytes)
  const options = { acks: lane.acks, idempotent: false, lingerMs: 0 } as const
  for (let i = 0; i < Math.min(task.warmupMessages, 200); i++) await send(client, lane.topic, { value: values[i % values.length] as Buffer }, options)
  const latencies: number[] = []
  const window = new Window()
  window.begin()
  for (let i = 0; i < lane.messages; i++) {
    const started = nowMs()
    await send(client, lane.topic, { value: values[i % values.length] as Buffer }, options)
    latencies.push(nowMs() - started)
  }
  return window.end(lane.messages, lane.messages * lane.valueBytes, { latencyMs: latencySummary(latencies) })
}

/**
 * An experiment knob, not a lane setting: BENCH_RX_MAX_UNDONE=n sets
 * `maxUndoneMessages` of the rxkafka consumer (default: the library's), to
 * see how the un-done bound shapes memory in the slow-handler lane.
 */
function maxUndoneOverride(): { maxUndoneMessages?: number } {
  const raw = process.env.BENCH_RX_MAX_UNDONE
  if (raw === undefined || raw === '') return {}
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new Error(`BENCH_RX_MAX_UNDONE must be a whole number >= 1, got ${JSON.stringify(raw)}`)
  return { maxUndoneMessages: value }
}

async function consumeLane(client: KafkaCluster, task: ChildTask): Promise<RunMeasurement> {
  const { lane } = task
  const window = new Window()
  const started = nowMs()
  let joinMs = 0
  let count = 0
  let bytes = 0
  const group = consumeGroup({ client, groupId: task.groupId, topics: [lane.topic], fromBeginning: true, ...maxUndoneOverride() })
  let result: RunMeasurement | undefined
  await new Promise<void>((resolve, reject) => {
    const subscription = group.pipe(mergeMap((partition) => partition)).subscribe({
      next: (message: ConsumerMessage) => {
        if (count === 0) {
          joinMs = nowMs() - started
          window.begin()
        }
        count++
        bytes += message.value?.length ?? 0
        message.done()
        if (count === lane.messages) {
          result = window.end(count, bytes, { joinMs })
          subscription.unsubscribe()
          resolve()
        }
      },
      error: reject,
    })
  })
  if (result === undefined) throw new Error('rxkafka consume ended without a result')
  return result
}

async function slowConsumeLane(client: KafkaCluster, task: ChildTask): Promise<RunMeasurement> {
  const { lane } = task
  const window = new Window()
  const started = nowMs()
  let firstAt = 0
  let joinMs = 0
  let seen = 0
  let handled = 0
  let bytes = 0
  const group = consumeGroup({ client, groupId: task.groupId, topics: [lane.topic], fromBeginning: true, ...maxUndoneOverride() })
  return new Promise<RunMeasurement>((resolve, reject) => {
    let sampler: ReturnType<typeof sampleRss> | undefined
    const subscription = group
      .pipe(
        mergeMap((partition) => partition),
        concatMap((message) => {
          if (seen++ === 0) {
            firstAt = nowMs()
            joinMs = firstAt - started
            window.begin()
            sampler = sampleRss(250, () => firstAt)
            setTimeout(() => {
              const rssSamples = sampler?.stop() ?? []
              const result = window.end(handled, bytes, { joinMs, rssSamples })
              subscription.unsubscribe()
              resolve(result)
            }, lane.durationMs ?? 4000)
          }
          return seen % SLOW_EVERY === 0 ? timer(SLOW_SLEEP_MS).pipe(map(() => message)) : of(message)
        }),
      )
      .subscribe({
        next: (message) => {
          handled++
          bytes += message.value?.length ?? 0
          message.done()
        },
        error: reject,
      })
  })
}

export async function run(task: ChildTask): Promise<RunMeasurement> {
  // The mock needs its compatibility setting (docs/mock-cluster.md); a real Kafka gets none.
  const client = new KafkaCluster({ brokers: task.bootstrap.split(','), clientId: 'bench-rxkafka', ...(task.compatibility === undefined ? {} : { compatibility: task.compatibility }) })
  // Holds the client's sockets open between the warm-up and the measured run.
  const hold = client.use(() => NEVER).subscribe()
  // With offloading, hold a share of the codec pool too, so its workers (started and warmed by the warm-up) serve the
  // measured run, as they would in a long-lived producer, instead of starting again inside the window.
  const offloading = process.env.BENCH_RX_OFFLOAD === undefined ? offloadsByDefault(task.lane.compression ?? 'none') : process.env.BENCH_RX_OFFLOAD === '1'
  const poolLease = offloading && task.lane.kind === 'produce' ? acquireCodecPool() : undefined
  await poolLease?.pool.start()
  try {
    await firstValueFrom(client.ensureTopics(laneTopics(task.lane)))
    switch (task.lane.kind) {
      case 'produce':
        return await produceLane(client, task)
      case 'latency':
        return await latencyLane(client, task)
      case 'consume':
        return await consumeLane(client, task)
      case 'slow-consume':
        return await slowConsumeLane(client, task)
      default:
        throw new Error(`unknown lane kind ${String(task.lane.kind)}`)
    }
  } finally {
    hold.unsubscribe()
    await poolLease?.release()
  }
}
