/**
 * The producer id and epoch of an idempotent producer (and, later, of a
 * transactional one): InitProducerId once before the first batch, an epoch
 * bump (KIP-360) when the broker reports sequence trouble and nothing is in
 * flight, a new id where the broker refuses the bump, and retries with the
 * shared backoff. The engine reads `id`, `epoch` and `state`, and is told
 * through `onNewId` to re-stamp its queues.
 */
import type { Observable, Observer, SchedulerLike, Subscription } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { brokerError, RxKafkaError } from '../errors/index.js'
import { backoffDelay } from '../kit/backoff.js'
import type { BackoffOptions } from '../kit/backoff.js'
import { InitProducerIdApi } from '../protocol/messages/InitProducerId.js'
import type { InitProducerIdResponse } from '../protocol/messages/InitProducerId.js'

/** Where the producer id stands: none yet, being fetched, usable, a bump wanted, or a bump in flight. */
export type ProducerIdState = 'none' | 'fetching' | 'ready' | 'bump-pending' | 'bumping'

/** What the producer id needs from the engine that owns it. */
export interface ProducerIdHost {
  readonly client: ClusterClient
  readonly scheduler: SchedulerLike
  readonly retryBackoff: Required<BackoffOptions>
  readonly random: () => number
  /** Subscribes, keeping the subscription until it ends (so unsubscribing the engine cancels it). */
  run<T>(source: Observable<T>, observer: Partial<Observer<T>>): void
  /** Keeps a scheduled action until the engine closes; `forget` drops it once it ran. */
  track(action: Subscription): void
  forget(action: Subscription): void
  readonly closed: boolean
  /** Produce requests in flight: a bump waits until there are none. */
  readonly inFlightRequests: number
  /** The id could not be had at all: the stream fails with `error`. */
  fail(error: Error): void
  /** A new id or epoch is in force: every queued batch must be stamped again. */
  onNewId(): void
}

export class ProducerId {
  state: ProducerIdState = 'none'
  id = -1n
  epoch = -1

  constructor(private readonly host: ProducerIdHost) {}

  /** Whether batches stamped with this id and epoch are current. */
  stamps(batch: { producerId: bigint; producerEpoch: number }): boolean {
    return batch.producerId === this.id && batch.producerEpoch === this.epoch
  }

  /** Fetches the first id, or runs a wanted bump once nothing is in flight. Called by every cycle with something to send. */
  ensure(): void {
    if (this.state === 'none') this.init(false)
    else if (this.state === 'bump-pending' && this.host.inFlightRequests === 0) this.init(true)
  }

  /** Sequence trouble, or a batch that may have been written and then failed: bump the epoch before sending more. */
  requestBump(): void {
    if (this.state === 'ready') this.state = 'bump-pending'
  }

  private init(bump: boolean, attempt = 0): void {
    this.state = bump ? 'bumping' : 'fetching'
    const producerId = this.id
    const producerEpoch = this.epoch
    this.host.run(this.host.client.request('any', InitProducerIdApi, (version: number) => (
      bump && version >= 3
        ? { transactionalId: null, transactionTimeoutMs: 60_000, producerId, producerEpoch }
        : { transactionalId: null, transactionTimeoutMs: 60_000 }
    )), {
      next: (response: InitProducerIdResponse) => {
        if (response.errorCode === 0) {
          this.id = response.producerId
          this.epoch = response.producerEpoch
          this.state = 'ready'
          this.host.onNewId()
          return
        }
        const error = brokerError(response.errorCode, { api: 'InitProducerId' })
        // A bump the broker refuses (older brokers, an expired id) falls back to a new producer id.
        if (bump && !error.retriable) this.retry(error, false, 0, true)
        else this.retry(error, bump, attempt)
      },
      error: (error: unknown) => this.retry(error instanceof Error ? error : new Error(String(error)), bump, attempt),
    })
  }

  private retry(error: Error, bump: boolean, attempt: number, fallback = false): void {
    if (this.host.closed) return
    const retriable = fallback || !(error instanceof RxKafkaError) || error.retriable
    if (!retriable) {
      this.host.fail(new RxKafkaError('PRODUCER_ID', `could not get a producer id for idempotent producing: ${error.message}`, {
        api: 'InitProducerId',
        cause: error,
        hint: 'Grant IdempotentWrite on the cluster (Kafka < 3), or use idempotent: false',
      }))
      return
    }
    const delay = backoffDelay(attempt, this.host.retryBackoff, this.host.random)
    const action = this.host.scheduler.schedule(() => {
      this.host.forget(action)
      this.init(bump, attempt + 1)
    }, delay)
    this.host.track(action)
  }
}
