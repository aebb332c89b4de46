/**
 * `consumeGroup`, as the package exports it: the consumer's ConsumerGroup
 * with its side channel written by the producer. The consumer and producer
 * layers do not import each other; this module (like `createKafka`) is where
 * they meet.
 */
import { defer, from, map } from 'rxjs'
import { ConsumerGroup } from './consumer/consume-group.js'
import type { ConsumeGroupOptions } from './consumer/consumer-options.js'
import type { SidechannelWriter } from './consumer/sidechannel.js'
import { send } from './producer/send.js'

/** Side-channel records go through the client's shared `send` producer (idempotent, retried). */
const writeWithProducer: SidechannelWriter = (client, topic, record) =>
  defer(() => from(send(client, topic, record))).pipe(map(() => undefined))

/**
 * Joins a consumer group and emits one substream per assigned partition. A
 * substream starts when its partition is assigned and completes when it is
 * revoked, after its delivered messages are done (or 80% of the rebalance
 * timeout passed) and committed. Call `msg.done()` on every message when its
 * processing is complete, in any order; the group commits the end of each
 * partition's contiguous done prefix. Unsubscribe to commit and leave.
 *
 * @example
 * ```ts
 * import { consumeGroup } from 'rxkafka'
 * import { mergeMap, concatMap, map } from 'rxjs'
 *
 * const group = consumeGroup({ client, groupId: 'billing', topics: ['orders'], fromBeginning: true })
 * group.errors$.subscribe(e => console.warn(e.message))
 * group.pipe(
 *   mergeMap(partition$ => partition$.pipe(
 *     concatMap(msg => handle(msg).pipe(map(() => msg))),
 *     map(msg => msg.done()),
 *   )),
 * ).subscribe()
 * ```
 */
export function consumeGroup(options: ConsumeGroupOptions): ConsumerGroup {
  return new ConsumerGroup(options, writeWithProducer)
}
