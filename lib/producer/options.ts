/**
 * Options of the producer operators, their defaults, and their validation
 * (done when the operator is created, so a typo fails where it was written).
 */
import { isObservable } from 'rxjs'
import type { Observable, SchedulerLike } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import type { CompressionCodecName } from '../protocol/compression/index.js'
import { CompressionCodecId } from '../protocol/compression/index.js'
import { checkCount, checkDuration, checkFunction } from '../kit/options.js'
import { OperatorOptionError } from '../errors/index.js'
import { validateBackoffOptions } from '../kit/backoff.js'
import type { BackoffOptions } from '../kit/backoff.js'
import type { PartitionerChoice } from './partitioners.js'
import type { CodecPool } from '../workers/codec-pool.js'

/** How many replicas must have a message before the broker acknowledges it. `'all'` is the same as -1. */
export type Acks = 0 | 1 | -1 | 'all'

/** Turns a key or value of the user's type into bytes (a string is written as UTF-8). */
export type Serializer<T> = (value: T, topic: string) => Buffer | string | null

/** Settings of the circuit breakers the producer keeps per partition and per broker. */
export interface ProducerCircuitBreakerOptions {
  /** Failed attempts in a row that open the circuit. Default 5. */
  failureThreshold?: number
  /** How long it stays open before one probe batch is let through, in ms. Default 10 000. */
  resetAfterMs?: number
}

/**
 * Every setting of {@link produceTo}, {@link produce} and {@link send}, each
 * optional. Users write {@link ProducerOptions}, which is this plus the
 * serializers that the key and value types require.
 *
 * @example
 * ```ts
 * const settings: ProducerSettings = { acks: 'all', compression: 'lz4', lingerMs: 10 }
 * ```
 */
export interface ProducerSettings<K = Buffer | string | null, V = Buffer | string | null> {
  /** Acknowledgement level. Default `'all'`. */
  acks?: Acks
  /** How long the broker may wait for replicas before answering (the request's timeoutMs). Default 30 000. */
  timeoutMs?: number
  /** How long to wait for a Produce answer before treating the attempt as failed. Default `timeoutMs + 5000`. */
  requestTimeoutMs?: number
  /** Codec per batch. Default `'none'`. */
  compression?: CompressionCodecName
  /** How long an open batch waits for more messages before it is sealed. Default 5. */
  lingerMs?: number
  /** A batch is sealed once it reaches this many bytes (before compression). Default 512 KiB. */
  batchBytes?: number
  /** A batch is sealed once it holds this many messages. Default Infinity (bytes decide). */
  batchMessages?: number
  /** Upper bound of the record data in one Produce request (many partitions' batches). Default 8 MiB. */
  maxRequestBytes?: number
  /** Produce requests in flight per broker. Default 5 (at most 5 with idempotence). */
  maxInFlight?: number
  /** Attempts after the first for a retriable failure. Default Infinity (deliveryTimeoutMs bounds them). */
  retries?: number
  /** Backoff between attempts of a batch. Default `{ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.2 }`. */
  retryBackoff?: BackoffOptions
  /** Upper bound from a message entering the producer to its result. Default 120 000. */
  deliveryTimeoutMs?: number
  /**
   * Idempotent producing (producer id, per-partition sequence numbers): retries
   * neither duplicate nor reorder. Default true, which needs `acks: 'all'`; when
   * `acks` is 0 or 1 and `idempotent` is not given, it is off.
   */
  idempotent?: boolean
  /** How keyless / unpinned messages pick a partition. Default `'default'` (murmur2 of the key, sticky for keyless). */
  partitioner?: PartitionerChoice
  /**
   * true (default): a message stays in the partition the partitioner chose, and
   * fails when that partition's circuit is open. false: while a partition's (or
   * its leader's) circuit is open, new messages go to another partition.
   * Messages with an explicit `partition` are always strict.
   */
  strictPartitioning?: boolean
  /**
   * Circuit breakers per partition and per broker, for fail-fast producing.
   * Default `false`: retriable errors are retried until `deliveryTimeoutMs`, as
   * the Java client does, so a broker restart or a leader move fails nothing.
   * `true` turns them on with `{ failureThreshold: 5, resetAfterMs: 10_000 }`;
   * an object sets either. While a circuit is open its queued batches fail
   * with a retriable `CircuitOpenError` instead of waiting.
   */
  circuitBreaker?: ProducerCircuitBreakerOptions | boolean
  /** Bytes of encoded, not yet acknowledged records the producer holds. Default 32 MiB. */
  maxBufferedBytes?: number
  /**
   * What a message that does not fit in `maxBufferedBytes` does: `'wait'`
   * (default) queues it, unencoded, until acknowledgements free space (like the
   * Java client's blocking send, bounded by `deliveryTimeoutMs` and
   * `maxWaitingMessages`); `'error'` fails it at once with a BufferFullError.
   */
  onBufferFull?: 'wait' | 'error'
  /** Messages that may wait for buffer space; more fail with BufferFullError. Default Infinity. */
  maxWaitingMessages?: number
  /**
   * What a final delivery failure does: `'stream'` (default) errors the output
   * with a ProducerDeliveryError; `'result'` emits a result with `error` set and
   * carries on with the other messages.
   */
  errorMode?: 'stream' | 'result'
  /**
   * Compress and checksum sealed batches of 64 KiB or more on worker threads
   * (one pool per process, lib/workers/codec-pool.ts), so that a second core
   * does that work; this thread keeps ordering, sequence numbers and I/O.
   * Smaller batches, `compression: 'none'` and codecs registered with
   * `registerCodec` stay on this thread. Default: on for gzip, off for the
   * others. gzip is slow enough that the hand-off pays (about 1.5× the
   * throughput on 2 cores, same CPU per message); lz4, snappy and zstd are
   * fast enough that it costs more than it saves (docs/bench.md: "Codec worker
   * pool" has the measurements behind the default).
   *
   * @example
   * ```ts
   * // lz4 on a machine with cores to spare: try it, and measure
   * events$.pipe(kafka.produceTo('events', { compression: 'lz4', offloadCompression: true }))
   * ```
   */
  offloadCompression?: boolean
  /** Turns each key into bytes. Required when the key type is not Buffer, string or null (see {@link RequiredSerializers}). */
  keySerializer?: Serializer<K>
  /** Turns each value into bytes. Required when the value type is not Buffer, string or null. */
  valueSerializer?: Serializer<V>
  /** Random source of the sticky and random partitioners and of backoff jitter, in [0, 1). Default Math.random. */
  random?: () => number
  /** Time source. Default the client's scheduler. */
  scheduler?: SchedulerLike
  /** A name for this producer in diagnostics. Default `producer-N`. */
  name?: string
  /**
   * Each emission flushes the producer: open batches are sealed and sent at
   * once, without waiting for their linger (as `kafka.flush()` does, without
   * the Promise). The stream stays open.
   */
  flush$?: Observable<unknown>
}

