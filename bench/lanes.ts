/**
 * The lanes: what each benchmark does, sized so that a full run of every lane
 * and client three times fits in about ten minutes on a 2-core machine while
 * each measured window stays long enough (about a second or more) to be stable.
 */
import type { BrokerCompatibility } from '../lib/index.js'

/**
 * The clients compared, in the order they run and appear in tables.
 * `platformatic` is @platformatic/kafka, run on Node 24 (its engines field);
 * on the mock its group and idempotent lanes are n/a (bench/run.ts says why).
 */
export const CLIENTS = ['rxkafka', 'kafkajs', 'node-rdkafka', 'platformatic', 'kcat'] as const
export type ClientName = (typeof CLIENTS)[number]

/** What a lane measures. */
export type LaneKind = 'produce' | 'latency' | 'consume' | 'slow-consume'

export interface LaneDefinition {
  id: string
  kind: LaneKind
  /** One line for the table legend and docs. */
  title: string
  /** Value size in bytes (keys are null). */
  valueBytes: number
  /** Messages per run (for slow-consume: messages pre-produced; the run is bounded by `durationMs`). */
  messages: number
  acks: 1 | -1
  idempotent: boolean
  compression: LaneCompression
  /** Linger before a batch is sent, for clients that have one. */
  lingerMs: number
  /** Topic the lane runs on; every client of the lane uses it. */
  topic: string
  partitions: number
  /** slow-consume only: how long to run after the first message. */
  durationMs?: number
  /**
   * Messages carry keys (`k0`..`k9999`, cycled), so the partitioner spreads them
   * over every partition instead of filling one batch at a time (the scale lanes).
   */
  keyed?: boolean
  /** Produce lanes: spread messages round-robin over this many topics, `<topic>-0` .. `<topic>-<n-1>`, each of `partitions` partitions. Default 1 (just `topic`). */
  topics?: number
  /** Lanes in a family (`scale`) run only when asked for (`--scale-curves` or `--lanes`), not in a default run. */
  family?: 'scale'
  /** The curve a scale lane is a point of, and its x value (partitions in all). */
  curve?: { name: string; partitions: number }
  /** Consume lanes: how the topic is filled before the lane runs (the main consume topic has its own fill). */
  prefill?: { messages: number }
}

/** Codecs of the produce lanes. */
export type LaneCompression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

/** The topic names a lane produces to. */
export function laneTopics(lane: LaneDefinition): string[] {
  const count = lane.topics ?? 1
  return count === 1 ? [lane.topic] : Array.from({ length: count }, (_, t) => `${lane.topic}-${t}`)
}

/** The key of message `i` in a keyed lane. */
export function laneKey(i: number): string {
  return `k${i % 10_000}`
}

const produce = (id: string, valueBytes: number, messages: number, compression: LaneCompression, title: string): LaneDefinition => ({
  id,
  kind: 'produce',
  title,
  valueBytes,
  messages,
  acks: 1,
  idempotent: false,
  compression,
  lingerMs: 5,
  topic: `bench-${id}`,
  partitions: 6,
})

/** The consume lanes read this topic, filled once by kcat before any lane runs. */
export const CONSUME_TOPIC = 'bench-consume'
export const CONSUME_PARTITIONS = 12
/** 40 000 records of ~110 bytes per partition: 4.4 MB, under the mock's 5 MiB retention per partition. */
export const CONSUME_MESSAGES = 480_000

/** The slow handler: sequential, and every SLOW_EVERY-th message waits SLOW_SLEEP_MS (about 10k messages/s at most). */
export const SLOW_EVERY = 10
export const SLOW_SLEEP_MS = 1

export const LANES: readonly LaneDefinition[] = [
  produce('produce-100B', 100, 400_000, 'none', 'produce 100-byte values, acks=1, linger 5 ms, uncompressed'),
  produce('produce-100B-lz4', 100, 400_000, 'lz4', 'produce 100-byte values, acks=1, linger 5 ms, lz4'),
  produce('produce-100B-snappy', 100, 400_000, 'snappy', 'produce 100-byte values, acks=1, linger 5 ms, snappy'),
  produce('produce-100B-gzip', 100, 100_000, 'gzip', 'produce 100-byte values, acks=1, linger 5 ms, gzip (a quarter of the messages: gzip is slow everywhere)'),
  produce('produce-100B-zstd', 100, 400_000, 'zstd', 'produce 100-byte values, acks=1, linger 5 ms, zstd (rxkafka compresses zstd on Node >= 22.15 only)'),
  produce('produce-1KiB', 1024, 100_000, 'none', 'produce 1 KiB values, acks=1, linger 5 ms, uncompressed'),
  produce('produce-1KiB-lz4', 1024, 100_000, 'lz4', 'produce 1 KiB values, acks=1, linger 5 ms, lz4'),
  {
    ...produce('produce-idempotent', 100, 400_000, 'none', 'produce 100-byte values, acks=all, idempotent, linger 5 ms'),
    acks: -1,
    idempotent: true,
  },
  {
    id: 'send-latency',
    kind: 'latency',
    title: 'one 100-byte message at a time, each send awaited (acks=1, no linger)',
    valueBytes: 100,
    messages: 2_000,
    acks: 1,
    idempotent: false,
    compression: 'none',
    lingerMs: 0,
    topic: 'bench-send-latency',
    partitions: 6,
  },
  {
    id: 'consume-group',
    kind: 'consume',
    title: `consume ${CONSUME_MESSAGES / 1000}k pre-produced 100-byte messages through a new group (from the first message to the last)`,
    valueBytes: 100,
    messages: CONSUME_MESSAGES,
    acks: 1,
    idempotent: false,
    compression: 'none',
    lingerMs: 0,
    topic: CONSUME_TOPIC,
    partitions: CONSUME_PARTITIONS,
  },
  {
    id: 'consume-slow',
    kind: 'slow-consume',
    title: `consume the same data with a slow sequential handler (${SLOW_SLEEP_MS} ms pause every ${SLOW_EVERY} messages) for 4 s: memory must stay flat`,
    valueBytes: 100,
    messages: CONSUME_MESSAGES,
    acks: 1,
    idempotent: false,
    compression: 'none',
    lingerMs: 0,
    topic: CONSUME_TOPIC,
    partitions: CONSUME_PARTITIONS,
    durationMs: 4_000,
  },
  ...scaleLanes(),
]

