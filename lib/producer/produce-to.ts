/**
 * The producer operators: `produceTo(topic)` for one topic, `produce()` for
 * messages that name their own topic.
 */
import { acquireCodecPool } from '../workers/codec-pool.js'
import { Observable } from 'rxjs'
import type { OperatorFunction } from 'rxjs'
import { OperatorOptionError, ProducerInputError } from '../errors/index.js'
import { registerProducer } from './diagnostics.js'
import { registerFlushable } from './flush.js'
import { TOPIC_NAME_RULES, topicNameProblem } from '../kit/topic-name.js'
import { requireClient, resolveProducerOptions } from './options.js'
import type { ProducerOptionsWithClient } from './options.js'
import { ProducerEngine } from './producer-engine.js'
import type { ProducerMessage, ProducerResult, TopicProducerMessage } from './types.js'

/**
 * Produces every message of the source to `topic` and emits one result per
 * message: partition, offset, timestamp, your `metadata`, and the life of the
 * batch it travelled in. Per partition, results come in input order.
 *
 * Nothing connects until subscribe. When the source completes, everything
 * pending is flushed and every result emitted, then the output completes; a
 * source error arrives after the pending results. Unsubscribing drops what is
 * pending and releases sockets and timers. A final delivery failure errors the
 * output with a {@link ProducerDeliveryError} (or, with `errorMode: 'result'`,
 * becomes a result with `error` set).
 *
 * ```
 * source:  --a--b--------c--|
 * output:  ---------A-B-------C|    (linger, then one batch per partition and request)
 * ```
 *
 * @example
 * ```ts
 * import { produceTo } from 'rxkafka'
 * orders$.pipe(
 *   map(o => ({ key: o.customerId, value: JSON.stringify(o), metadata: o.id })),
 *   produceTo('orders', { client, acks: 'all', compression: 'lz4', lingerMs: 5 }),
 * ).subscribe(r => console.log(r.metadata, r.partition, r.offset))
 * ```
 */
export function produceTo<M = unknown, K = Buffer | string | null, V = Buffer | string | null>(
  topic: string,
  options: ProducerOptionsWithClient<K, V>,
): OperatorFunction<ProducerMessage<M, K, V>, ProducerResult<M>> {
  const problem = topicNameProblem(topic)
  if (problem !== undefined) {
    throw new OperatorOptionError('produceTo', 'topic', `${JSON.stringify(topic)} ${problem}`, `Pass a legal topic name: ${TOPIC_NAME_RULES}`)
  }
  const run = producerOperator<ProducerMessage<M, K, V>, M>('produceTo', options as ProducerOptionsWithClient<never, never>, () => topic)
  return run
}

/**
 * Like {@link produceTo}, for messages that each carry their `topic`.
 *
 * @example
 * ```ts
 * import { produce } from 'rxkafka'
 * events$.pipe(
 *   map(e => ({ topic: `events.${e.kind}`, key: e.userId, value: JSON.stringify(e) })),
 *   produce({ client }),
 * ).subscribe()
 * ```
 */
export function produce<M = unknown, K = Buffer | string | null, V = Buffer | string | null>(
  options: ProducerOptionsWithClient<K, V>,
): OperatorFunction<TopicProducerMessage<M, K, V>, ProducerResult<M>> {
  return producerOperator<TopicProducerMessage<M, K, V>, M>('produce', options as ProducerOptionsWithClient<never, never>, (message) => message.topic)
}

function producerOperator<T extends ProducerMessage<M, unknown, unknown>, M>(
  operator: string,
  options: ProducerOptionsWithClient<never, never>,
  topicOf: (message: T) => string,
): OperatorFunction<T, ProducerResult<M>> {
  const client = requireClient(operator, options)
  // Validate now, so a wrong option fails where it was written; resolve again per subscription for a fresh name.
  resolveProducerOptions(operator, options as never, client)
  return (source) =>
    client.use(
      () =>
        new Observable<ProducerResult<M>>((subscriber) => {
          const resolved = resolveProducerOptions(operator, options as never, client)
          // A share of the process-wide codec pool for this subscription; the last share released ends its workers.
          const lease = resolved.offloadCompression && resolved.compression !== 'none' ? acquireCodecPool() : undefined
          resolved.codecPool = lease?.pool
          // Workers boot while metadata loads; until one is ready, batches are compressed here.
          void lease?.pool.start()
          const engine = new ProducerEngine<M>(client, resolved, subscriber)
          const legalTopics = new Set<string>()
          const unregister = registerProducer(engine, client)
          const unregisterFlush = registerFlushable(client, engine)
          engine.start()
          const sourceSubscription = source.subscribe({
            next: (message) => {
              let topic: string
              try {
                topic = topicOf(message)
              } catch {
                topic = ''
              }
              if (typeof topic !== 'string' || topic.length === 0) {
                engine.reject(String(topic), message.metadata, new ProducerInputError(`a message has no topic (got ${JSON.stringify(topic)})`, String(topic), undefined, 'Give every message a topic: { topic, value }'))
                return
              }
              if (!legalTopics.has(topic)) {
                // Refused before anything is sent; checked once per name.
                const problem = topicNameProblem(topic)
                if (problem !== undefined) {
                  engine.reject(topic, message.metadata, new ProducerInputError(`the topic name ${JSON.stringify(topic)} ${problem}`, topic, undefined, `Use a legal topic name: ${TOPIC_NAME_RULES}`))
                  return
                }
                legalTopics.add(topic)
              }
              engine.push(topic, message)
            },
            error: (error: unknown) => engine.sourceFailed(error),
            complete: () => engine.sourceComplete(),
          })
          return () => {
            sourceSubscription.unsubscribe()
            engine.abort()
            unregister()
            unregisterFlush()
            void lease?.release()
          }
        }),
    )
}