/**
 * The serializers a producer of keys `K` and values `V` must be given: one for
 * each of them that is not already bytes (Buffer, string or null). So a value
 * type the producer cannot send is a compile error, not a run-time one:
 * `from([{ value: 42 }]).pipe(kafka.produceTo('orders'))` does not compile, and
 * neither does `kafka.send('orders', { value: 42 })`.
 *
 * @example
 * ```ts
 * const needed: RequiredSerializers<string, Order> = { valueSerializer: order => JSON.stringify(order) }
 * ```
 */
export type RequiredSerializers<K, V> = ([K] extends [Buffer | string | null | undefined]
  ? unknown
  : {
      /** Turns each key into bytes; required, since the key type is not Buffer, string or null. */
      keySerializer: Serializer<K>
    }) &
  ([V] extends [Buffer | string | null]
    ? unknown
    : {
        /** Turns each value into bytes; required, since the value type is not Buffer, string or null. */
        valueSerializer: Serializer<V>
      })

/**
 * Options of {@link produceTo}, {@link produce} and {@link send}: every
 * {@link ProducerSettings | setting} (each has a default, docs/producer.md),
 * plus a `keySerializer` or `valueSerializer` wherever the key or value type is
 * not Buffer, string or null. Durations in milliseconds, sizes in bytes.
 *
 * @example
 * ```ts
 * const options: ProducerOptions<string, Order> = {
 *   acks: 'all', compression: 'lz4', lingerMs: 10, errorMode: 'result',
 *   valueSerializer: order => JSON.stringify(order),
 * }
 * orders$.pipe(map(o => ({ key: o.customerId, value: o })), produceTo('orders', { ...options, client }))
 * ```
 */
export type ProducerOptions<K = Buffer | string | null, V = Buffer | string | null> = ProducerSettings<K, V> & RequiredSerializers<K, V>

/**
 * Options with the client, as the standalone operators take them.
 *
 * @example
 * ```ts
 * const options: ProducerOptionsWithClient = { client: kafka.cluster, acks: 1 }
 * ```
 */
