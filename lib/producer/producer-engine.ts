/**
 * The producer pipeline behind the operators, as one imperative state machine
 * per subscription: partition -> accumulate into the open batch -> seal ->
 * per-broker Produce requests -> answer -> retry / result. Messages go through
 * plain method calls and arrays; the only Observables are one per Produce
 * request, metadata lookups, and a single timer for the next thing due
 * (linger, backoff, delivery timeout, circuit half-open).
 */
import { batchFinished, batchSealed } from '../observability/producer-events.js'
import { asapScheduler, asyncScheduler } from 'rxjs'
import type { Observable, Observer, SchedulerAction, Subscriber, Subscription } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import type { ClusterView } from '../cluster/cluster-view.js'
import { CircuitBreakerState } from '../operators/circuitBreaker.js'
import { CircuitOpenError, brokerError, KafkaBrokerError, RxKafkaError, BufferFullError, DeliveryTimeoutError, InvalidPartitionError, ProducerDeliveryError, ProducerInputError } from '../errors/index.js'
import { backoffDelay } from '../kit/backoff.js'
import { ErrorCode, errorCodeInfo } from '../protocol/error-codes.js'
import { DescribeConfigsApi } from '../protocol/messages/DescribeConfigs.js'
import type { DescribeConfigsResponse } from '../protocol/messages/DescribeConfigs.js'
import { ProduceApi } from '../protocol/messages/Produce.js'
import type { ProduceRequest, ProduceRequestTopicProduceData, ProduceResponse } from '../protocol/messages/Produce.js'
import type { ProducerRecordHeader } from '../protocol/records/record-batch-builder.js'
import type { ResolvedProducerOptions } from './options.js'
import { createTopicPartitioner } from './partitioners.js'
import { addSequence, ProducerBatch } from './producer-batch.js'
import { ProducerId } from './producer-id.js'
import { estimateSize, headersOf, serialize } from './record-input.js'
import { BrokerState, PartitionState, TopicState } from './partition-state.js'
import type { EngineMessage, WaitingMessage } from './partition-state.js'
import type { ProducerBatchLife, ProducerResult } from './types.js'
import type { ProducerDiagnostics } from './diagnostics.js'

/** Ceiling of the first buffer of a batch; it grows by doubling up to batchBytes. */
const INITIAL_BATCH_CAPACITY = 64 * 1024

interface InFlightEntry<M> {
  partition: PartitionState<M>
  batch: ProducerBatch<M>
  exchangeIndex: number
}

const NO_EXCHANGES: readonly never[] = Object.freeze([])

const PARTITIONER_HINT = 'Fix the partitioner: it must return an integer partition of the topic'

/** DescribeConfigs' resource type of a topic. */
const TOPIC_RESOURCE = 2

