/**
 * The node-rdkafka lanes: librdkafka's own batching (linger.ms), delivery
 * reports polled every millisecond, the flowing consume loop that
 * node-rdkafka documents as its fastest read path, and a pull loop of
 * `consume(100)` for the slow handler (the flowing loop cannot wait for one).
 */
import rdkafka from 'node-rdkafka'
import type { LibrdKafkaError, Message } from 'node-rdkafka'
import { laneKey, laneTopics, SLOW_EVERY, SLOW_SLEEP_MS, type ChildTask, type RunMeasurement } from '../lanes.js'
import { latencySummary, nowMs, sampleRss, sleep, Window } from '../measure.js'
import { benchValues } from '../payload.js'

const { Producer, KafkaConsumer, CODES } = rdkafka

async function produceLane(task: ChildTask): Promise<RunMeasurement> {
  const { lane } = task
  const producer = new Producer({
    'metadata.broker.list': task.bootstrap,
    'client.id': 'bench-node-rdkafka',
    dr_cb: true,
    'linger.ms': lane.lingerMs,
    'compression.codec': lane.compression,
    'enable.idempotence': lane.idempotent,
  }, { 'request.required.acks': lane.acks })
  await new Promise<void>((resolve, reject) => {
    producer.once('ready', () => resolve())
    producer.once('event.error', reject)
    producer.connect({}, (error) => {
      if (error) reject(error)
    })
  })
  producer.setPollInterval(1)
  const values = benchValues(lane.valueBytes)
  const topics = laneTopics(lane)
  let onReport: ((error: LibrdKafkaError | null) => void) | undefined
  producer.on('delivery-report', (error) => onReport?.(error))

  const produceCount = (count: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      let sent = 0
      let delivered = 0
      onReport = (error) => {
        if (error) return reject(error)
        if (++delivered === count) resolve()
      }
      const pump = (): void => {
        while (sent < count) {
          try {
            producer.produce(topics[sent % topics.length] as string, null, values[sent % values.length] as Buffer, lane.keyed === true ? laneKey(sent) : null)
            sent++
          } catch (error) {
            if ((error as LibrdKafkaError).code === CODES.ERRORS.ERR__QUEUE_FULL) {
              setTimeout(pump, 1)
              return
            }
            reject(error as Error)
            return
          }
        }
      }
      pump()
    })

  try {
    if (lane.kind === 'latency') {
      for (let i = 0; i < Math.min(task.warmupMessages, 200); i++) await produceCount(1)
      const latencies: number[] = []
      const window = new Window()
      window.begin()
      for (let i = 0; i < lane.messages; i++) {
        const started = nowMs()
        await produceCount(1)
        latencies.push(nowMs() - started)
      }
      return window.end(lane.messages, lane.messages * lane.valueBytes, { latencyMs: latencySummary(latencies) })
    }
    if (task.warmupMessages > 0) await produceCount(task.warmupMessages)
    const window = new Window()
    window.begin()
    await produceCount(lane.messages)
    return window.end(lane.messages, lane.messages * lane.valueBytes)
  } finally {
    producer.setPollInterval(0)
    producer.disconnect()
  }
}

async function consumeLane(task: ChildTask): Promise<RunMeasurement> {
  const { lane } = task
  const slow = lane.kind === 'slow-consume'
  const started = nowMs()
  const consumer = new KafkaConsumer(
    { 'group.id': task.groupId, 'metadata.broker.list': task.bootstrap, 'client.id': 'bench-node-rdkafka', 'enable.auto.commit': true },
    { 'auto.offset.reset': 'earliest' },
  )
  await new Promise<void>((resolve, reject) => {
    consumer.once('ready', () => resolve())
    consumer.connect({}, (error) => {
      if (error) reject(error)
    })
  })
  consumer.subscribe([lane.topic])
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
    if (!slow) {
      return await new Promise<RunMeasurement>((resolve, reject) => {
        consumer.on('data', (message: Message) => {
          if (count === 0) first()
          count++
          bytes += message.value?.length ?? 0
          if (count === lane.messages) resolve(window.end(count, bytes, { joinMs }))
        })
        consumer.on('event.error', reject)
        consumer.consume()
      })
    }
    consumer.setDefaultConsumeTimeout(100)
    let sampler: ReturnType<typeof sampleRss> | undefined
    let stopAt = Infinity
    while (nowMs() < stopAt) {
      const batch = await new Promise<Message[]>((resolve, reject) => consumer.consume(100, (error, messages) => (error ? reject(error) : resolve(messages))))
      for (const message of batch) {
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
    }
    return window.end(count, bytes, { joinMs, rssSamples: sampler?.stop() ?? [] })
  } finally {
    consumer.unsubscribe()
    consumer.disconnect()
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
