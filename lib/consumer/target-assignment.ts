/**
 * The target assignment a KIP-848 coordinator sends, by topic id, turned into
 * topic names and compared with the partitions the member holds: which to
 * revoke and which to add in the next reconciliation step.
 */
import { switchMap, take, type Observable } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { MetadataApi } from '../protocol/messages/Metadata.js'
import { partitionKey } from './offset-requests.js'
import type { PartitionSlot } from './partition-stream.js'

/** One partition of a target assignment, by topic name. */
export interface TargetPartition {
  topic: string
  partition: number
}

/** The assignment as ConsumerGroupHeartbeat carries it. */
export type AssignedTopics = readonly { topicId: string; partitions: readonly number[] }[]

/** The assignment by topic name; partitions of topics with no known name are left out (the caller learns the names first). */
export function resolveTarget(topicNames: ReadonlyMap<string, string>, assignment: AssignedTopics): TargetPartition[] {
  const target: TargetPartition[] = []
  for (const t of assignment) {
    const topic = topicNames.get(t.topicId)
    if (topic === undefined) continue
    for (const partition of t.partitions) target.push({ topic, partition })
  }
  return target
}

/** What one reconciliation step changes: the held slots outside the target, and the target partitions not held. */
export interface TargetChange {
  revoked: PartitionSlot[]
  added: TargetPartition[]
}

export function targetChange(held: ReadonlyMap<string, PartitionSlot>, target: readonly TargetPartition[]): TargetChange {
  const keys = new Set(target.map((t) => partitionKey(t.topic, t.partition)))
  return {
    revoked: [...held.values()].filter((s) => !keys.has(s.key)),
    added: target.filter((t) => !held.has(partitionKey(t.topic, t.partition))),
  }
}

/**
 * For an assignment naming a topic we have no name for (a regex
 * subscription, a topic created since): asks the cluster for every topic's
 * id, records the names in `topicNames`, and loads the assigned topics'
 * metadata. Emits once when done.
 */
export function learnTopicNames(client: ClusterClient, topicNames: Map<string, string>, assignment: AssignedTopics): Observable<unknown> {
  return client.request('any', MetadataApi, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }).pipe(
    switchMap((metadata) => {
      for (const t of metadata.topics) if (t.name !== null && t.topicId !== undefined) topicNames.set(t.topicId, t.name)
      const names = assignment.map((t) => topicNames.get(t.topicId)).filter((n): n is string => n !== undefined)
      return client.ensureTopics(names).pipe(take(1))
    }),
  )
}
