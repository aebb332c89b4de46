/**
 * The producer pipeline behind the operators, as one imperative state machine
 * per subscription: partition -> accumulate into the open batch -> seal ->
 * per-broker Produce requests -> answer -> retry / result. Messages go through
 * plain method calls and arrays; the only Observables are one per Produce
 * request, metadata lookups, and a single timer for the next thing due
 * (linger, backoff, delivery timeout, circuit half-open).
 *
 * This file is the coordinator: input, topics and metadata, the wake-up and
 * the cycle, results, flush and diagnostics. The work is in its rooms, which
 * share an EngineState (engine-state.ts): the accumulator (accumulator.ts),
 * the partition queues (partition-queue.ts), the per-broker sender
 * (broker-sender.ts) and the Produce answer policy (produce-answers.ts).
 */
import { asapScheduler, asyncScheduler } from 'rxjs'
import type { Observable, Observer, SchedulerAction, Subscriber, Subscription } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { RxKafkaError, BufferFullError, DeliveryTimeoutError, ProducerDeliveryError, ProducerInputError } from '../errors/index.js'
import { Accumulator } from './accumulator.js'
import { BrokerSender } from './broker-sender.js'
import { engineDiagnostics } from './diagnostics.js'
import type { ProducerDiagnostics } from './diagnostics.js'
import { asError, EngineState } from './engine-state.js'
import type { EngineHost } from './engine-state.js'
import type { ResolvedProducerOptions } from './options.js'
import { PartitionQueues } from './partition-queue.js'
import { ProduceAnswers } from './produce-answers.js'
import type { ProducerBatch } from './producer-batch.js'
import { ProducerId } from './producer-id.js'
import { TopicMetadata } from './topic-metadata.js'
import type { PartitionState, TopicState } from './partition-state.js'
import type { EngineMessage } from './partition-state.js'
import type { ProducerBatchLife, ProducerResult } from './types.js'

const NO_EXCHANGES: readonly never[] = Object.freeze([])

