/**
 * Partitioners: which partition of a topic a message goes to. Chosen once per
 * message, without allocation on the common paths.
 */
import { murmur2Partition } from '../kit/murmur2.js'

/** What a partitioner function gets to decide with. */
export interface PartitionerInput {
  /** The topic the message goes to. */
  topic: string
  /** The serialized key, or null. */
  key: Buffer | null
  /** The message as given (before serialization). */
  message: unknown
  /** Number of partitions of the topic. */
  partitions: number
  /** Partitions that have a leader and whose circuit is not open, in ascending order (may be empty). */
  availablePartitions: readonly number[]
}

/**
 * A user partitioner: returns a partition number in `[0, partitions)`.
 *
 * @example
 * ```ts
 * const byRegion: PartitionerFunction = ({ message, partitions }) => regionIndex((message as Order).region) % partitions
 * orders$.pipe(produceTo('orders', { client, partitioner: byRegion }))
 * ```
 */
export type PartitionerFunction = (input: PartitionerInput) => number

/**
 * `'default'`: the Java client's default: murmur2 of the key for keyed
 * messages, sticky for keyless ones (KIP-480: one partition until its batch
 * is sealed, then another at random). `'round-robin'`: each message to the
 * next available partition. `'random'`: a random available partition. Or a
 * function.
 */
export type PartitionerChoice = 'default' | 'round-robin' | 'random' | PartitionerFunction

/** The per-topic state of a partitioner. */
export interface TopicPartitioner {
  /** The partition for a message; `available` is never consulted for keyed default partitioning. */
  partition(key: Buffer | null, message: unknown, partitions: number, available: readonly number[]): number
  /** A batch of `partition` was sealed: the sticky partitioner moves on. */
  onBatchSealed(partition: number, available: readonly number[]): void
}

function pick(available: readonly number[], partitions: number, random: () => number): number {
  if (available.length > 0) return available[Math.floor(random() * available.length)]!
  return Math.floor(random() * partitions)
}

/** Keyed: murmur2 like Java; keyless: sticky (KIP-480). */
export class DefaultPartitioner implements TopicPartitioner {
  #sticky = -1
  /** The availability list the sticky partition was last checked against (the engine makes a new list on every change). */
  #checkedAgainst: readonly number[] | undefined
  constructor(private readonly random: () => number) {}

  partition(key: Buffer | null, _message: unknown, partitions: number, available: readonly number[]): number {
    if (key !== null) return murmur2Partition(key, partitions)
    if (this.#sticky < 0 || this.#sticky >= partitions || (available !== this.#checkedAgainst && available.length > 0 && !available.includes(this.#sticky))) {
      this.#sticky = pick(available, partitions, this.random)
    }
    this.#checkedAgainst = available
    return this.#sticky
  }

  onBatchSealed(partition: number, available: readonly number[]): void {
    if (partition !== this.#sticky) return
    // Another partition than the one just filled, so keyless load spreads.
    this.#checkedAgainst = undefined
    const others = available.filter((p) => p !== partition)
    if (others.length > 0) {
      this.#sticky = others[Math.floor(this.random() * others.length)]!
    } else {
      this.#sticky = -1
    }
  }
}

/** Each message to the next available partition. */
export class RoundRobinPartitioner implements TopicPartitioner {
  #counter = 0
  partition(_key: Buffer | null, _message: unknown, partitions: number, available: readonly number[]): number {
    const n = this.#counter++
    if (this.#counter > 0x3fffffff) this.#counter = 0
    return available.length > 0 ? available[n % available.length]! : n % partitions
  }
  onBatchSealed(): void {}
}

/** A random available partition for each message. */
export class RandomPartitioner implements TopicPartitioner {
  constructor(private readonly random: () => number) {}
  partition(_key: Buffer | null, _message: unknown, partitions: number, available: readonly number[]): number {
    return pick(available, partitions, this.random)
  }
  onBatchSealed(): void {}
}

/** Wraps a user function. */
export class FunctionPartitioner implements TopicPartitioner {
  constructor(private readonly topic: string, private readonly fn: PartitionerFunction) {}
  partition(key: Buffer | null, message: unknown, partitions: number, available: readonly number[]): number {
    return this.fn({ topic: this.topic, key, message, partitions, availablePartitions: available })
  }
  onBatchSealed(): void {}
}

/** The partitioner state for one topic. */
export function createTopicPartitioner(choice: PartitionerChoice, topic: string, random: () => number): TopicPartitioner {
  if (typeof choice === 'function') return new FunctionPartitioner(topic, choice)
  switch (choice) {
    case 'round-robin':
      return new RoundRobinPartitioner()
    case 'random':
      return new RandomPartitioner(random)
    default:
      return new DefaultPartitioner(random)
  }
}
