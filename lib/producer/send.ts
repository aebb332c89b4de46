/**
 * One message, one Promise: the producer for code that is not a stream.
 */
import { firstValueFrom, of } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { produceTo } from './produce-to.js'
import type { ProducerOptions } from './options.js'
import type { ProducerMessage, ProducerResult } from './types.js'

/**
 * Produces one message and resolves with its result (rejects with a
 * ProducerDeliveryError if it is not delivered). Each call runs its own short
 * producer; for many messages, a stream through {@link produceTo} batches them.
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
  options: ProducerOptions<K, V> = {},
): Promise<ProducerResult<M>> {
  return firstValueFrom(of(message).pipe(produceTo<M, K, V>(topic, { lingerMs: 0, ...options, client })))
}