export class ProducerEngine<M> {
  readonly name: string
  readonly #client: ClusterClient
  readonly #options: ResolvedProducerOptions
  readonly #subscriber: Subscriber<ProducerResult<M>>
  readonly #state = new EngineState<M>()
  readonly #subscriptions = new Set<Subscription>()
  readonly #pid: ProducerId
  readonly #queues: PartitionQueues<M>
  readonly #accumulator: Accumulator<M>
  readonly #sender: BrokerSender<M>
  readonly #metadata: TopicMetadata<M>
  #wakeAction: Subscription | undefined
  #wakeAt = Infinity
  #sourceDone = false
  #sourceError: { error: unknown } | undefined
  #fatal: Error | undefined
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
    const state = this.#state
    this.#pid = new ProducerId({
      client,
      scheduler: options.scheduler,
      retryBackoff: options.retryBackoff,
      random: options.random,
      run: (source, observer) => this.#run(source, observer),
      track: (action) => this.#track(action),
      forget: (action) => { this.#subscriptions.delete(action) },
      get closed() { return state.closed },
      get inFlightRequests() { return state.inFlightRequests },
      fail: (error) => this.#fail(error),
      onNewId: () => this.#queues.onNewProducerId(),
    })
    const host: EngineHost<M> = {
      name: this.name,
      client,
      options,
      pid: this.#pid,
      state,
      now: () => options.scheduler.now(),
      kick: () => this.#kick(),
      scheduleWake: (at) => this.#scheduleWake(at),
      run: (source, observer) => this.#run(source, observer),
      refreshMetadata: () => this.#metadata.refresh(),
      emitBatch: (partition, batch, baseOffset, logAppendTime, error) => engine.#emitBatch(partition, batch, baseOffset, logAppendTime, error),
      failMessage: (topic, partition, metadata, error, now) => engine.#failMessage(topic, partition, metadata, error, now),
    }
    this.#queues = new PartitionQueues(host)
    this.#accumulator = new Accumulator(host, this.#queues)
    this.#sender = new BrokerSender(host, this.#queues, new ProduceAnswers(host, this.#queues))
    this.#metadata = new TopicMetadata(host, this.#queues)
  }

  /** Starts following metadata; call once after construction. */
  start(): void {
    this.#track(
      this.#client.metadata$.subscribe({
        next: (view) => this.#metadata.onView(view),
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
    if (this.#state.closed) return this.#fatal !== undefined ? Promise.reject(this.#fatal) : Promise.resolve()
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
    for (const topic of this.#state.topics.values()) {
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
    if (this.#state.closed) return
    const accepted = ++this.#accepted
    const topic = this.#metadata.topic(topicName)
    if (!topic.ready || topic.waitingCount > 0 || this.#state.bufferedBytes >= this.#options.maxBufferedBytes) {
      if (topic.ready && topic.waitingCount === 0 && this.#options.onBufferFull === 'error') {
        this.#failMessage(topicName, -1, message.metadata, new BufferFullError(topicName, this.#state.bufferedBytes, this.#options.maxBufferedBytes, this.#state.waitingMessages), this.#now)
        return
      }
      if (this.#state.waitingMessages >= this.#options.maxWaitingMessages) {
        this.#failMessage(topicName, -1, message.metadata, new BufferFullError(topicName, this.#state.bufferedBytes, this.#options.maxBufferedBytes, this.#state.waitingMessages), this.#now)
        return
      }
      topic.waiting.push({ message, enqueuedAt: this.#inputNow(), accepted })
      this.#state.waitingMessages++
      if (!topic.ready) this.#metadata.lookup(topic)
      else this.#scheduleWake(this.#now + this.#options.deliveryTimeoutMs)
      return
    }
    this.#accumulator.append(topic, message, this.#inputNow(), accepted)
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
    if (this.#state.closed) return
    this.#state.closed = true
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
    for (const topic of this.#state.topics.values()) {
      for (const p of topic.partitions) {
        if (p.inFlight) p.breaker?.onAbandon(this.#now)
      }
    }
    for (const broker of this.#state.brokers.values()) {
      if (broker.inFlight > 0) broker.breaker?.onAbandon(this.#now)
    }
  }


  #kick(): void {
    this.#scheduleWake(this.#now)
  }

  #scheduleWake(at: number): void {
    if (this.#state.closed) return
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
    if (this.#state.closed) return
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
    for (const topic of this.#state.topics.values()) {
      if (topic.waitingCount > 0) {
        const head = topic.waiting[topic.waitingHead]!
        const deadline = head.enqueuedAt + options.deliveryTimeoutMs
        if (deadline <= now) this.#expireWaiting(topic, now)
        else next = Math.min(next, deadline)
        if (!topic.ready) this.#metadata.lookup(topic)
      }
    }

    for (const state of this.#state.openPartitions) {
      const batch = state.open!
      const lingerDue = batch.openedAt + options.lingerMs
      // A busy partition keeps filling its open batch: bigger batches, the same latency.
      const free = !state.inFlight && state.queue.length === 0
      if ((this.#sourceDone || this.#flushes.length > 0 || lingerDue <= now) && free) this.#accumulator.seal(state, now)
      else if (free) next = Math.min(next, lingerDue)
      else if (batch.deadline <= now) this.#accumulator.seal(state, now)
    }

    if (options.idempotent && this.#state.pending.size > 0) this.#pid.ensure()
    const producerReady = !options.idempotent || this.#pid.state === 'ready'

    // Expire what waited too long, fail fast what an open circuit holds, group the rest by leader.
    const byBroker = new Map<number, PartitionState<M>[]>()
    let needMetadata = false
    for (const state of this.#state.pending) {
      if (state.queue.length === 0) {
        this.#state.pending.delete(state)
        continue
      }
      if (state.inFlight) continue
      const head = state.queue[0]!
      if (head.deadline <= now) {
        this.#queues.finishHead(state, undefined, -1, new DeliveryTimeoutError(options.deliveryTimeoutMs, {
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
        this.#queues.finishHead(state, undefined, -1, new ProducerInputError(`compressing the batch with ${options.compression} failed`, state.topic.name, head.sealError))
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

    for (const [nodeId, candidates] of byBroker) next = Math.min(next, this.#sender.sendTo(nodeId, candidates, now))

    if (needMetadata) {
      if (now >= this.#state.nextMetadataRefreshAt) this.#metadata.refresh()
      next = Math.min(next, Math.max(this.#state.nextMetadataRefreshAt, now + 1))
    }

    if (this.#flushes.length > 0) this.#settleFlushes()
    if (this.#finishIfDone()) return
    if (next < Infinity) this.#scheduleWake(Math.max(next, now))
  }

  #admitWaiting(now: number): void {
    if (this.#state.waitingMessages === 0) return
    for (const topic of this.#state.topics.values()) {
      if (!topic.ready) continue
      while (topic.waitingCount > 0 && this.#state.bufferedBytes < this.#options.maxBufferedBytes && !this.#state.closed) {
        const entry = topic.shiftWaiting()!
        this.#state.waitingMessages--
        this.#accumulator.append(topic, entry.message, now, entry.accepted)
      }
    }
  }

  #expireWaiting(topic: TopicState<M>, now: number): void {
    while (topic.waitingCount > 0 && !this.#state.closed) {
      const head = topic.waiting[topic.waitingHead]!
      if (head.enqueuedAt + this.#options.deliveryTimeoutMs > now) return
      topic.shiftWaiting()
      this.#state.waitingMessages--
      const cause = topic.ready
        ? new BufferFullError(topic.name, this.#state.bufferedBytes, this.#options.maxBufferedBytes, this.#state.waitingMessages)
        : topic.failed ?? new RxKafkaError('TOPIC_METADATA_PENDING', 'the topic\'s partitions were not known in time', { topic: topic.name, retriable: true })
      this.#failMessage(topic.name, -1, head.message.metadata, new DeliveryTimeoutError(this.#options.deliveryTimeoutMs, { topic: topic.name, cause, attempts: 0 }), now)
    }
  }


  // ---------------------------------------------------------------- results

  #emitBatch(state: PartitionState<M>, batch: ProducerBatch<M>, baseOffset: bigint | undefined, logAppendTime: number, error: Error | undefined): void {
    if (this.#state.closed) return
    const life = batch.life()
    const topic = state.topic.name
    const partition = state.partition
    const count = batch.recordCount
    const metadata = batch.metadata
    const timestamps = batch.timestamps
    const subscriber = this.#subscriber
    if (error !== undefined) {
      this.#state.failures += count
      if (this.#options.errorMode === 'stream') {
        this.#fail(new ProducerDeliveryError<M>({ topic, partition, offset: -1n, timestamp: timestamps[0]!, metadata: metadata[0], error, batch: life }))
        return
      }
      for (let i = 0; i < count; i++) {
        subscriber.next({ topic, partition, offset: -1n, timestamp: timestamps[i]!, metadata: metadata[i], error, batch: life })
      }
      this.#state.resultsEmitted += count
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
    this.#state.resultsEmitted += count
  }

  #failMessage(topic: string, partition: number, metadata: M | undefined, error: Error, now: number): void {
    if (this.#state.closed) return
    this.#state.failures++
    const life: ProducerBatchLife = { openedAt: now, sealedAt: now, compressedAt: now, uncompressedBytes: 0, compressedBytes: 0, records: 0, exchanges: NO_EXCHANGES }
    const result: ProducerResult<M> = { topic, partition, offset: -1n, timestamp: now, metadata, error, batch: life }
    if (this.#options.errorMode === 'stream') {
      this.#fail(new ProducerDeliveryError<M>(result))
      return
    }
    this.#state.resultsEmitted++
    this.#subscriber.next(result)
    this.#finishIfDone()
  }

  #fail(error: Error): void {
    if (this.#state.closed) return
    this.#fatal = error
    this.abort()
    this.#subscriber.error(error)
  }

  #finishIfDone(): boolean {
    if (!this.#sourceDone || this.#state.closed) return false
    if (this.#state.waitingMessages > 0 || this.#state.openPartitions.size > 0 || this.#state.pending.size > 0 || this.#state.inFlightRequests > 0) return false
    for (const topic of this.#state.topics.values()) if (topic.lookupInFlight) return false
    for (const flush of this.#flushes.splice(0)) flush.resolve()
    this.abort()
    if (this.#sourceError !== undefined) this.#subscriber.error(this.#sourceError.error)
    else this.#subscriber.complete()
    return true
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
    if (this.#state.closed) subscription.unsubscribe()
    else this.#subscriptions.add(subscription)
  }

  // ---------------------------------------------------------------- diagnostics

  diagnostics(): ProducerDiagnostics {
    return engineDiagnostics(this.#state, {
      name: this.name,
      now: this.#now,
      options: this.#options,
      pid: this.#pid,
      sourceCompleted: this.#sourceDone,
      nextWakeAt: this.#wakeAt === Infinity ? undefined : this.#wakeAt,
      fatalError: this.#fatal?.message,
    })
  }
}
