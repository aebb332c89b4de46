/** What read-only commands share: topics looked up without creating them, and a clear error for those that do not exist. */
import { RxKafkaError } from '../errors/index.js'
import type { Kafka } from '../kafka.js'
import type { TopicDescription } from '../admin/index.js'

/** The descriptions of `topics`; throws naming every topic that does not exist (none is created). */
export async function existingTopics(kafka: Kafka, topics: readonly string[]): Promise<Extract<TopicDescription, { ok: true }>[]> {
  const described = await kafka.admin.describeTopics(topics)
  const failed = described.filter((t) => !t.ok)
  if (failed.length > 0) {
    const first = failed[0]!
    throw new RxKafkaError(first.ok ? 'UNKNOWN_TOPIC' : first.error.code, `${failed.map((t) => (t.ok ? t.name : `${t.name} (${t.error.code})`)).join(', ')}: no such topic`, {
      topic: first.name,
      hint: 'check the name with `rxkafka topics list`; looking at a topic does not create it',
    })
  }
  return described.filter((t): t is Extract<TopicDescription, { ok: true }> => t.ok)
}
