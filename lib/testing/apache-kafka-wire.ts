/**
 * The few requests the test cluster itself sends to its nodes (readiness,
 * topic creation), each on a fresh connection with rxkafka's generated
 * encoders, so the cluster does not depend on the client layers under test.
 */
import { CreateTopicsApi, type CreateTopicsResponse } from '../protocol/messages/CreateTopics.js'
import { MetadataApi, type MetadataResponse } from '../protocol/messages/Metadata.js'
import { Reader, Writer } from '../protocol/primitives.js'
import { KafkaControlError } from '../errors/index.js'
import { sendRawRequest } from './mock-wire.js'

// The newest versions whose response header is v0 (sendRawRequest reads that one); Kafka 4 accepts both.
const METADATA_VERSION = 8
const CREATE_TOPICS_VERSION = 4

export async function metadata(host: string, port: number, topics: string[] | null, timeoutMs = 5_000): Promise<MetadataResponse> {
  const writer = new Writer()
  MetadataApi.encodeRequest(writer, METADATA_VERSION, {
    topics: topics === null ? null : topics.map((name) => ({ name })),
    allowAutoTopicCreation: false,
  })
  const body = await sendRawRequest(host, port, MetadataApi.apiKey, METADATA_VERSION, writer.finish(), { timeoutMs, clientId: 'rxkafka-test-cluster' })
  return MetadataApi.decodeResponse(new Reader(body), METADATA_VERSION)
}

export interface TopicToCreate {
  name: string
  partitions: number
  replicationFactor: number
  configs: Readonly<Record<string, string>>
}

export async function createTopics(host: string, port: number, topics: readonly TopicToCreate[], timeoutMs = 30_000): Promise<CreateTopicsResponse> {
  const writer = new Writer()
  CreateTopicsApi.encodeRequest(writer, CREATE_TOPICS_VERSION, {
    topics: topics.map((topic) => ({
      name: topic.name,
      numPartitions: topic.partitions,
      replicationFactor: topic.replicationFactor,
      assignments: [],
      configs: Object.entries(topic.configs).map(([name, value]) => ({ name, value })),
    })),
    timeoutMs,
  })
  const body = await sendRawRequest(host, port, CreateTopicsApi.apiKey, CREATE_TOPICS_VERSION, writer.finish(), {
    timeoutMs: timeoutMs + 5_000,
    clientId: 'rxkafka-test-cluster',
  })
  return CreateTopicsApi.decodeResponse(new Reader(body), CREATE_TOPICS_VERSION)
}

/**
 * Creates a topic through the first node and waits until every node given
 * knows a leader for each partition (metadata reaches each broker on its own).
 */
export async function createTopicAndWait(nodes: readonly { host: string; port: number }[], topic: TopicToCreate, timeoutMs = 30_000): Promise<void> {
  const via = nodes[0]!
  const answer = await createTopics(via.host, via.port, [topic], timeoutMs)
  const result = answer.topics[0]
  if (result !== undefined && result.errorCode !== 0) {
    throw new KafkaControlError(`createTopic ${topic.name}: the broker refused (error ${result.errorCode}${result.errorMessage ? `: ${result.errorMessage}` : ''})`, { topic: topic.name })
  }
  const deadline = Date.now() + timeoutMs
  for (const node of nodes) {
    for (;;) {
      const found = await metadata(node.host, node.port, [topic.name]).then((m) => m.topics[0], () => undefined)
      if (found !== undefined && found.errorCode === 0 && found.partitions.length === topic.partitions && found.partitions.every((p) => p.leaderId >= 0)) break
      if (Date.now() > deadline) {
        throw new KafkaControlError(`createTopic ${topic.name}: ${node.host}:${node.port} still knows no leader for each of its ${topic.partitions} partitions after ${timeoutMs} ms`, { topic: topic.name })
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}
