/**
 * The @platformatic/kafka lanes (pure TypeScript, like rxkafka). Its engines
 * field asks for Node >= 22.22 or >= 24.6, so bench/run.ts starts this child
 * on Node 24 from the `node` npm package (as .ci/run does). It has no linger:
 * like KafkaJS, a batch is what one `send()` carries, so the throughput lanes
 * send 1000 messages per call with five calls in flight. Its codecs are its
 * own (lz4 and snappy in WebAssembly, gzip and zstd from node:zlib). The
 * consume lanes read the `data` events of its messages stream, its fastest
 * documented read path, and the slow lane iterates it with `for await`.
 */
import { Consumer, Producer } from '@platformatic/kafka'
import { laneKey, laneTopics, SLOW_EVERY, SLOW_SLEEP_MS, type ChildTask, type LaneDefinition, type RunMeasurement } from '../lanes.js'
import { latencySummary, nowMs, sampleRss, sleep, Window } from '../measure.js'
import { benchValues } from '../payload.js'

const MESSAGES_PER_SEND = 1000
const SENDS_IN_FLIGHT = 5

type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

async function produceCount(producer: Producer<Buffer | undefined, Buffer>, lane: LaneDefinition, values: readonly Buffer[], count: number, perSend: number, inFlight: number): Promise<void> {
  const topics = laneTopics(lane)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const from = next
      const to = Math.min(count, from + perSend)
      next = to
      const messages = []
      for (let i = from; i < to; i++) {
        messages.push({ topic: topics[i % topics.length] as string, key: lane.keyed === true ? Buffer.from(laneKey(i)) : undefined, value: values[i % values.length] as Buffer })
      }
      await producer.send({ messages })
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
}

async function produceLane(task: ChildTask): Promise<RunMeasurement> {
  const { lane } = task
  const producer = new Producer<Buffer | undefined, Buffer>({
    clientId: 'bench-platformatic',
    bootstrapBrokers: task.bootstrap.split(','),
    acks: lane.acks,
    idempotent: lane.idempotent,
    compression: lane.compression as Compression,
    autocreateTopics: false,
  })
  try {
    const values = benchValues(lane.valueBytes)
    if (lane.kind === 'latency') {
      await produceCount(producer, lane, values, Math.min(task.warmupMessages, 200), 1, 1)
      const latencies: number[] = []
      const window = new Window()
      window.begin()
      for (let i = 0; i < lane.messages; i++) {
        const started = nowMs()
        await producer.send({ messages: [{ topic: lane.topic, key: undefined, value: values[i % values.length] as Buffer }] })
        latencies.push(nowMs() - started)
      }
      return window.end(lane.messages, lane.messages * lane.valueBytes, { latencyMs: latencySummary(latencies) })
    }
    if (task.warmupMessages > 0) await produceCount(producer, lane, values, task.warmupMessages, MESSAGES_PER_SEND, SENDS_IN_FLIGHT)
    const window = new Window()
    window.begin()
    await produceCount(producer, lane, values, lane.messages, MESSAGES_PER_SEND, SENDS_IN_FLIGHT)
    return window.end(lane.messages, lane.messages * lane.valueBytes)
  } finally {
    await producer.close().catch(() => undefined)
  }
}

async function consumeLane(task: ChildTask): Promise<RunMeasurement> {
  const { lane } = task
  const slow = lane.kind === 'slow-consume'
  const started = nowMs()
  const consumer = new Consumer({ clientId: 'bench-platformatic', bootstrapBrokers: task.bootstrap.split(','), groupId: task.groupId })
  const window = new Window()
  let firstAt = 0
  let joinMs = 0
  let count = 0
  let bytes = 0
  const first = (): void => {
    firstAt = nowMs()
    joinMs = firstAt - started
    window.begin()
  }
  try {
    const stream = await consumer.consume({ topics: [lane.topic], mode: 'earliest', autocommit: true })
    try {
      if (!slow) {
        return await new Promise<RunMeasurement>((resolve, reject) => {
          stream.on('data', (message) => {
            if (count === 0) first()
            count++
            bytes += message.value?.length ?? 0
            if (count === lane.messages) resolve(window.end(count, bytes, { joinMs }))
          })
          stream.on('error', reject)
        })
      }
      let sampler: ReturnType<typeof sampleRss> | undefined
      let stopAt = Infinity
      for await (const message of stream) {
        if (count === 0) {
          first()
          sampler = sampleRss(250, () => firstAt)
          stopAt = firstAt + (lane.durationMs ?? 4000)
        }
        count++
        bytes += message.value?.length ?? 0
        if (count % SLOW_EVERY === 0) await sleep(SLOW_SLEEP_MS)
        if (nowMs() >= stopAt) break
      }
      return window.end(count, bytes, { joinMs, rssSamples: sampler?.stop() ?? [] })
    } finally {
      await stream.close().catch(() => undefined)
    }
  } finally {
    await consumer.close(true).catch(() => undefined)
  }
}

export async function run(task: ChildTask): Promise<RunMeasurement> {
  switch (task.lane.kind) {
    case 'produce':
    case 'latency':
      return produceLane(task)
    case 'consume':
    case 'slow-consume':
      return consumeLane(task)
  }
}