export class ProducerEngine<M> {
  readonly name: string
  readonly #client: ClusterClient
  readonly #options: ResolvedProducerOptions
  readonly #subscriber: Subscriber<ProducerResult<M>>
  readonly #topics = new Map<string, TopicState<M>>()
  readonly #brokers = new Map<number, BrokerState>()
  /** Partitions holding sealed batches. */
  readonly #pending = new Set<PartitionState<M>>()
  /** Partitions with an open batch. */
  readonly #openPartitions = new Set<PartitionState<M>>()
  readonly #subscriptions = new Set<Subscription>()
  readonly #scratch: { key: Buffer | string | null; value: Buffer | string | null; headers: ProducerRecordHeader[] | undefined; timestamp: number } = {
    key: null,
    value: null,
    headers: undefined,
    timestamp: 0,
  }

  #bufferedBytes = 0
  #waitingMessages = 0
  #inFlightRequests = 0
  readonly #pid: ProducerId
  #metadataRefreshInFlight = false
  #nextMetadataRefreshAt = 0
  #wakeAction: Subscription | undefined
  #wakeAt = Infinity
  #sourceDone = false
  #sourceError: { error: unknown } | undefined
  #closed = false
  #resultsEmitted = 0
  #failures = 0
  #batchesSent = 0
  #requestsSent = 0
  #fatal: Error | undefined
  #reroutes = 0
  #splits = 0
  /** Messages accepted so far; each gets the next number. */
  #accepted = 0
  /** flush() calls waiting for every message accepted up to `upTo` to have its result. */
  readonly #flushes: { upTo: number; resolve: () => void; reject: (error: Error) => void }[] = []
  readonly #realClock: boolean
  #cachedNow = -1
  #cachedNowUses = 0

  constructor(client: ClusterClient, options: ResolvedProducerOptions, subscriber: Subscriber<ProducerResult<M>>) {
    this.#client = client
    this.#options = options
    this.#subscriber = subscriber
    this.name = options.name
    this.#realClock = options.scheduler === asyncScheduler
    const engine = this
    this.#pid = new ProducerId({
      client,
      scheduler: options.scheduler,
      retryBackoff: options.retryBackoff,
      random: options.random,
      run: (source, observer) => this.#run(source, observer),
      track: (action) => this.#track(action),
      forget: (action) => { this.#subscriptions.delete(action) },
      get closed() { return engine.#closed },
      get inFlightRequests() { return engine.#inFlightRequests },
      fail: (error) => this.#fail(error),
      onNewId: () => this.#onNewProducerId(),
    })
  }

  /** Starts following metadata; call once after construction. */
  start(): void {
    this.#track(
      this.#client.metadata$.subscribe({
        next: (view) => this.#onView(view),
        error: () => undefined, // ensureTopics reports what matters per topic
      }),
    )
    const flush$ = this.#options.flush$
    if (flush$ !== undefined) {
      this.#track(flush$.subscribe({ next: () => { this.flush().catch(() => undefined) }, error: (error: unknown) => this.#fail(asError(error)) }))
    }
  }

  /**
   * Seals every open batch now (no linger) and resolves once every message
   * accepted before the call has its result (delivered or failed); rejects if
   * the stream ends first (unsubscribed, or failed in errorMode 'stream').
   */
  flush(): Promise<void> {
    if (this.#closed) return this.#fatal !== undefined ? Promise.reject(this.#fatal) : Promise.resolve()
    const upTo = this.#accepted
    if (this.#oldestHeld() > upTo) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.#flushes.push({ upTo, resolve, reject })
      this.#kick()
    })
  }

  /** The acceptance number of the oldest message without a result yet (Infinity when none). */
  #oldestHeld(): number {
    let oldest = Infinity
    for (const topic of this.#topics.values()) {
      if (topic.waitingCount > 0) oldest = Math.min(oldest, topic.waiting[topic.waitingHead]!.accepted)
      for (const p of topic.partitions) {
        if (p.open !== undefined) oldest = Math.min(oldest, p.open.firstAccepted)
        for (const batch of p.queue) oldest = Math.min(oldest, batch.firstAccepted)
      }
    }
    return oldest
  }

  /** Resolves the flushes whose messages all have their results. */
  #settleFlushes(): void {
    const oldest = this.#oldestHeld()
    for (let i = 0; i < this.#flushes.length; i++) {
      const flush = this.#flushes[i]!
      if (flush.upTo >= oldest) continue
      this.#flushes.splice(i--, 1)
      flush.resolve()
    }
  }

  get #now(): number {
    return this.#options.scheduler.now()
  }

  /**
   * The clock for incoming messages. Reading Date.now() per message cost ~6%
   * of the producer's CPU, so with the real clock a synchronous burst shares
   * one reading, refreshed every 1024 messages and at the next microtask.
   * Virtual schedulers are read every time (their time moves without microtasks).
   */
  #inputNow(): number {
    if (!this.#realClock) return this.#options.scheduler.now()
    if (this.#cachedNow < 0 || ++this.#cachedNowUses > 1024) {
      if (this.#cachedNow < 0) queueMicrotask(this.#forgetNow)
      this.#cachedNow = this.#options.scheduler.now()
      this.#cachedNowUses = 0
    }
    return this.#cachedNow
  }

  readonly #forgetNow = (): void => {
    this.#cachedNow = -1
  }

  // ---------------------------------------------------------------- input

  /** One message from the source. Never throws: bad input becomes a failed result. */
  push(topicName: string, message: EngineMessage<M>): void {
    if (this.#closed) return
    const accepted = ++this.#accepted
    const topic = this.#topic(topicName)
    if (!topic.ready || topic.waitingCount > 0 || this.#bufferedBytes >= this.#options.maxBufferedBytes) {
      if (topic.ready && topic.waitingCount === 0 && this.#options.onBufferFull === 'error') {
        this.#failMessage(topicName, -1, message.metadata, new BufferFullError(topicName, this.#bufferedBytes, this.#options.maxBufferedBytes, this.#waitingMessages), this.#now)
        return
      }
      if (this.#waitingMessages >= this.#options.maxWaitingMessages) {
        this.#failMessage(topicName, -1, message.metadata, new BufferFullError(topicName, this.#bufferedBytes, this.#options.maxBufferedBytes, this.#waitingMessages), this.#now)
        return
      }
      topic.waiting.push({ message, enqueuedAt: this.#inputNow(), accepted })
      this.#waitingMessages++
      if (!topic.ready) this.#lookupTopic(topic)
      else this.#scheduleWake(this.#now + this.#options.deliveryTimeoutMs)
      return
    }
    this.#encode(topic, message, this.#inputNow(), accepted)
  }

  /** A message the operator could not even route (no topic): failed like any bad input. */
  reject(topic: string, metadata: M | undefined, error: Error): void {
    this.#failMessage(topic, -1, metadata, error, this.#now)
  }

  /** The source completed: flush everything, then complete. */
  sourceComplete(): void {
    this.#sourceDone = true
    this.#kick()
  }

  /** The source failed: flush everything, emit every result, then error with `error`. */
  sourceFailed(error: unknown): void {
    this.#sourceDone = true
    this.#sourceError = { error }
    this.#kick()
  }

  /** Unsubscribe: drop everything, cancel requests and timers. */
  abort(): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#flushes.length > 0) {
      const error = this.#fatal ?? new RxKafkaError('CLOSED', 'the producer stream ended before every message accepted before flush() had its result', {
        hint: 'Keep the producer subscribed until flush() resolves; in errorMode "stream" a failed delivery ends the stream',
      })
      for (const flush of this.#flushes.splice(0)) flush.reject(error)
    }
    this.#wakeAction?.unsubscribe()
    this.#wakeAction = undefined
    for (const s of this.#subscriptions) s.unsubscribe()
    this.#subscriptions.clear()
    for (const topic of this.#topics.values()) {
      for (const p of topic.partitions) {
        if (p.inFlight) p.breaker?.onAbandon(this.#now)
      }
    }
    for (const broker of this.#brokers.values()) {
      if (broker.inFlight > 0) broker.breaker?.onAbandon(this.#now)
    }
  }

  #topic(name: string): TopicState<M> {
    let topic = this.#topics.get(name)
    if (topic === undefined) {
      topic = new TopicState<M>(name, createTopicPartitioner(this.#options.partitioner, name, this.#options.random))
      this.#topics.set(name, topic)
      const known = this.#client.currentView().topics.get(name)
      // Partitions without a leader do not hold the topic back: their batches wait for one (refreshing metadata).
      if (known !== undefined && known.errorCode === 0 && known.partitions.length > 0) {
        this.#applyTopicView(topic, this.#client.currentView())
        topic.ready = true
      }
    }
    return topic
  }

  /**
   * Looks the topic up for the messages waiting for it. Metadata requests no
   * broker answers (brokers still starting, an outage) are retried by
   * ensureTopics until the first waiting message's delivery deadline; when it
   * gives up, the cycle expires what is due (with that error as the cause)
   * and looks up again for the rest. A final answer (the topic does not
   * exist, no authorization) fails the waiting messages only: the failure is
   * not kept, so later messages look again.
   */
  #lookupTopic(topic: TopicState<M>): void {
    if (topic.lookupInFlight || topic.ready || topic.waitingCount === 0) return
    topic.lookupInFlight = true
    const retryUntil = topic.waiting[topic.waitingHead]!.enqueuedAt + this.#options.deliveryTimeoutMs
    this.#run(this.#client.ensureTopics([topic.name], { retryUntil, requireLeaders: false }), {
      next: (view) => {
        topic.lookupInFlight = false
        topic.failed = undefined
        this.#onView(view)
        topic.ready = true
        this.#kick()
      },
      error: (error: unknown) => {
        topic.lookupInFlight = false
        const failure = asError(error)
        topic.failed = failure
        if (!(failure instanceof RxKafkaError && failure.retriable)) this.#failWaiting(topic, failure)
        this.#kick()
      },
    })
  }

  #onView(view: ClusterView): void {
    for (const topic of this.#topics.values()) this.#applyTopicView(topic, view)
    this.#kick()
  }

  #applyTopicView(topic: TopicState<M>, view: ClusterView): void {
    const info = view.topics.get(topic.name)
    if (info === undefined || info.errorCode !== 0) return
    for (const p of info.partitions) {
      while (topic.partitions.length <= p.partition) {
        topic.partitions.push(new PartitionState<M>(topic, topic.partitions.length, this.#newBreaker(() => { topic.availableDirty = true })))
      }
      const state = topic.partitions[p.partition]!
      if (state.leader !== p.leader) {
        state.leader = p.leader
        topic.availableDirty = true
        // A new leader: a batch backing off after the old one failed goes to it at once (as KIP-951 has it).
        if (p.leader >= 0) this.#retryNow(state)
      }
    }
  }

  #newBreaker(onChange: () => void): CircuitBreakerState | undefined {
    const cb = this.#options.circuitBreaker
    if (cb === false) return undefined
    return new CircuitBreakerState({ failureThreshold: cb.failureThreshold, resetAfterMs: cb.resetAfterMs, onTransition: onChange })
  }

  #broker(nodeId: number): BrokerState {
    let broker = this.#brokers.get(nodeId)
    if (broker === undefined) {
      broker = new BrokerState(nodeId, this.#newBreaker(() => {
        for (const t of this.#topics.values()) t.availableDirty = true
      }))
      this.#brokers.set(nodeId, broker)
    }
    return broker
  }

  /** Partitions new messages may go to; recomputed when a leader or circuit changes, or an open circuit is due to half-open. */
  #availablePartitions(topic: TopicState<M>, now: number): number[] {
    if (!topic.availableDirty && now < topic.availableUntil) return topic.available
    topic.availableDirty = false
    topic.availableUntil = Infinity
    const available: number[] = []
    for (const p of topic.partitions) {
      if (p.leader < 0) continue
      if (p.breaker !== undefined && p.breaker.advance(now) === 'open') {
        topic.availableUntil = Math.min(topic.availableUntil, p.breaker.halfOpensAt!)
        continue
      }
      const broker = this.#brokers.get(p.leader)
      if (broker?.breaker !== undefined && broker.breaker.advance(now) === 'open') {
        topic.availableUntil = Math.min(topic.availableUntil, broker.breaker.halfOpensAt!)
        continue
      }
      available.push(p.partition)
    }
    topic.available = available
    return available
  }


  /** Serializes, partitions and appends one message to its partition's open batch. */
  #encode(topic: TopicState<M>, message: EngineMessage<M>, now: number, accepted: number): void {
    const options = this.#options
    const scratch = this.#scratch
    let key: Buffer | string | null
    let value: Buffer | string | null
    try {
      key = serialize(options.keySerializer, message.key, topic.name, 'key')
      value = serialize(options.valueSerializer, message.value, topic.name, 'value')
      scratch.headers = headersOf(message.headers, topic.name)
    } catch (error) {
      this.#failMessage(topic.name, message.partition ?? -1, message.metadata, asError(error), now)
      return
    }
    const partitions = topic.partitions.length
    let partition = message.partition
    if (partition !== undefined) {
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
        this.#failMessage(topic.name, partition, message.metadata, new InvalidPartitionError(topic.name, partition, partitions), now)
        return
      }
    } else {
      const available = this.#availablePartitions(topic, now)
      const keyBytes = key === null ? null : typeof key === 'string' ? Buffer.from(key, 'utf8') : key
      try {
        partition = topic.partitioner.partition(keyBytes, message, partitions, available)
      } catch (error) {
        this.#failMessage(topic.name, -1, message.metadata, new ProducerInputError('the partitioner threw', topic.name, error, PARTITIONER_HINT), now)
        return
      }
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
        this.#failMessage(topic.name, -1, message.metadata, new ProducerInputError(`the partitioner returned ${String(partition)}, not a partition in 0..${partitions - 1}`, topic.name, undefined, PARTITIONER_HINT), now)
        return
      }
      if (!options.strictPartitioning && available.length > 0 && available.length < partitions && !available.includes(partition)) {
        partition = available[partition % available.length]!
      }
    }
    const state = topic.partitions[partition]!
    let batch = state.open
    if (batch !== undefined && batch.recordCount > 0 && batch.sizeInBytes + estimateSize(key, value) > options.batchBytes) {
      this.#seal(state, now)
      batch = undefined
    }
    if (batch === undefined) {
      batch = new ProducerBatch<M>(now, options.deliveryTimeoutMs, Math.min(options.batchBytes + 1024, INITIAL_BATCH_CAPACITY))
      batch.firstAccepted = accepted
      state.open = batch
      this.#openPartitions.add(state)
      this.#scheduleWake(now + options.lingerMs)
    }
    const timestamp = message.timestamp ?? now
    scratch.key = key
    scratch.value = value
    scratch.timestamp = timestamp
    const before = batch.sizeInBytes
    try {
      batch.builder!.append(scratch)
    } catch (error) {
      if (batch.recordCount === 0) {
        state.open = undefined
        this.#openPartitions.delete(state)
      }
      this.#failMessage(topic.name, partition, message.metadata, new ProducerInputError('the message could not be encoded as a record', topic.name, error, 'Check the size of its key, value and headers'), now)
      return
    }
    const grown = batch.sizeInBytes - before
    batch.bufferedBytes += grown
    this.#bufferedBytes += grown
    batch.metadata.push(message.metadata)
    batch.timestamps.push(timestamp)
    if (message.partition !== undefined) batch.pinned = true
    if (batch.recordCount >= options.batchMessages || batch.sizeInBytes >= options.batchBytes) {
      this.#seal(state, now)
      this.#kick()
    }
  }

  #seal(state: PartitionState<M>, now: number): void {
    const batch = state.open!
    state.open = undefined
    this.#openPartitions.delete(state)
    let producerId = -1n
    let epoch = -1
    let sequence = -1
    if (this.#options.idempotent && this.#pid.state === 'ready') {
      this.#alignSequence(state)
      if (state.queue.every((b) => b.producerEpoch === this.#pid.epoch && b.producerId === this.#pid.id)) {
        producerId = this.#pid.id
        epoch = this.#pid.epoch
        sequence = state.nextSequence
        state.nextSequence = addSequence(sequence, batch.recordCount)
      }
    }
    try {
      // Large compressed batches go to a codec worker; the batch is queued meanwhile, held back until its bytes are back.
      const pool = this.#options.codecPool
      if (pool !== undefined && batch.goesToWorker(pool, this.#options.compression)) {
        batch.sealOnWorker(now, this.#options.compression, pool, producerId, epoch, sequence, () => {
          batch.compressedAt = this.#now
          this.#kick()
        })
      } else batch.seal(now, this.#options.compression, producerId, epoch, sequence)
    } catch (error) {
      // A codec that fails fails every message of the batch; nothing was sent.
      batch.sealedAt = now
      if (sequence >= 0) state.nextSequence = sequence
      this.#releaseBuffer(batch)
      // A codec's own error (CodecUnavailableError: zstd without zlib support, ...) says what to do; it is the result's.
      const failure = error instanceof RxKafkaError
        ? error
        : new ProducerInputError(`compressing the batch with ${this.#options.compression} failed`, state.topic.name, error, 'Use another compression, or report the codec failure')
      this.#emitBatch(state, batch, undefined, -1, failure)
      return
    }
    batch.compressedAt = this.#now
    state.queue.push(batch)
    batchSealed(this.#client.clientId, this.name, state.topic.name, state.partition, batch)
    this.#pending.add(state)
    state.topic.partitioner.onBatchSealed(state.partition, this.#availablePartitions(state.topic, now))
  }

  #alignSequence(state: PartitionState<M>): void {
    if (state.sequenceEpoch !== this.#pid.epoch || state.sequenceProducerId !== this.#pid.id) {
      state.sequenceEpoch = this.#pid.epoch
      state.sequenceProducerId = this.#pid.id
      state.nextSequence = 0
    }
  }

  /** Stamps every sealed batch of the partition, in order, from `start` (after an epoch bump or a failed head). */
  #resequence(state: PartitionState<M>, start: number): void {
    if (this.#pid.state !== 'ready') return
    state.sequenceEpoch = this.#pid.epoch
    state.sequenceProducerId = this.#pid.id
    let sequence = start
    for (const batch of state.queue) {
      if (state.inFlight && batch === state.queue[0]) continue
      batch.stamp(this.#pid.id, this.#pid.epoch, sequence)
      sequence = addSequence(sequence, batch.recordCount)
    }
    state.nextSequence = sequence
  }

  // ---------------------------------------------------------------- the cycle

  #kick(): void {
    this.#scheduleWake(this.#now)
  }

  #scheduleWake(at: number): void {
    if (this.#closed) return
    if (at >= this.#wakeAt) return
    this.#wakeAction?.unsubscribe()
    this.#wakeAt = at
    const delay = Math.max(0, at - this.#now)
    // A 0 ms timer fires after at least 1 ms in Node, which would add a millisecond to every awaited send;
    // with real time, a wake that is due now runs as a microtask instead (after the current synchronous burst).
    const scheduler = delay === 0 && this.#options.scheduler === asyncScheduler ? asapScheduler : this.#options.scheduler
    this.#wakeAction = scheduler.schedule(function (this: SchedulerAction<ProducerEngine<M>>, engine) {
      engine!.#wake()
    }, delay, this)
  }

  #wake(): void {
    this.#wakeAction = undefined
    this.#wakeAt = Infinity
    if (this.#closed) return
    try {
      this.#cycle()
    } catch (error) {
      // A bug here must surface, not hang the stream.
      this.#fail(asError(error))
    }
  }

  #cycle(): void {
    const now = this.#now
    const options = this.#options
    let next = Infinity

    this.#admitWaiting(now)
    for (const topic of this.#topics.values()) {
      if (topic.waitingCount > 0) {
        const head = topic.waiting[topic.waitingHead]!
        const deadline = head.enqueuedAt + options.deliveryTimeoutMs
        if (deadline <= now) this.#expireWaiting(topic, now)
        else next = Math.min(next, deadline)
        if (!topic.ready) this.#lookupTopic(topic)
      }
    }

    for (const state of this.#openPartitions) {
      const batch = state.open!
      const lingerDue = batch.openedAt + options.lingerMs
      // A busy partition keeps filling its open batch: bigger batches, the same latency.
      const free = !state.inFlight && state.queue.length === 0
      if ((this.#sourceDone || this.#flushes.length > 0 || lingerDue <= now) && free) this.#seal(state, now)
      else if (free) next = Math.min(next, lingerDue)
      else if (batch.deadline <= now) this.#seal(state, now)
    }

    if (options.idempotent && this.#pending.size > 0) this.#pid.ensure()
    const producerReady = !options.idempotent || this.#pid.state === 'ready'

    // Expire what waited too long, fail fast what an open circuit holds, group the rest by leader.
    const byBroker = new Map<number, PartitionState<M>[]>()
    let needMetadata = false
    for (const state of this.#pending) {
      if (state.queue.length === 0) {
        this.#pending.delete(state)
        continue
      }
      if (state.inFlight) continue
      const head = state.queue[0]!
      if (head.deadline <= now) {
        this.#finishHead(state, undefined, -1, new DeliveryTimeoutError(options.deliveryTimeoutMs, {
          topic: state.topic.name,
          partition: state.partition,
          broker: state.leader >= 0 ? state.leader : undefined,
          cause: head.lastError,
          attempts: head.attempts,
        }))
        next = Math.min(next, now)
        continue
      }
      next = Math.min(next, head.deadline)
      if (head.readyAt > now) {
        next = Math.min(next, head.readyAt)
        continue
      }
      if (head.sealing) continue // a codec worker has its bytes; its completion kicks the cycle
      if (head.sealError !== undefined) {
        this.#finishHead(state, undefined, -1, new ProducerInputError(`compressing the batch with ${options.compression} failed`, state.topic.name, head.sealError))
        continue
      }
      if (state.leader < 0 || !this.#client.currentView().brokers.has(state.leader)) {
        needMetadata = true
        continue
      }
      if (!producerReady) continue
      let list = byBroker.get(state.leader)
      if (list === undefined) byBroker.set(state.leader, (list = []))
      list.push(state)
    }

    for (const [nodeId, candidates] of byBroker) next = Math.min(next, this.#sendTo(nodeId, candidates, now))

    if (needMetadata) {
      if (now >= this.#nextMetadataRefreshAt) this.#refreshMetadata()
      next = Math.min(next, Math.max(this.#nextMetadataRefreshAt, now + 1))
    }

    if (this.#flushes.length > 0) this.#settleFlushes()
    if (this.#finishIfDone()) return
    if (next < Infinity) this.#scheduleWake(Math.max(next, now))
  }

  #admitWaiting(now: number): void {
    if (this.#waitingMessages === 0) return
    for (const topic of this.#topics.values()) {
      if (!topic.ready) continue
      while (topic.waitingCount > 0 && this.#bufferedBytes < this.#options.maxBufferedBytes && !this.#closed) {
        const entry = topic.shiftWaiting()!
        this.#waitingMessages--
        this.#encode(topic, entry.message, now, entry.accepted)
      }
    }
  }

  #expireWaiting(topic: TopicState<M>, now: number): void {
    while (topic.waitingCount > 0 && !this.#closed) {
      const head = topic.waiting[topic.waitingHead]!
      if (head.enqueuedAt + this.#options.deliveryTimeoutMs > now) return
      topic.shiftWaiting()
      this.#waitingMessages--
      const cause = topic.ready
        ? new BufferFullError(topic.name, this.#bufferedBytes, this.#options.maxBufferedBytes, this.#waitingMessages)
        : topic.failed ?? new RxKafkaError('TOPIC_METADATA_PENDING', 'the topic\'s partitions were not known in time', { topic: topic.name, retriable: true })
      this.#failMessage(topic.name, -1, head.message.metadata, new DeliveryTimeoutError(this.#options.deliveryTimeoutMs, { topic: topic.name, cause, attempts: 0 }), now)
    }
  }

  #failWaiting(topic: TopicState<M>, error: Error): void {
    const now = this.#now
    let entry: WaitingMessage<M> | undefined
    while ((entry = topic.shiftWaiting()) !== undefined && !this.#closed) {
      this.#waitingMessages--
      this.#failMessage(topic.name, entry.message.partition ?? -1, entry.message.metadata, error, now)
    }
  }

  // ---------------------------------------------------------------- sending

  /** Sends as many requests to one broker as its in-flight limit allows; returns the next wake-up time it needs. */
  #sendTo(nodeId: number, candidates: PartitionState<M>[], now: number): number {
    const options = this.#options
    const broker = this.#broker(nodeId)
    let next = Infinity
    let index = 0
    while (index < candidates.length && broker.inFlight < options.maxInFlight && !this.#closed) {
      if (broker.breaker !== undefined && !broker.breaker.canPass(now)) {
        const halfOpensAt = broker.breaker.halfOpensAt
        if (halfOpensAt === undefined) return next // a probe is in flight; wait for it
        const error = new CircuitOpenError(`broker ${nodeId}`, { broker: nodeId, retryAfterMs: halfOpensAt - now, consecutiveFailures: broker.breaker.consecutiveFailures })
        for (; index < candidates.length; index++) {
          const state = candidates[index]!
          this.#failQueued(state, error)
        }
        return next
      }
      const entries: InFlightEntry<M>[] = []
      let bytes = 0
      for (; index < candidates.length; index++) {
        const state = candidates[index]!
        const batch = state.queue[0]!
        const size = batch.sealed!.bytes.length
        if (entries.length > 0 && bytes + size > options.maxRequestBytes) break
        if (options.idempotent && (batch.producerId !== this.#pid.id || batch.producerEpoch !== this.#pid.epoch)) {
          // Every path that changes producer state re-stamps the queues, so this is a bug; a new epoch re-stamps everything safely.
          this.#pid.requestBump()
          continue
        }
        if (state.breaker !== undefined && !state.breaker.canPass(now)) {
          const halfOpensAt = state.breaker.halfOpensAt
          if (halfOpensAt !== undefined) {
            this.#failQueued(state, new CircuitOpenError(`partition ${state.topic.name}/${state.partition}`, {
              topic: state.topic.name,
              partition: state.partition,
              retryAfterMs: halfOpensAt - now,
              consecutiveFailures: state.breaker.consecutiveFailures,
            }))
          }
          continue
        }
        bytes += size
        batch.attempts++
        batch.awaitsBroker = -1
        batch.exchanges.push({ enqueuedAt: batch.enqueuedAt, sentAt: now, answeredAt: 0, broker: nodeId })
        state.inFlight = true
        entries.push({ partition: state, batch, exchangeIndex: batch.exchanges.length - 1 })
      }
      if (entries.length === 0) {
        broker.breaker?.onAbandon(now)
        break
      }
      this.#sendRequest(broker, entries)
    }
    return next
  }

  #sendRequest(broker: BrokerState, entries: InFlightEntry<M>[]): void {
    const options = this.#options
    const byTopic = new Map<string, ProduceRequestTopicProduceData>()
    for (const entry of entries) {
      const name = entry.partition.topic.name
      let topicData = byTopic.get(name)
      if (topicData === undefined) {
        topicData = { name, partitionData: [] }
        byTopic.set(name, topicData)
      }
      topicData.partitionData.push({ index: entry.partition.partition, records: entry.batch.sealed!.bytes })
    }
    const request: ProduceRequest = { transactionalId: null, acks: options.acks, timeoutMs: options.timeoutMs, topicData: [...byTopic.values()] }
    broker.inFlight++
    broker.requestsSent++
    this.#inFlightRequests++
    this.#requestsSent++
    this.#batchesSent += entries.length
    const requestOptions = { timeoutMs: options.requestTimeoutMs, minVersion: 3 }
    let answered = false
    const done = (): void => {
      broker.inFlight--
      this.#inFlightRequests--
    }
    const onError = (error: unknown): void => {
      if (answered) return
      answered = true
      done()
      this.#onRequestFailed(broker, entries, asError(error))
      this.#kick()
    }
    if (options.acks === 0) {
      this.#run(this.#client.send(broker.nodeId, ProduceApi, request, requestOptions), {
        next: () => {
          if (answered) return
          answered = true
          done()
          this.#onAnswer(broker, entries, undefined)
          this.#kick()
        },
        error: onError,
      })
    } else {
      this.#run(this.#client.request(broker.nodeId, ProduceApi, request, requestOptions), {
        next: (response) => {
          if (answered) return
          answered = true
          done()
          this.#onAnswer(broker, entries, response)
          this.#kick()
        },
        error: onError,
        complete: () => {
          if (!answered) onError(new RxKafkaError('NO_RESPONSE', 'the Produce request completed without an answer', { broker: broker.nodeId, api: 'Produce', retriable: true }))
        },
      })
    }
  }

  #onAnswer(broker: BrokerState, entries: InFlightEntry<M>[], response: ProduceResponse | undefined): void {
    const now = this.#now
    broker.breaker?.onSuccess(now)
    if (broker.unanswered) this.#brokerAnswered(broker)
    for (const entry of entries) {
      const exchange = entry.batch.exchanges[entry.exchangeIndex]!
      exchange.answeredAt = now
      if (response === undefined) {
        entry.partition.breaker?.onSuccess(now)
        this.#finishHead(entry.partition, undefined, -1, undefined)
        continue
      }
      const answer = findPartitionResponse(response, entry.partition.topic.name, entry.partition.partition)
      if (answer === undefined) {
        const error = new RxKafkaError('MISSING_PARTITION_RESPONSE', 'the Produce answer did not mention this partition', {
          broker: broker.nodeId, topic: entry.partition.topic.name, partition: entry.partition.partition, api: 'Produce', retriable: true,
        })
        exchange.error = error
        this.#onBatchFailed(entry, error, true, false)
        continue
      }
      const code = answer.errorCode
      if (code === 0 || (code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER && entry.batch.attempts > 1)) {
        entry.partition.breaker?.onSuccess(now)
        const logAppendTime = answer.logAppendTimeMs !== undefined && answer.logAppendTimeMs >= 0n ? Number(answer.logAppendTimeMs) : -1
        this.#finishHead(entry.partition, code === 0 || answer.baseOffset >= 0n ? answer.baseOffset : undefined, logAppendTime, undefined)
        continue
      }
      const error = brokerError(code, {
        api: 'Produce', broker: broker.nodeId, topic: entry.partition.topic.name, partition: entry.partition.partition, errorMessage: answer.errorMessage,
      })
      exchange.error = error
      if (code === ErrorCode.MESSAGE_TOO_LARGE) {
        // Not written: a batch of many records is split and sent again; only a single record over the limit fails.
        entry.partition.inFlight = false
        if (entry.batch.recordCount > 1) this.#splitHead(entry.partition)
        else this.#failTooLarge(entry.partition, broker.nodeId)
        continue
      }
      const info = errorCodeInfo(code)
      const sequenceTrouble = this.#options.idempotent && (
        code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER || code === ErrorCode.UNKNOWN_PRODUCER_ID ||
        code === ErrorCode.INVALID_PRODUCER_EPOCH || code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER)
      if (sequenceTrouble) this.#pid.requestBump()
      this.#onBatchFailed(entry, error, info.retriable || sequenceTrouble, info.refreshMetadata)
    }
  }

  #onRequestFailed(broker: BrokerState, entries: InFlightEntry<M>[], error: Error): void {
    const now = this.#now
    broker.breaker?.onFailure(now)
    broker.unanswered = true
    const retriable = !(error instanceof RxKafkaError) || error.retriable
    for (const entry of entries) {
      const exchange = entry.batch.exchanges[entry.exchangeIndex]!
      exchange.answeredAt = now
      exchange.error = error
      entry.batch.outcomeUnknown = true
      entry.batch.awaitsBroker = broker.nodeId
      // Without an answer the leader may have moved: look again.
      this.#onBatchFailed(entry, error, retriable, true)
    }
  }

  #onBatchFailed(entry: InFlightEntry<M>, error: Error, retriable: boolean, refreshMetadata: boolean): void {
    const now = this.#now
    const { partition: state, batch } = entry
    state.breaker?.onFailure(now)
    state.inFlight = false
    batch.lastError = error
    if (refreshMetadata) this.#nextMetadataRefreshAt = Math.min(this.#nextMetadataRefreshAt, now)
    if (refreshMetadata) this.#refreshMetadata()
    if (!retriable || batch.attempts > this.#options.retries) {
      this.#finishHead(state, undefined, -1, error)
      return
    }
    const delay = backoffDelay(batch.attempts - 1, this.#options.retryBackoff, this.#options.random)
    if (now + delay >= batch.deadline) {
      this.#finishHead(state, undefined, -1, new DeliveryTimeoutError(this.#options.deliveryTimeoutMs, {
        topic: state.topic.name, partition: state.partition, broker: state.leader, cause: error, attempts: batch.attempts,
      }))
      return
    }
    batch.readyAt = now + delay
    batch.enqueuedAt = batch.readyAt
  }

  /**
   * The head batch was refused as too large: it becomes two batches (first
   * half, second half) at the head of the queue. It was not written, so the
   * halves take its sequence numbers in order (first at its base sequence,
   * the second after it) and the batches behind keep theirs.
   */
  #splitHead(state: PartitionState<M>): void {
    const batch = state.queue[0]!
    const options = this.#options
    const halves = batch.splitInHalves(state.topic.name, state.partition, Math.min(options.batchBytes + 1024, INITIAL_BATCH_CAPACITY))
    const now = this.#now
    const [first, second] = halves
    first.seal(now, options.compression, batch.producerId, batch.producerEpoch, batch.baseSequence)
    const secondSequence = batch.baseSequence >= 0 ? addSequence(batch.baseSequence, first.recordCount) : -1
    second.seal(now, options.compression, batch.producerId, batch.producerEpoch, secondSequence)
    state.queue.splice(0, 1, first, second)
    this.#splits++
    this.#kick()
  }

  /**
   * A single record the broker refuses as too large fails, its error naming
   * its size and the topic's limit (max.message.bytes, asked with
   * DescribeConfigs; the batch waits for the answer).
   */
  #failTooLarge(state: PartitionState<M>, nodeId: number): void {
    const batch = state.queue[0]!
    batch.readyAt = Infinity
    const topic = state.topic.name
    const size = batch.sealed!.bytes.length
    const finish = (limit: string): void => {
      if (this.#closed || state.queue[0] !== batch || state.inFlight) return
      const error = new KafkaBrokerError({
        ...errorCodeInfo(ErrorCode.MESSAGE_TOO_LARGE),
        message: `a record of ${size} bytes (as a batch of one) is over ${limit}`,
        hint: 'Send a smaller value, or raise max.message.bytes on the topic (and message.max.bytes and replica.fetch.max.bytes on the brokers)',
      }, { api: 'Produce', broker: nodeId, topic, partition: state.partition })
      this.#finishHead(state, undefined, -1, error)
      this.#kick()
    }
    this.#run(this.#client.request('any', DescribeConfigsApi, {
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: ['max.message.bytes'] }],
      includeSynonyms: false,
      includeDocumentation: false,
    }), {
      next: (response: DescribeConfigsResponse) => {
        const value = response.results[0]?.configs.find((c) => c.name === 'max.message.bytes')?.value
        finish(value === null || value === undefined ? "the topic's limit (max.message.bytes)" : `the topic's limit of ${value} bytes (max.message.bytes)`)
      },
      error: () => finish("the topic's limit (max.message.bytes, which could not be read)"),
    })
  }

  /**
   * The broker answered again after requests to it had failed unanswered: it
   * is back, so every batch backing off because of it is retried now rather
   * than at the end of its backoff.
   */
  #brokerAnswered(broker: BrokerState): void {
    broker.unanswered = false
    for (const state of this.#pending) {
      if (state.queue[0]?.awaitsBroker === broker.nodeId) this.#retryNow(state)
    }
  }

  /** Ends the backoff of the partition's head batch, if it is waiting for one. */
  #retryNow(state: PartitionState<M>): void {
    const head = state.queue[0]
    if (head === undefined || state.inFlight) return
    head.awaitsBroker = -1
    const now = this.#now
    if (head.readyAt > now) {
      head.readyAt = now
      head.enqueuedAt = now
      this.#kick()
    }
  }

  /**
   * Fails every sealed batch of the partition at once (open circuit). The
   * partition is free afterwards, so another pass is due now: its open batch,
   * skipped as "not free" earlier in this pass, must be sealed without waiting
   * for some later event.
   */
  #failQueued(state: PartitionState<M>, error: Error): void {
    let failed = false
    while (state.queue.length > 0 && !state.inFlight && !this.#closed) {
      if (!this.#options.strictPartitioning && !state.queue[0]!.pinned && this.#reroute(state)) continue
      this.#finishHead(state, undefined, -1, error)
      failed = true
    }
    if (failed) this.#kick()
  }

  /**
   * Not strict: moves the head batch of a partition whose circuit is open to
   * another available partition of the topic (records do not name their
   * partition, so the sealed bytes move as they are; only producer state is
   * stamped again). False when no other partition is available.
   */
  #reroute(state: PartitionState<M>): boolean {
    const available = this.#availablePartitions(state.topic, this.#now).filter((p) => p !== state.partition)
    if (available.length === 0) return false
    const target = state.topic.partitions[available[Math.floor(this.#options.random() * available.length)]!]!
    const batch = state.queue.shift()!
    if (state.queue.length === 0) this.#pending.delete(state)
    if (this.#options.idempotent && batch.baseSequence >= 0 && batch.producerEpoch === this.#pid.epoch && batch.producerId === this.#pid.id) {
      // The batch never reached the broker under this sequence: later batches take its place.
      this.#resequence(state, batch.baseSequence)
    }
    target.queue.push(batch)
    this.#pending.add(target)
    if (this.#options.idempotent && this.#pid.state === 'ready') {
      this.#alignSequence(target)
      batch.stamp(this.#pid.id, this.#pid.epoch, target.nextSequence)
      target.nextSequence = addSequence(target.nextSequence, batch.recordCount)
    } else if (this.#options.idempotent) {
      batch.producerEpoch = -1
    }
    this.#reroutes++
    this.#kick()
    return true
  }

  /** The head batch of the partition is done: results out, buffer freed, sequence fixed after a failure. */
  #finishHead(state: PartitionState<M>, baseOffset: bigint | undefined, logAppendTime: number, error: Error | undefined): void {
    const batch = state.queue.shift()!
    state.inFlight = false
    this.#releaseBuffer(batch)
    if (state.queue.length === 0) this.#pending.delete(state)
    if (error !== undefined && this.#options.idempotent && batch.baseSequence >= 0) {
      if (batch.outcomeUnknown) this.#pid.requestBump()
      else if (batch.producerEpoch === this.#pid.epoch && batch.producerId === this.#pid.id) this.#resequence(state, batch.baseSequence)
    }
    batchFinished(this.#client.clientId, this.name, state.topic.name, state.partition, batch, baseOffset, error, this.#now)
    this.#emitBatch(state, batch, baseOffset, logAppendTime, error)
  }

  #releaseBuffer(batch: ProducerBatch<M>): void {
    this.#bufferedBytes -= batch.bufferedBytes
    batch.bufferedBytes = 0
    if (this.#waitingMessages > 0) this.#kick()
  }

  // ---------------------------------------------------------------- idempotence (producer-id.ts)

  /** A new producer id or epoch: every partition's sequence starts again at 0, in queue order. */
  #onNewProducerId(): void {
    const { id, epoch } = this.#pid
    for (const topic of this.#topics.values()) {
      for (const state of topic.partitions) {
        state.nextSequence = 0
        if (state.queue.length > 0) this.#resequence(state, 0)
        else {
          state.sequenceEpoch = epoch
          state.sequenceProducerId = id
        }
      }
    }
    this.#kick()
  }

  // ---------------------------------------------------------------- results

  #emitBatch(state: PartitionState<M>, batch: ProducerBatch<M>, baseOffset: bigint | undefined, logAppendTime: number, error: Error | undefined): void {
    if (this.#closed) return
    const life = batch.life()
    const topic = state.topic.name
    const partition = state.partition
    const count = batch.recordCount
    const metadata = batch.metadata
    const timestamps = batch.timestamps
    const subscriber = this.#subscriber
    if (error !== undefined) {
      this.#failures += count
      if (this.#options.errorMode === 'stream') {
        this.#fail(new ProducerDeliveryError<M>({ topic, partition, offset: -1n, timestamp: timestamps[0]!, metadata: metadata[0], error, batch: life }))
        return
      }
      for (let i = 0; i < count; i++) {
        subscriber.next({ topic, partition, offset: -1n, timestamp: timestamps[i]!, metadata: metadata[i], error, batch: life })
      }
      this.#resultsEmitted += count
      return
    }
    for (let i = 0; i < count; i++) {
      subscriber.next({
        topic,
        partition,
        offset: baseOffset === undefined ? -1n : baseOffset + BigInt(i),
        timestamp: logAppendTime >= 0 ? logAppendTime : timestamps[i]!,
        metadata: metadata[i],
        batch: life,
      })
    }
    this.#resultsEmitted += count
  }

  #failMessage(topic: string, partition: number, metadata: M | undefined, error: Error, now: number): void {
    if (this.#closed) return
    this.#failures++
    const life: ProducerBatchLife = { openedAt: now, sealedAt: now, compressedAt: now, uncompressedBytes: 0, compressedBytes: 0, records: 0, exchanges: NO_EXCHANGES }
    const result: ProducerResult<M> = { topic, partition, offset: -1n, timestamp: now, metadata, error, batch: life }
    if (this.#options.errorMode === 'stream') {
      this.#fail(new ProducerDeliveryError<M>(result))
      return
    }
    this.#resultsEmitted++
    this.#subscriber.next(result)
    this.#finishIfDone()
  }

  #fail(error: Error): void {
    if (this.#closed) return
    this.#fatal = error
    this.abort()
    this.#subscriber.error(error)
  }

  #finishIfDone(): boolean {
    if (!this.#sourceDone || this.#closed) return false
    if (this.#waitingMessages > 0 || this.#openPartitions.size > 0 || this.#pending.size > 0 || this.#inFlightRequests > 0) return false
    for (const topic of this.#topics.values()) if (topic.lookupInFlight) return false
    for (const flush of this.#flushes.splice(0)) flush.resolve()
    this.abort()
    if (this.#sourceError !== undefined) this.#subscriber.error(this.#sourceError.error)
    else this.#subscriber.complete()
    return true
  }

  #refreshMetadata(): void {
    if (this.#metadataRefreshInFlight || this.#closed) return
    this.#metadataRefreshInFlight = true
    this.#nextMetadataRefreshAt = this.#now + this.#options.retryBackoff.initialMs
    const topics = [...this.#topics.keys()]
    const settled = (): void => {
      this.#metadataRefreshInFlight = false
      this.#kick()
    }
    this.#run(this.#client.refreshMetadata(topics), { next: (view) => this.#onView(view), error: settled, complete: settled })
  }

  /** Subscribes and keeps the subscription until it ends (it may end synchronously), so abort() can cancel it. */
  #run<T>(source: Observable<T>, observer: Partial<Observer<T>>): void {
    let subscription: Subscription | undefined
    let ended = false
    const end = (): void => {
      ended = true
      if (subscription !== undefined) this.#subscriptions.delete(subscription)
    }
    subscription = source.subscribe({
      next: (value) => observer.next?.(value),
      error: (error: unknown) => {
        end()
        observer.error?.(error)
      },
      complete: () => {
        end()
        observer.complete?.()
      },
    })
    if (!ended) this.#track(subscription)
  }

  #track(subscription: Subscription): void {
    if (this.#closed) subscription.unsubscribe()
    else this.#subscriptions.add(subscription)
  }

  // ---------------------------------------------------------------- diagnostics

  diagnostics(): ProducerDiagnostics {
    const now = this.#now
    const partitions: ProducerDiagnostics['partitions'] = []
    for (const topic of this.#topics.values()) {
      for (const p of topic.partitions) {
        if (!p.busy && p.breaker?.state !== 'open' && p.nextSequence === 0) continue
        partitions.push({
          topic: topic.name,
          partition: p.partition,
          leader: p.leader,
          openBatch: p.open === undefined ? undefined : { records: p.open.recordCount, bytes: p.open.sizeInBytes, openedAt: p.open.openedAt },
          queuedBatches: p.queue.length,
          queuedRecords: p.queue.reduce((n, b) => n + b.recordCount, 0),
          inFlight: p.inFlight,
          headAttempts: p.queue[0]?.attempts ?? 0,
          nextSequence: p.nextSequence,
          breaker: p.breaker === undefined ? undefined : { state: p.breaker.advance(now), consecutiveFailures: p.breaker.consecutiveFailures, halfOpensAt: p.breaker.halfOpensAt },
        })
      }
    }
    return {
      name: this.name,
      topics: [...this.#topics.values()].map((t) => ({ topic: t.name, ready: t.ready, partitions: t.partitions.length, waitingMessages: t.waitingCount, failed: t.failed?.message })),
      partitions,
      brokers: [...this.#brokers.values()].map((b) => ({
        broker: b.nodeId,
        inFlightRequests: b.inFlight,
        requestsSent: b.requestsSent,
        breaker: b.breaker === undefined ? undefined : { state: b.breaker.advance(now), consecutiveFailures: b.breaker.consecutiveFailures, halfOpensAt: b.breaker.halfOpensAt },
      })),
      bufferedBytes: this.#bufferedBytes,
      maxBufferedBytes: this.#options.maxBufferedBytes,
      waitingMessages: this.#waitingMessages,
      inFlightRequests: this.#inFlightRequests,
      idempotent: this.#options.idempotent,
      producerId: this.#pid.id,
      producerEpoch: this.#pid.epoch,
      producerIdState: this.#pid.state,
      sourceCompleted: this.#sourceDone,
      closed: this.#closed,
      resultsEmitted: this.#resultsEmitted,
      failures: this.#failures,
      requestsSent: this.#requestsSent,
      batchesSent: this.#batchesSent,
      reroutedBatches: this.#reroutes,
      splitBatches: this.#splits,
      nextWakeAt: this.#wakeAt === Infinity ? undefined : this.#wakeAt,
      fatalError: this.#fatal?.message,
    }
  }
}

function findPartitionResponse(response: ProduceResponse, topic: string, partition: number) {
  for (const t of response.responses) {
    if (t.name !== topic) continue
    for (const p of t.partitionResponses) if (p.index === partition) return p
  }
  return undefined
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}