/**
 * The scale curves: keyed 100-byte messages (so every partition gets some)
 * produced into 1 topic of 1, 12, 100 and 1 000 partitions, and into 10 and 100
 * topics of 4 partitions; consumed from 1, 12, 100 and 1 000 partitions. The
 * mock keeps at most 5 MiB or 100k batches per partition, so the one-partition
 * consume topic holds 36k messages and the others 120k.
 */
function scaleLanes(): LaneDefinition[] {
  const lanes: LaneDefinition[] = []
  const base = (id: string, partitions: number): LaneDefinition => ({
    ...produce(id, 100, 200_000, 'none', ''),
    keyed: true,
    family: 'scale',
    partitions,
  })
  for (const partitions of [1, 12, 100, 1000]) {
    lanes.push({
      ...base(`scale-produce-p${partitions}`, partitions),
      title: `produce 200k keyed 100-byte values into 1 topic of ${partitions} partition(s), acks=1, linger 5 ms`,
      curve: { name: 'produce, 1 topic', partitions },
    })
  }
  for (const topics of [10, 100]) {
    lanes.push({
      ...base(`scale-produce-t${topics}`, 4),
      topics,
      title: `produce 200k keyed 100-byte values round-robin into ${topics} topics of 4 partitions, acks=1, linger 5 ms`,
      curve: { name: 'produce, topics of 4 partitions', partitions: topics * 4 },
    })
  }
  lanes.push({ ...lanes[0]!, id: 'scale-produce-t1', topic: 'bench-scale-produce-t1', partitions: 4, title: 'produce 200k keyed 100-byte values into 1 topic of 4 partitions', curve: { name: 'produce, topics of 4 partitions', partitions: 4 } })
  for (const partitions of [1, 12, 100, 1000]) {
    const messages = partitions === 1 ? 36_000 : 120_000
    lanes.push({
      id: `scale-consume-p${partitions}`,
      kind: 'consume',
      title: `consume ${messages / 1000}k pre-produced keyed 100-byte messages from ${partitions} partition(s) through a new group`,
      valueBytes: 100,
      messages,
      acks: 1,
      idempotent: false,
      compression: 'none',
      lingerMs: 0,
      topic: `bench-scale-consume-p${partitions}`,
      partitions,
      keyed: true,
      family: 'scale',
      curve: { name: 'consume, 1 topic', partitions },
      prefill: { messages },
    })
  }
  return lanes
}

/** What the parent hands a child: one lane, one client, one run. */
export interface ChildTask {
  lane: LaneDefinition
  client: Exclude<ClientName, 'kcat'>
  bootstrap: string
  /** The peer's compatibility setting for rxkafka (the mock's `MOCK_COMPATIBILITY`; absent on Kafka). */
  compatibility?: BrokerCompatibility
  /** Fresh per run, so every consume run starts from the beginning. */
  groupId: string
  /** Unmeasured messages sent first (produce lanes), so connections and JIT are warm. */
  warmupMessages: number
}

/** What a child reports. Times in ms, CPU in seconds, memory in bytes. */
export interface RunMeasurement {
  messages: number
  /** Value bytes moved in the measured window. */
  bytes: number
  /** Measured wall time. */
  wallMs: number
  /** User + system CPU of the client process over the measured window (kcat: the whole process). */
  cpuSeconds: number
  /** The user and system parts of `cpuSeconds` (on loopback, the kernel's TCP work lands in system time of the sender). */
  cpuUserSeconds?: number
  cpuSystemSeconds?: number
  /** Peak resident set size of the client process over its whole life. */
  peakRssBytes: number
  /** kcat produce lanes: wall time of a one-message kcat run, taken off `wallMs`. */
  startupMs?: number
  /** Consume lanes: from starting the consumer to its first message. */
  joinMs?: number
  /** Latency lane: per-send latency percentiles. */
  latencyMs?: { p50: number; p99: number; mean: number; max: number }
  /** Slow-consume lane: RSS samples (ms since the first message, bytes). */
  rssSamples?: [number, number][]
  /** Measured window on the process's monotonic clock (µs), for cutting a CPU profile to it. */
  windowUs?: [number, number]
}

/** The line a child prints before exiting; the parent looks for this prefix. */
export const RESULT_PREFIX = 'BENCH_RESULT '
