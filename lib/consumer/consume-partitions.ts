/**
 * `consumePartitions`: read partitions of one topic without a group, for tools
 * and replays. Nothing is committed; `done()` still paces fetching.
 */
import { Observable, Subject, Subscription, catchError, of, switchMap, take, timer } from 'rxjs'
import { partitionInfo, type ClusterView } from '../cluster/cluster-view.js'
import { resolveFetchOptions, type ConsumePartitionsOptions } from './consumer-options.js'
import { checkOffsetSpec, offsetChoice$, type OffsetChoice, type OffsetSpec } from './offset-spec.js'
import { ConsumerOptionError, type RxKafkaError } from '../errors/index.js'
import { backoffDelay } from '../kit/backoff.js'
import { asRxKafkaError, Fetcher } from './fetcher.js'
import { listOffsets } from './offset-requests.js'
import type { Subscriber, TeardownLogic } from 'rxjs'
import { PartitionSlot, type PartitionStream } from './partition-stream.js'

/**
 * What `consumePartitions` returns: the substreams, plus the problems it
 * recovers from by itself.
 *
 * @example
 * ```ts
 * const reader = consumePartitions({ client, topic: 'orders', from: 'earliest' })
 * reader.errors$.subscribe(e => console.warn(e.message))
 * reader.pipe(mergeAll()).subscribe(msg => msg.done())
 * ```
 */
export class PartitionReader extends Observable<PartitionStream> {
  /**
   * Problems retried without ending the stream (brokers not answering yet,
   * fetch errors, failed offset look-ups): for logs and alerts. Hot; never
   * completes.
   */
  readonly errors$: Observable<RxKafkaError>

  /** @internal Made by `consumePartitions`. */
  constructor(subscribe: (subscriber: Subscriber<PartitionStream>, report: (error: RxKafkaError) => void) => TeardownLogic) {
    const errors = new Subject<RxKafkaError>()
    super((subscriber) => subscribe(subscriber, (error) => errors.next(error)))
    this.errors$ = errors.asObservable()
  }
}

/**
 * Emits one substream per requested partition of `topic`, each starting where
 * `from` says and never completing (unsubscribe to stop). Fetch errors the
 * consumer recovers from are retried, and so are brokers that do not answer
 * yet (with the shared backoff), each reported on `errors$`; a topic that
 * does not exist errors the stream.
 *
 * @example
 * ```ts
 * import { consumePartitions } from 'rxkafka'
 * import { mergeMap, take } from 'rxjs'
 *
 * // The first 100 messages of partition 0 and 1 of 'orders', from the start.
 * consumePartitions({ client, topic: 'orders', partitions: [0, 1], from: 'earliest' }).pipe(
 *   mergeMap(partition$ => partition$.pipe(take(100))),
 * ).subscribe(msg => { console.log(msg.partition, msg.offset, msg.value?.toString()); msg.done() })
 * ```
 */
