/**
 * The few requests the test cluster itself sends to its nodes (readiness,
 * topic creation), each on a fresh connection with rxkafka's generated
 * encoders, so the cluster does not depend on the client layers under test.
 */
import { CreateTopicsApi, type CreateTopicsResponse } from '../protocol/messages/CreateTopics.js'
import { MetadataApi, type MetadataResponse } from '../protocol/messages/Metadata.js'
import { Reader, Writer } from '../protocol/primitives.js'
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
