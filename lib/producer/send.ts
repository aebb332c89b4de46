/**
 * One message, one Promise: the producer for code that is not a stream.
 * Calls on one client share a producer while any is pending (and until the
 * next macrotask after the last one settles), so concurrent sends are batched
 * together and `await send(); await send()` keeps one producer id instead of
 * asking the cluster for a new one per message.
 */
import { Subject } from 'rxjs'
import type { Subscription } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { ProducerDeliveryError } from '../errors/index.js'
import type { ProducerOptions, ProducerOptionsWithClient, ProducerSettings } from './options.js'
import { produce } from './produce-to.js'
import type { ProducerMessage, ProducerResult, TopicProducerMessage } from './types.js'

interface PendingSend {
  resolve: (result: ProducerResult<unknown>) => void
  reject: (error: unknown) => void
  metadata: unknown
}

interface SharedSender {
  input: Subject<TopicProducerMessage<PendingSend, unknown, unknown>>
  pending: number
  closing: Subscription | undefined
  subscription: Subscription | undefined
  waiters: Set<PendingSend>
  /** Why the shared producer stopped, when it did before a waiter could be told (a closed client fails at subscribe). */
  failure: { error: unknown } | undefined
}

const senders = new WeakMap<ClusterClient, Map<string, SharedSender>>()

/** Options that can be compared by value share a producer; options holding functions get one per call. */
function shareKey(options: ProducerSettings<unknown, unknown>): string | undefined {
  for (const value of Object.values(options)) {
    if (typeof value === 'function' || (typeof value === 'object' && value !== null && !isPlain(value))) return undefined
  }
  return JSON.stringify(options, Object.keys(options).sort())
}

function isPlain(value: object): boolean {
  for (const inner of Object.values(value)) if (typeof inner === 'function' || (typeof inner === 'object' && inner !== null)) return false
  return true
}

/**
 * Produces one message and resolves with its result, or rejects with a
 * {@link ProducerDeliveryError} when it is not delivered. Concurrent calls on
 * one client with the same options share one producer (and its batches).
 *
 * @example
 * ```ts
 * import { send } from 'rxkafka'
 * const result = await send(client, 'audit', { key: user.id, value: JSON.stringify(event) })
 * console.log(result.partition, result.offset)
 * ```
 */
export function send<M = unknown, K = Buffer | string | null, V = Buffer | string | null>(
  client: ClusterClient,
  topic: string,
  message: ProducerMessage<M, K, V>,
  options: ProducerOptions<K, V>,
): Promise<ProducerResult<M>>
/**
 * {@link send} of a message whose key and value are already bytes (Buffer,
 * string or null), so options are optional.
 *
 * @example
 * ```ts
 * const { offset } = await send(client, 'audit', { value: 'login' })
 * ```
 */
export function send<M = unknown>(client: ClusterClient, topic: string, message: ProducerMessage<M>, options?: ProducerOptions): Promise<ProducerResult<M>>
export function send(
  client: ClusterClient,
  topic: string,
  message: ProducerMessage<unknown, unknown, unknown>,
  options: ProducerSettings<never, never> = {},
): Promise<ProducerResult<unknown>> {
  return new Promise<ProducerResult<unknown>>((resolve, reject) => {
    const waiter: PendingSend = { resolve, reject, metadata: message.metadata }
    const sender = senderFor(client, options as ProducerSettings<unknown, unknown>)
    if (sender.failure !== undefined) {
      reject(sender.failure.error)
      return
    }
    sender.pending++
    sender.waiters.add(waiter)
    sender.closing?.unsubscribe()
    sender.closing = undefined
    sender.input.next({ ...message, topic, metadata: waiter })
  })
}

function senderFor(client: ClusterClient, options: ProducerSettings<unknown, unknown>): SharedSender {
  const key = shareKey(options)
  let byOptions = senders.get(client)
  if (byOptions === undefined) senders.set(client, (byOptions = new Map()))
  const existing = key === undefined ? undefined : byOptions.get(key)
  if (existing !== undefined) return existing

  // Built first: bad options throw here, before anything is shared. (The public signatures checked the serializers.)
  const operator = produce<PendingSend, unknown, unknown>({ lingerMs: 0, ...options, errorMode: 'result', client } as ProducerOptionsWithClient<unknown, unknown>)
  const sender: SharedSender = { input: new Subject(), pending: 0, closing: undefined, subscription: undefined, waiters: new Set(), failure: undefined }
  const forget = (): void => {
    if (key !== undefined && byOptions.get(key) === sender) byOptions.delete(key)
  }
  if (key !== undefined) byOptions.set(key, sender)
  sender.subscription = sender.input
    .pipe(operator)
    .subscribe({
      next: (result) => {
        const waiter = result.metadata!
        sender.waiters.delete(waiter)
        const own = { ...result, metadata: waiter.metadata }
        if (result.error !== undefined) waiter.reject(new ProducerDeliveryError(own, 'send'))
        else waiter.resolve(own)
        if (--sender.pending === 0) {
          // Closed one macrotask later, so an awaited send followed by another keeps this producer.
          sender.closing = client.scheduler.schedule(() => {
            if (sender.pending > 0) return
            forget()
            sender.input.complete()
          }, 0)
        }
      },
      error: (error: unknown) => {
        forget()
        sender.failure = { error }
        for (const waiter of sender.waiters) waiter.reject(error)
        sender.waiters.clear()
      },
      complete: forget,
    })
  return sender
}