export type ProducerOptionsWithClient<K = Buffer | string | null, V = Buffer | string | null> = ProducerOptions<K, V> & {
  /** The cluster to produce to: `kafka.cluster`, or any {@link ClusterClient} such as the virtual cluster. */
  client: ClusterClient
}

/** Options after defaults. */
export interface ResolvedProducerOptions {
  acks: 0 | 1 | -1
  timeoutMs: number
  requestTimeoutMs: number
  compression: CompressionCodecName
  lingerMs: number
  batchBytes: number
  batchMessages: number
  maxRequestBytes: number
  maxInFlight: number
  retries: number
  retryBackoff: Required<BackoffOptions>
  deliveryTimeoutMs: number
  idempotent: boolean
  partitioner: PartitionerChoice
  strictPartitioning: boolean
  circuitBreaker: Required<ProducerCircuitBreakerOptions> | false
  maxBufferedBytes: number
  onBufferFull: 'wait' | 'error'
  maxWaitingMessages: number
  errorMode: 'stream' | 'result'
  offloadCompression: boolean
  /** The codec pool of this subscription, when `offloadCompression` is on (set by produceTo, which holds its lease). */
  codecPool: CodecPool | undefined
  keySerializer: Serializer<unknown> | undefined
  valueSerializer: Serializer<unknown> | undefined
  random: () => number
  scheduler: SchedulerLike
  name: string
  flush$: Observable<unknown> | undefined
}

let producerCount = 0

/**
 * Whether `offloadCompression` is on when not given: where the bench shows the hand-off to the codec pool pays on
 * 2 cores, which is gzip only (see the option's TSDoc and docs/bench.md, "Codec worker pool").
 */
export function offloadsByDefault(compression: CompressionCodecName): boolean {
  return compression === 'gzip'
}