export function consumePartitions(options: ConsumePartitionsOptions): PartitionReader {
  const fetch = resolveFetchOptions(options)
  if (typeof options.topic !== 'string' || options.topic.length === 0) {
    throw new ConsumerOptionError('topic', 'must be a non-empty string', 'name the topic to read')
  }
  if (options.partitions !== undefined && (!Array.isArray(options.partitions) || options.partitions.some((p) => !Number.isInteger(p) || p < 0))) {
    throw new ConsumerOptionError('partitions', 'must be an array of partition numbers (integers >= 0)', 'pass partitions: [0, 1, ...] or leave it out for all')
  }
  const client = options.client
  const from = typeof options.from === 'function' ? options.from : checkOffsetSpec('from', options.from ?? 'latest')
  return new PartitionReader((outer, report) =>
    client.use(
      () =>
        new Observable<PartitionStream>((subscriber) => {
          const fetcher = new Fetcher(client, fetch, {
            nonFatal: report,
            seek: (slot, choice) => choose(slot, 'offsetOutOfRange', () => choice, false),
          })
          const slots: PartitionSlot[] = []
          let stopped = false
          /** Resolves a hook's answer (now or later), then positions; an answer that is no start offset errors the stream. */
          const choose = (slot: PartitionSlot, option: string, choice: () => OffsetChoice, start: boolean): void => {
            subscription.add(
              offsetChoice$(option, choice).subscribe({
                next: (spec) => position(slot, spec, start),
                error: (error: unknown) => subscriber.error(asRxKafkaError(error)),
              }),
            )
          }
          const position = (slot: PartitionSlot, spec: OffsetSpec, start = false): void => {
            if (typeof spec === 'bigint') {
              if (start) slot.start(spec)
              else slot.seek(spec)
              return
            }
            const attempt = (): void => {
              if (stopped) return
              const leader = partitionInfo(client.currentView(), slot.topic, slot.partition)?.leader ?? -1
              const work: Observable<Map<number, bigint> | undefined> = leader < 0
                ? client.refreshMetadata([slot.topic]).pipe(switchMap(() => of(undefined)))
                : listOffsets(client, leader, slot.topic, [slot.partition], spec, fetch.isolationLevel, 30_000)
              subscription.add(
                work.pipe(take(1)).subscribe({
                  next: (offsets) => {
                    const offset = offsets?.get(slot.partition)
                    if (offset !== undefined && offset < 0n && typeof spec === 'object') {
                      // No message that recent: the end of the partition.
                      position(slot, 'latest', start)
                      return
                    }
                    if (offset === undefined || offset < 0n) {
                      retry()
                      return
                    }
                    if (start) slot.start(offset)
                    else slot.seek(offset)
                  },
                  error: (error: unknown) => {
                    report(asRxKafkaError(error))
                    retry()
                  },
                }),
              )
            }
            const retry = (): void => {
              subscription.add(timer(fetch.retryBackoffMs, client.scheduler).pipe(catchError(() => of(0))).subscribe(attempt))
            }
            attempt()
          }
          // Declared before subscribing: ensureTopics answers synchronously when the topic is already known,
          // and the positioning above adds its work to this subscription.
          const subscription = new Subscription()
          const onTopic = (view: ClusterView): void => {
            const info = view.topics.get(options.topic)!
            const wanted = options.partitions ?? info.partitions.map((p) => p.partition)
            for (const p of wanted) {
              if (partitionInfo(view, options.topic, p) === undefined) {
                subscriber.error(
                  new ConsumerOptionError('partitions', `names partition ${p}, which topic ${options.topic} does not have (it has ${info.partitions.length})`, 'ask only for partitions the topic has'),
                )
                return
              }
            }
            fetcher.start()
            for (const p of wanted) {
              const slot = new PartitionSlot(options.topic, p, -1, fetcher, false, fetch.maxUndoneMessages, fetch.maxUndoneBytes)
              slots.push(slot)
              fetcher.add(slot)
              subscriber.next(slot.stream)
            }
            for (const slot of slots) {
              if (typeof from === 'function') choose(slot, 'from', () => from(slot.partition), true)
              else position(slot, from, true)
            }
          }
          // Brokers that do not answer yet (the client started before its cluster) are retried with the shared
          // backoff; a topic that does not exist, or any error no retry mends, ends the stream.
          let attempt = 0
          const awaitTopic = (): void => {
            subscription.add(client.ensureTopics([options.topic]).pipe(take(1)).subscribe({
              next: onTopic,
              error: (error: unknown) => {
                const e = asRxKafkaError(error)
                if (!e.retriable || stopped) {
                  subscriber.error(e)
                  return
                }
                report(e)
                const delay = backoffDelay(Math.min(attempt++, 6), { initialMs: fetch.retryBackoffMs, maxMs: 10_000, jitter: 0 })
                subscription.add(timer(delay, client.scheduler).subscribe(awaitTopic))
              },
            }))
          }
          awaitTopic()
          return () => {
            stopped = true
            subscription.unsubscribe()
            fetcher.stop()
            for (const s of slots) s.close()
          }
        }),
    ).subscribe(outer),
  )
}
