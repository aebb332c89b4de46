/**
 * What needs a broker of its own: ACLs (an authorizer, StandardAuthorizer,
 * with the plaintext principal as super user so the specs' own requests pass)
 * and POLICY_VIOLATION (a create-topic policy from test-brokers/kafka that
 * refuses names starting with `forbidden-`). One node, stopped in afterAll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKafka, type Kafka } from '../../lib/kafka.js'
import { consoleLogger } from '../../lib/logger.js'
import { startKafkaCluster, type KafkaCluster } from '../../lib/testing/index.js'
import type { Acl } from '../../lib/admin/index.js'

let broker: KafkaCluster | undefined
let kafka: Kafka

beforeAll(async () => {
  broker = await startKafkaCluster({
    brokers: 1,
    heapMb: 320,
    brokerConfig: {
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:ANONYMOUS',
      'create.topic.policy.class.name': 'rxkafka.interop.ForbiddenTopicsPolicy',
    },
  })
  kafka = createKafka({ brokers: [broker.bootstrap], clientId: 'admin-acls-spec', logger: consoleLogger('silent') })
})
afterAll(async () => {
  await kafka?.close()
  await broker?.stop()
})

const readOrders: Acl = { resourceType: 'topic', resourceName: 'orders', patternType: 'literal', principal: 'User:alice', host: '*', operation: 'read', permission: 'allow' }
const writePrefixed: Acl = { resourceType: 'topic', resourceName: 'orders.', patternType: 'prefixed', principal: 'User:bob', host: '*', operation: 'write', permission: 'deny' }

describe('admin ACLs and policies against Apache Kafka with an authorizer', () => {
  it('creates, describes and deletes ACLs; an ACL the authorizer refuses fails alone', async () => {
    const created = await kafka.admin.createAcls([
      readOrders,
      writePrefixed,
      // A principal without its type (`User:`) cannot be parsed: the controller refuses this one alone.
      { resourceType: 'group', resourceName: 'g', patternType: 'literal', principal: 'alice', host: '*', operation: 'read', permission: 'allow' },
    ])
    expect(created.map((c) => c.ok)).toEqual([true, true, false])
    expect(!created[2]!.ok && created[2]!.error.code).toBe('INVALID_REQUEST')
    expect(!created[2]!.ok && created[2]!.error.brokerMessage).toContain('Could not parse principal')
    // `match` is a filter's pattern type: the broker would fail the whole request, so the client refuses it first.
    await expect(kafka.admin.createAcls([{ ...readOrders, patternType: 'match' }])).rejects.toMatchObject({ code: 'INVALID_ADMIN_ARGUMENT', argument: 'acls[0].patternType' })

    // ACLs reach the authorizer through the metadata log: wait until both are seen.
    let described: Acl[] = []
    for (let i = 0; i < 100 && described.length < 2; i++) {
      described = await kafka.admin.describeAcls({ resourceType: 'topic' })
      if (described.length < 2) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(described.sort((a, b) => a.principal.localeCompare(b.principal))).toEqual([readOrders, writePrefixed])
    expect(await kafka.admin.describeAcls({ principal: 'User:bob' })).toEqual([writePrefixed])

    const [deleted, none] = await kafka.admin.deleteAcls([{ principal: 'User:alice' }, { principal: 'User:nobody' }])
    expect(deleted!.ok && deleted!.deleted).toEqual([readOrders])
    expect(none!.ok && none!.deleted).toEqual([])
  })

  it('POLICY_VIOLATION for the topic the policy refuses, the other one created', async () => {
    const created = await kafka.admin.createTopics([
      { name: 'forbidden-orders', partitions: 1, replicationFactor: 1 },
      { name: 'allowed-orders', partitions: 1, replicationFactor: 1 },
    ])
    expect(!created[0]!.ok && created[0]!.error.code).toBe('POLICY_VIOLATION')
    expect(!created[0]!.ok && created[0]!.error.brokerMessage).toContain('refused by the test policy')
    expect(created[1]).toMatchObject({ name: 'allowed-orders', ok: true })
  })
})
