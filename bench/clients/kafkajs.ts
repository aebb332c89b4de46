/**
 * The KafkaJS lanes. KafkaJS has no linger: a batch is what one `send()`
 * carries, so the throughput lanes send 1000 messages per call with five
 * calls in flight, its documented way to go fast. KafkaJS ships only gzip;
 * for lz4 it takes a codec plugin, and the one registered here wraps
 * rxkafka's own lz4 codec (pure JavaScript), so both clients compress alike.
 */
import kafkajs from 'kafkajs'
import type { Consumer, Producer } from 'kafkajs'
import { lz4Codec } from '../../lib/protocol/compression/lz4.js'
import { snappyCodec } from '../../lib/protocol/compression/snappy.js'
import { zstdCodec } from '../../lib/protocol/compression/zstd.js'
import { laneKey, laneTopics, SLOW_EVERY, SLOW_SLEEP_MS, type ChildTask, type LaneDefinition, type RunMeasurement } from '../lanes.js'
import { latencySummary, nowMs, sampleRss, sleep, Window } from '../measure.js'
import { benchValues } from '../payload.js'

const { Kafka, logLevel, CompressionTypes, CompressionCodecs, Partitioners } = kafkajs

const MESSAGES_PER_SEND = 1000
const SENDS_IN_FLIGHT = 5

// KafkaJS ships gzip only; the other codecs are plugins, here wrapping rxkafka's own codecs (pure JavaScript, like KafkaJS).
for (const [type, codec] of [[CompressionTypes.LZ4, lz4Codec], [CompressionTypes.Snappy, snappyCodec], [CompressionTypes.ZSTD, zstdCodec]] as const) {
  CompressionCodecs[type] = () => ({
    compress: async (encoder: { buffer: Buffer }) => codec.compress(encoder.buffer),
    decompress: async (buffer: Buffer) => codec.decompress(buffer, 64 * 1024 * 1024),
  })
}

function compressionOf(lane: LaneDefinition): number {
  return { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD }[lane.compression]
}

async function produceCount(producer: Producer, lane: LaneDefinition, values: readonly Buffer[], count: number): Promise<void> {
  const topics = laneTopics(lane)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const from = next
      const to = Math.min(count, from + MESSAGES_PER_SEND)
      next = to
      const messages = []
      for (let i = from; i < to; i++) messages.push({ key: lane.keyed === true ? laneKey(i) : null, value: values[i % values.length] as Buffer })
      // Several topics: each send goes to the next one (KafkaJS sends one topic per call here).
      await producer.send({ topic: topics[(from / MESSAGES_PER_SEND) % topics.length] as string, acks: lane.acks, compression: compressionOf(lane), messages })
    }
  }
  await Promise.all(Array.from({ length: SENDS_IN_FLIGHT }, worker))
}

async function produceLane(kafka: InstanceType<typeof Kafka>, task: ChildTask): Promise<RunMeasurement> {
  const { lane } = task
  const producer = kafka.producer({
    idempotent: lane.idempotent,
    // KafkaJS keeps sequence numbers right only with one request in flight when idempotent.
    maxInFlightRequests: lane.idempotent ? 1 : undefined,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  await producer.connect()
  try {
    const values = benchValues(lane.valueBytes)
    if (lane.kind === 'latency') {
      for (let i = 0; i < Math.min(task.warmupMessages, 200); i++) await producer.send({ topic: lane.topic, acks: lane.acks, messages: [{ value: values[i % values.length] as Buffer }] })
      const latencies: number[] = []
      const window = new Window()
      window.begin()
      for (let i = 0; i < lane.messages; i++) {
        const started = nowMs()
        await producer.send({ topic: lane.topic, acks: lane.acks, messages: [{ value: values[i % values.length] as Buffer }] })
        latencies.push(nowMs() - started)
      }
      return window.end(lane.messages, lane.messages * lane.valueBytes, { latencyMs: latencySummary(latencies) })
    }
    if (task.warmupMessages > 0) await produceCount(producer, lane, values, task.warmupMessages)
    const window = new Window()
    window.begin()
    await produceCount(producer, lane, values, lane.messages)
    return window.end(lane.messages, lane.messages * lane.valueBytes)
  } finally {
    await producer.disconnect().catch(() => undefined)
  }
}

async function consumeLane(kafka: InstanceType<typeof Kafka>, task: ChildTask): Promise<RunMeasurement> {
  const { lane } = task
  const slow = lane.kind === 'slow-consume'
  const consumer: Consumer = kafka.consumer({ groupId: task.groupId, allowAutoTopicCreation: false })
  const window = new Window()
  const started = nowMs()
  let firstAt = 0
  let joinMs = 0
  let count = 0
  let bytes = 0
  await consumer.connect()
  await consumer.subscribe({ topics: [lane.topic], fromBeginning: true })
  const result = await new Promise<RunMeasurement>((resolve, reject) => {
    let done = false
    const first = (): void => {
      firstAt = nowMs()
      joinMs = firstAt - started
      window.begin()
      if (slow) {
        const sampler = sampleRss(250, () => firstAt)
        setTimeout(() => {
          done = true
          resolve(window.end(count, bytes, { joinMs, rssSamples: sampler.stop() }))
        }, lane.durationMs ?? 4000)
      }
    }
    const run = slow
      ? consumer.run({
          eachMessage: async ({ message }) => {
            if (done) return
            if (count === 0) first()
            count++
            bytes += message.value?.length ?? 0
            if (count % SLOW_EVERY === 0) await sleep(SLOW_SLEEP_MS)
          },
        })
      : consumer.run({
          eachBatch: async ({ batch }) => {
            if (done) return
            if (count === 0 && batch.messages.length > 0) first()
            for (const message of batch.messages) bytes += message.value?.length ?? 0
            count += batch.messages.length
            if (count >= lane.messages) {
              done = true
              resolve(window.end(count, bytes, { joinMs }))
            }
          },
        })
    run.catch(reject)
    consumer.on(consumer.events.CRASH, (event) => reject(event.payload.error))
  })
  void consumer.disconnect().catch(() => undefined)
  return result
}

export async function run(task: ChildTask): Promise<RunMeasurement> {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: task.bootstrap.split(','), logLevel: logLevel.NOTHING })
  switch (task.lane.kind) {
    case 'produce':
    case 'latency':
      return produceLane(kafka, task)
    case 'consume':
    case 'slow-consume':
      return consumeLane(kafka, task)
  }
}
