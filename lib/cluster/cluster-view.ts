/**
 * The client's view of the cluster, built from Metadata responses: brokers,
 * topics, partitions and their leaders. Immutable: every refresh makes a new one,
 * so a consumer of `metadata$` can compare views to see what moved.
 */
import type { MetadataResponse, MetadataResponsePartition } from '../protocol/messages/Metadata.js'

/** A broker as metadata describes it. */
export interface BrokerInfo {
  /** The broker id. */
  nodeId: number
  /** The host it advertises. */
  host: string
  /** The port it advertises. */
  port: number
  /** Its rack (`broker.rack`), or null. */
  rack: string | null
}

/** One partition of a topic. `leader` is -1 while the partition has none. */
export interface PartitionInfo {
  /** The partition number. */
  partition: number
  /** The leader's broker id, -1 while there is none. */
  leader: number
  /** -1 where the broker does not report epochs (Metadata before v7). */
  leaderEpoch: number
  /** Broker ids of every replica. */
  replicas: readonly number[]
  /** Broker ids of the in-sync replicas. */
  isr: readonly number[]
  /** Broker ids of replicas that are offline. */
  offlineReplicas: readonly number[]
  /** Kafka error code for this partition (0 when healthy, 5 LEADER_NOT_AVAILABLE during elections). */
  errorCode: number
}

/** One topic. `errorCode` 3 (UNKNOWN_TOPIC_OR_PARTITION) means it does not exist. */
export interface TopicInfo {
  /** The topic name. */
  name: string
  /** URL-safe base64 uuid; all zeros where the broker does not report ids. */
  topicId: string
  /** Whether it is one of Kafka's own (`__consumer_offsets`, `__transaction_state`). */
  isInternal: boolean
  /** Kafka error code for the topic (0 when healthy). */
  errorCode: number
  /** Sorted by partition number. */
  partitions: readonly PartitionInfo[]
}

/** A snapshot of the cluster. */
export interface ClusterView {
  /** The cluster id, null where the broker does not report one. */
  clusterId: string | null
  /** The controller's broker id, -1 when unknown. */
  controllerId: number
  /** Every broker by id. */
  brokers: ReadonlyMap<number, BrokerInfo>
  /** Every topic asked about, by name (unknown ones with their error code). */
  topics: ReadonlyMap<string, TopicInfo>
  /** When this view was received (ms since the epoch, from the cluster's scheduler). */
  receivedAt: number
}

/** An empty view: before the first Metadata answer. */
export const EMPTY_VIEW: ClusterView = {
  clusterId: null,
  controllerId: -1,
  brokers: new Map(),
  topics: new Map(),
  receivedAt: 0,
}

/** A partition of a Metadata response, its error code aside (the admin's describeTopics reports errors per topic). */
export function partitionFromMetadata(p: MetadataResponsePartition) {
  return {
    partition: p.partitionIndex,
    leader: p.leaderId,
    leaderEpoch: p.leaderEpoch ?? -1,
    replicas: p.replicaNodes,
    isr: p.isrNodes,
    offlineReplicas: p.offlineReplicas ?? [],
  }
}

/**
 * A new view from a Metadata response. Topics the response does not mention keep
 * what the previous view knew, because a refresh may ask about only some topics.
 */
export function viewFromMetadata(previous: ClusterView, response: MetadataResponse, receivedAt: number): ClusterView {
  const brokers = new Map<number, BrokerInfo>()
  for (const b of response.brokers) {
    brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null })
  }
  const topics = new Map(previous.topics)
  for (const t of response.topics) {
    if (t.name === null || t.name === undefined) continue
    const partitions: PartitionInfo[] = t.partitions
      .map((p) => ({ ...partitionFromMetadata(p), errorCode: p.errorCode }))
      .sort((a, b) => a.partition - b.partition)
    topics.set(t.name, {
      name: t.name,
      topicId: t.topicId ?? 'AAAAAAAAAAAAAAAAAAAAAA',
      isInternal: t.isInternal ?? false,
      errorCode: t.errorCode,
      partitions,
    })
  }
  return {
    clusterId: response.clusterId ?? null,
    controllerId: response.controllerId ?? -1,
    brokers,
    topics,
    receivedAt,
  }
}

/** The partition's info, or undefined when the view does not know it. */
export function partitionInfo(view: ClusterView, topic: string, partition: number): PartitionInfo | undefined {
  const t = view.topics.get(topic)
  if (t === undefined) return undefined
  const p = t.partitions[partition]
  return p?.partition === partition ? p : t.partitions.find((x) => x.partition === partition)
}

/**
 * The first of `topics` that is missing or has a partition without a leader,
 * with the error code that says why (3 unknown, 5 no leader yet), or undefined
 * when all are ready.
 */
export function firstUnreadyTopic(view: ClusterView, topics: readonly string[], requireLeaders = true): { topic: string; errorCode: number } | undefined {
  for (const topic of topics) {
    const info = view.topics.get(topic)
    if (info === undefined) return { topic, errorCode: 3 }
    if (info.errorCode !== 0) return { topic, errorCode: info.errorCode }
    if (info.partitions.length === 0) return { topic, errorCode: 5 }
    if (!requireLeaders) continue
    for (const p of info.partitions) if (p.leader < 0) return { topic, errorCode: p.errorCode !== 0 ? p.errorCode : 5 }
  }
  return undefined
}
