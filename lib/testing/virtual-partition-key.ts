/**
 * How the virtual coordinators key a partition in their maps (committed
 * offsets, pending transactional offsets, KIP-848 assignments): the topic
 * name and the partition with a NUL between, which no topic name contains.
 */

/** The key of partition `partition` of `topic`. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

/** The topic and partition a key names. */
export function splitPartitionKey(key: string): [topic: string, partition: number] {
  const [topic, partition] = key.split('\u0000') as [string, string]
  return [topic, Number(partition)]
}

/** Keys as topics (in the order first seen) with their partitions, ascending. */
export function partitionsByTopic(keys: Iterable<string>): [string, number[]][] {
  const byTopic = new Map<string, number[]>()
  for (const key of keys) {
    const [topic, partition] = splitPartitionKey(key)
    let list = byTopic.get(topic)
    if (list === undefined) byTopic.set(topic, (list = []))
    list.push(partition)
  }
  return [...byTopic].map(([topic, list]) => [topic, list.sort((a, b) => a - b)])
}