/** Applies defaults and checks every option; throws OperatorOptionError naming the option. */
export function resolveProducerOptions(
  operator: string,
  options: ProducerOptions<never, never> & { client?: ClusterClient },
  client: ClusterClient,
): ResolvedProducerOptions {
  const o = options
  if (o.acks !== undefined && o.acks !== 0 && o.acks !== 1 && o.acks !== -1 && o.acks !== 'all') {
    throw new OperatorOptionError(operator, 'acks', `must be 0, 1, -1 or 'all', got ${String(o.acks)}`, "Use 'all' for durability, 1 for the leader only, 0 for fire-and-forget")
  }
  const acks: 0 | 1 | -1 = o.acks === undefined || o.acks === 'all' ? -1 : o.acks
  checkDuration(operator, 'timeoutMs', o.timeoutMs)
  checkDuration(operator, 'requestTimeoutMs', o.requestTimeoutMs)
  checkDuration(operator, 'lingerMs', o.lingerMs)
  checkDuration(operator, 'deliveryTimeoutMs', o.deliveryTimeoutMs)
  checkCount(operator, 'batchBytes', o.batchBytes, 1)
  checkCount(operator, 'batchMessages', o.batchMessages, 1)
  checkCount(operator, 'maxRequestBytes', o.maxRequestBytes, 1)
  checkCount(operator, 'maxInFlight', o.maxInFlight, 1)
  checkCount(operator, 'retries', o.retries, 0)
  checkCount(operator, 'maxBufferedBytes', o.maxBufferedBytes, 1)
  checkCount(operator, 'maxWaitingMessages', o.maxWaitingMessages, 0)
  checkFunction(operator, 'keySerializer', o.keySerializer)
  checkFunction(operator, 'valueSerializer', o.valueSerializer)
  checkFunction(operator, 'random', o.random)
  if (o.retryBackoff !== undefined) validateBackoffOptions(o.retryBackoff, `${operator}.retryBackoff`)
  if (o.compression !== undefined && !(o.compression in CompressionCodecId)) {
    throw new OperatorOptionError(operator, 'compression', `must be one of ${Object.keys(CompressionCodecId).join(', ')}, got ${String(o.compression)}`, 'Pick a codec by name, such as "lz4"')
  }
  if (o.onBufferFull !== undefined && o.onBufferFull !== 'wait' && o.onBufferFull !== 'error') {
    throw new OperatorOptionError(operator, 'onBufferFull', `must be 'wait' or 'error', got ${String(o.onBufferFull)}`, "Use 'wait' to queue messages until space frees, 'error' to fail them at once")
  }
  if (o.offloadCompression !== undefined && typeof o.offloadCompression !== 'boolean') {
    throw new OperatorOptionError(operator, 'offloadCompression', `must be true or false, got ${String(o.offloadCompression)}`, 'Use true to compress large batches on worker threads')
  }
  if (o.errorMode !== undefined && o.errorMode !== 'stream' && o.errorMode !== 'result') {
    throw new OperatorOptionError(operator, 'errorMode', `must be 'stream' or 'result', got ${String(o.errorMode)}`, "Use 'stream' to stop at the first failure, 'result' to get failures as results")
  }
  const partitioner = o.partitioner ?? 'default'
  if (typeof partitioner !== 'function' && partitioner !== 'default' && partitioner !== 'round-robin' && partitioner !== 'random') {
    throw new OperatorOptionError(operator, 'partitioner', `must be 'default', 'round-robin', 'random' or a function, got ${String(partitioner)}`, 'Leave it out for the Java-compatible default')
  }
  const idempotent = o.idempotent ?? acks === -1
  if (idempotent && acks !== -1) {
    throw new OperatorOptionError(operator, 'idempotent', `needs acks 'all', got acks ${acks}`, "Use acks: 'all', or idempotent: false")
  }
  const maxInFlight = o.maxInFlight ?? 5
  if (idempotent && maxInFlight > 5) {
    throw new OperatorOptionError(operator, 'maxInFlight', `must be at most 5 with idempotence, got ${maxInFlight}`, 'Brokers track the last 5 batches per producer; use 5 or fewer, or idempotent: false')
  }
  // Off by default: a breaker fails messages whose delivery timeout has not passed, which a rolling restart must not do.
  let circuitBreaker: Required<ProducerCircuitBreakerOptions> | false = false
  if (o.circuitBreaker === true) circuitBreaker = { failureThreshold: 5, resetAfterMs: 10_000 }
  else if (o.circuitBreaker !== undefined && o.circuitBreaker !== false) {
    checkCount(`${operator}.circuitBreaker`, 'failureThreshold', o.circuitBreaker.failureThreshold, 1)
    checkDuration(`${operator}.circuitBreaker`, 'resetAfterMs', o.circuitBreaker.resetAfterMs)
    circuitBreaker = {
      failureThreshold: o.circuitBreaker.failureThreshold ?? 5,
      resetAfterMs: o.circuitBreaker.resetAfterMs ?? 10_000,
    }
  }
  if (o.flush$ !== undefined && !isObservable(o.flush$)) {
    throw new OperatorOptionError(operator, 'flush$', `must be an Observable, got ${typeof o.flush$}`, 'Pass a notifier such as interval(1000) or a Subject; each emission flushes')
  }
  const timeoutMs = o.timeoutMs ?? 30_000
  producerCount++
  return {
    acks,
    timeoutMs,
    requestTimeoutMs: o.requestTimeoutMs ?? timeoutMs + 5_000,
    compression: o.compression ?? 'none',
    lingerMs: o.lingerMs ?? 5,
    batchBytes: o.batchBytes ?? 512 * 1024,
    batchMessages: o.batchMessages ?? Infinity,
    maxRequestBytes: o.maxRequestBytes ?? 8 * 1024 * 1024,
    maxInFlight,
    retries: o.retries ?? Infinity,
    retryBackoff: { initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0.2, ...o.retryBackoff },
    deliveryTimeoutMs: o.deliveryTimeoutMs ?? 120_000,
    idempotent,
    partitioner,
    strictPartitioning: o.strictPartitioning ?? true,
    circuitBreaker,
    maxBufferedBytes: o.maxBufferedBytes ?? 32 * 1024 * 1024,
    onBufferFull: o.onBufferFull ?? 'wait',
    maxWaitingMessages: o.maxWaitingMessages ?? Infinity,
    errorMode: o.errorMode ?? 'stream',
    offloadCompression: o.offloadCompression ?? offloadsByDefault(o.compression ?? 'none'),
    codecPool: undefined,
    keySerializer: o.keySerializer as Serializer<unknown> | undefined,
    valueSerializer: o.valueSerializer as Serializer<unknown> | undefined,
    random: o.random ?? Math.random,
    scheduler: o.scheduler ?? client.scheduler,
    name: o.name ?? `producer-${producerCount}`,
    flush$: o.flush$,
  }
}

/** Checks the option shape that holds the client. */
export function requireClient(operator: string, options: { client?: ClusterClient } | undefined): ClusterClient {
  const client = options?.client
  if (client === undefined || client === null || typeof client.request !== 'function') {
    throw new OperatorOptionError(operator, 'client', 'is required: the cluster client to produce through', 'Pass { client } (for example kafka.cluster), or use kafka.produceTo(...) which binds it')
  }
  return client
}

