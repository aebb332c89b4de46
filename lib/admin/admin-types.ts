/**
 * The shapes every admin family shares: per-item results (a failed item does
 * not hide the others), topic-partitions, and the settings of the client.
 */
import type { KafkaBrokerError } from '../errors/index.js'

/**
 * One item of an answer Kafka gives per item (a topic, a group, a partition,
 * a config resource): `ok: true` with the item's facts, or `ok: false` with
 * the broker's error for that item. The identifying fields (`Key`) are on both.
 *
 * @example
 * ```ts
 * for (const r of await kafka.admin.createTopics([{ name: 'orders', partitions: 3 }])) {
 *   if (r.ok) console.log(r.name, r.topicId)
 *   else console.error(r.name, r.error.code) // TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR, ...
 * }
 * ```
 */
export type AdminItem<Key, Value> = (Key & AdminItemOk & Value) | (Key & AdminItemFailed)

/**
 * The success side of an {@link AdminItem}.
 *
 * @example
 * ```ts
 * if (item.ok) console.log('done')
 * ```
 */
export interface AdminItemOk {
  /** The item succeeded. */
  ok: true
}

/**
 * The failure side of an {@link AdminItem}: the broker's error for this item.
 *
 * @example
 * ```ts
 * if (!item.ok) console.error(item.error.code, item.error.brokerMessage)
 * ```
 */
export interface AdminItemFailed {
  /** The item failed. */
  ok: false
  /** What the broker answered for it (`code` is Kafka's error name). */
  error: KafkaBrokerError
}

/**
 * A partition of a topic, as admin calls name it.
 *
 * @example
 * ```ts
 * const where: TopicPartition = { topic: 'orders', partition: 0 }
 * ```
 */
export interface TopicPartition {
  /** The topic name. */
  topic: string
  /** The partition number. */
  partition: number
}

/**
 * Settings of an admin client.
 *
 * @example
 * ```ts
 * const admin = createAdmin(cluster, { retries: 10, retryBackoffMs: 50, timeoutMs: 60_000 })
 * ```
 */
export interface AdminOptions {
  /**
   * How many times an item (or a whole request) is sent again after a routing
   * error (not the controller, not the coordinator, not the leader, a
   * connection lost or timed out). Default 5.
   */
  retries?: number
  /** First delay before a retry, doubled each time up to 5 s (lib/kit backoffDelay). Default 100 ms. */
  retryBackoffMs?: number
  /** The `timeoutMs` field of requests that have one (CreateTopics, DeleteTopics, DeleteRecords, ...). Default 30 000 ms. */
  timeoutMs?: number
}

/**
 * The failed items of a per-item answer, for code that wants to throw on any.
 *
 * @example
 * ```ts
 * const failed = failedItems(await kafka.admin.deleteTopics(['a', 'b']))
 * if (failed.length > 0) throw failed[0]!.error
 * ```
 */
export function failedItems<K, V>(items: readonly AdminItem<K, V>[]): (K & AdminItemFailed)[] {
  return items.filter((i): i is K & AdminItemFailed => !i.ok)
}
