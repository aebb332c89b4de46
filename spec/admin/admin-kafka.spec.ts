/**
 * Every admin call against Apache Kafka (the shared single node of the run):
 * what each answers, and the per-item errors a real broker gives
 * (TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR, UNKNOWN_TOPIC_OR_PARTITION,
 * NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND, INVALID_CONFIG, SECURITY_DISABLED), one
 * failed item never hiding the others.
 */
import { firstValueFrom, mergeMap, type Subscription, tap } from 'rxjs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createKafka, type Kafka } from '../../lib/kafka.js'
import { consumeGroup } from '../../lib/consume-group.js'
import { consoleLogger } from '../../lib/logger.js'
import { failedItems } from '../../lib/admin/index.js'
import { startPeer, uniqueName, type Peer } from '../support/peers.js'

let peer: Peer
let kafka: Kafka
const subscriptions: Subscription[] = []

beforeAll(async () => {
  peer = await startPeer('kafka')
  kafka = createKafka({ ...peer.clientConfig, clientId: 'admin-kafka-spec', logger: consoleLogger('silent') })
})
afterEach(() => {
  for (const s of subscriptions.splice(0)) s.unsubscribe()
})
afterAll(async () => {
  await kafka?.close()
  await peer?.stop()
})

/** Polls a condition (sync or async) every 50 ms until it holds. */
async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const started = Date.now()
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

// Each record one millisecond later than the one before: two sends in the same millisecond would tie on
// max-timestamp, and Kafka answers the first record of a tie (that is how a CI run got offset 8 for 9).
async function produce(topic: string, partition: number, count: number): Promise<void> {
  const first = Date.now()
  for (let i = 0; i < count; i++) await kafka.send(topic, { partition, value: `v${i}`, timestamp: first + i })
}

describe('admin against Apache Kafka: topics', () => {
  it('creates per topic: one created, one refused for its replication factor, a second create refused as existing; validateOnly creates nothing', async () => {
    const good = uniqueName('admin-create')
    const tooMany = uniqueName('admin-rf')
    const created = await kafka.admin.createTopics([
      { name: good, partitions: 3, replicationFactor: 1, configs: { 'retention.ms': '3600000' } },
      { name: tooMany, partitions: 1, replicationFactor: 3 },
    ])
    expect(created[0]).toMatchObject({ name: good, ok: true, partitions: 3, replicationFactor: 1 })
    expect(created[0]!.ok && created[0]!.topicId.length).toBeGreaterThan(0)
    expect(created[1]).toMatchObject({ name: tooMany, ok: false })
    expect(!created[1]!.ok && created[1]!.error.code).toBe('INVALID_REPLICATION_FACTOR')

    const again = await kafka.admin.createTopics([{ name: good, partitions: 3 }])
    expect(!again[0]!.ok && again[0]!.error.code).toBe('TOPIC_ALREADY_EXISTS')

    const dry = uniqueName('admin-dry')
    const validated = await kafka.admin.createTopics([{ name: dry, partitions: 2 }], { validateOnly: true })
    expect(validated[0]).toMatchObject({ ok: true, partitions: 2 })
    // The broker's metadata shows a created topic a moment after CreateTopics answers.
    await waitFor('the created topic listed', async () => (await kafka.admin.listTopics()).includes(good), 10_000)
    expect(await kafka.admin.listTopics()).not.toContain(dry)
    // The controller's own word: the validated topic does not exist, so creating it now succeeds.
    expect((await kafka.admin.createTopics([{ name: dry, partitions: 2 }]))[0]).toMatchObject({ name: dry, ok: true })
  })

  it('creates with a replica assignment, describes partitions, leaders, replicas and ISR, adds partitions and deletes', async () => {
    const name = uniqueName('admin-assign')
    const [created] = await kafka.admin.createTopics([{ name, replicaAssignment: [[1], [1]] }])
    expect(created).toMatchObject({ ok: true, partitions: 2 })
    // CreateTopics answers once the controller has the topic; the broker's metadata may lag a moment behind.
    await waitFor('the topic in metadata', async () => (await kafka.admin.describeTopics([name]))[0]!.ok, 10_000)
    const [described] = await kafka.admin.describeTopics([name])
    expect(described).toMatchObject({
      name,
      ok: true,
      isInternal: false,
      partitions: [
        { partition: 0, leader: 1, replicas: [1], isr: [1], offlineReplicas: [] },
        { partition: 1, leader: 1, replicas: [1], isr: [1], offlineReplicas: [] },
      ],
    })
    expect(described!.ok && described!.topicId).toBe(created!.ok && created!.topicId)

    const [more] = await kafka.admin.createPartitions([{ name, count: 4 }])
    expect(more).toMatchObject({ ok: true, count: 4 })
    await waitFor('4 partitions', async () => {
      const [t] = await kafka.admin.describeTopics([name])
      return t!.ok && t!.partitions.length === 4
    }, 20_000)
    const [fewer] = await kafka.admin.createPartitions([{ name, count: 2 }])
    expect(!fewer!.ok && fewer!.error.code).toBe('INVALID_PARTITIONS')

    const missing = uniqueName('admin-missing')
    const deleted = await kafka.admin.deleteTopics([name, missing])
    expect(deleted[0]).toMatchObject({ name, ok: true })
    expect(!deleted[1]!.ok && deleted[1]!.error.code).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    expect(failedItems(deleted).map((d) => d.name)).toEqual([missing])
  })

  it('describing a topic that does not exist answers UNKNOWN_TOPIC_OR_PARTITION and does not create it', async () => {
    const existing = uniqueName('admin-exists')
    await peer.createTopic(existing, 1)
    const nope = uniqueName('admin-nope')
    const described = await kafka.admin.describeTopics([existing, nope])
    expect(described[0]).toMatchObject({ name: existing, ok: true })
    expect(!described[1]!.ok && described[1]!.error.code).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    // A second look, after the broker had time to auto-create it if asked to: still missing.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await kafka.admin.listTopics()).not.toContain(nope)
    const every = await kafka.admin.describeTopics(null)
    expect(every.map((t) => t.name)).toContain(existing)
  })
})

describe('admin against Apache Kafka: cluster and configs', () => {
  it('describes the cluster and every broker\'s API versions', async () => {
    const cluster = await kafka.admin.describeCluster()
    expect(cluster.clusterId.length).toBeGreaterThan(0)
    expect(cluster.controllerId).toBe(1)
    expect(cluster.brokers).toMatchObject([{ nodeId: 1, host: '127.0.0.1', fenced: false }])
    const versions = await kafka.admin.apiVersions()
    expect(versions.map((v) => v.nodeId)).toEqual([1])
    expect(versions[0]!.apis.find((a) => a.apiKey === 19)).toMatchObject({ apiKey: 19, minVersion: expect.any(Number) })
    expect(versions[0]!.features['metadata.version']).toBeGreaterThan(0)
  })

  it('describes and alters topic configs per resource; a bad value is INVALID_CONFIG, an unknown topic UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const name = uniqueName('admin-configs')
    await peer.createTopic(name, 1)
    const nope = uniqueName('admin-nope')
    const altered = await kafka.admin.alterConfigs([
      { type: 'topic', name, set: { 'retention.ms': '123456' } },
      { type: 'topic', name: nope, set: { 'retention.ms': '1' } },
    ])
    expect(altered[0]).toMatchObject({ ok: true, type: 'topic', name })
    expect(!altered[1]!.ok && altered[1]!.error.code).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    const [bad] = await kafka.admin.alterConfigs([{ type: 'topic', name, set: { 'cleanup.policy': 'sometimes' } }])
    expect(!bad!.ok && bad!.error.code).toBe('INVALID_CONFIG')

    const [described, broker] = await kafka.admin.describeConfigs([{ type: 'topic', name }, { type: 'broker', name: '1' }])
    expect(described!.ok && described!.configs.find((c) => c.name === 'retention.ms')).toMatchObject({ value: '123456', source: 'dynamic-topic', isDefault: false })
    expect(described!.ok && described!.configs.find((c) => c.name === 'cleanup.policy')).toMatchObject({ value: 'delete', source: 'default' })
    expect(broker!.ok && broker!.configs.find((c) => c.name === 'group.initial.rebalance.delay.ms')).toMatchObject({ value: '0', source: 'static-broker' })

    await kafka.admin.alterConfigs([{ type: 'topic', name, delete: ['retention.ms'] }])
    const [after] = await kafka.admin.describeConfigs([{ type: 'topic', name }], { keys: ['retention.ms'] })
    expect(after!.ok && after!.configs).toMatchObject([{ name: 'retention.ms', source: 'default' }])
  })
})

describe('admin against Apache Kafka: offsets and records', () => {
  it('lists earliest, latest and max-timestamp offsets, deletes records before an offset, and answers an unknown partition per item', async () => {
    const name = uniqueName('admin-offsets')
    await peer.createTopic(name, 2)
    await produce(name, 0, 10)
    const listed = await kafka.admin.listOffsets([
      { topic: name, partition: 0, spec: 'earliest' },
      { topic: name, partition: 0, spec: 'latest' },
      { topic: name, partition: 0, spec: 'max-timestamp' },
      { topic: name, partition: 1, spec: 'latest' },
      { topic: name, partition: 7, spec: 'latest' },
      { topic: name, partition: 0, spec: { timestamp: Date.now() + 3_600_000 } },
    ])
    expect(listed.slice(0, 4).map((l) => l.ok && l.offset)).toEqual([0n, 10n, 9n, 0n])
    expect(!listed[4]!.ok && listed[4]!.error.code).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    expect(listed[5]!.ok && listed[5]!.offset).toBe(-1n)

    const [deleted, tooFar] = await kafka.admin.deleteRecords([
      { topic: name, partition: 0, before: 4n },
      { topic: name, partition: 1, before: 5n },
    ])
    expect(deleted).toMatchObject({ ok: true, lowWatermark: 4n })
    expect(!tooFar!.ok && tooFar!.error.code).toBe('OFFSET_OUT_OF_RANGE')
    const [earliest] = await kafka.admin.listOffsets([{ topic: name, partition: 0, spec: 'earliest' }])
    expect(earliest!.ok && earliest!.offset).toBe(4n)
  })

  it('describes the producers with state on a partition', async () => {
    const name = uniqueName('admin-producers')
    await peer.createTopic(name, 1)
    await produce(name, 0, 3)
    const [p0, missing] = await kafka.admin.describeProducers([{ topic: name, partition: 0 }, { topic: uniqueName('admin-nope'), partition: 0 }])
    expect(p0!.ok && p0!.producers).toHaveLength(1)
    expect(p0!.ok && p0!.producers[0]).toMatchObject({ lastSequence: 2, currentTxnStartOffset: -1n })
    expect(!missing!.ok && missing!.error.code).toBe('UNKNOWN_TOPIC_OR_PARTITION')
  })
})

describe('admin against Apache Kafka: groups and their offsets', () => {
  it('lists, describes and fetches a running group; refuses to delete it (NON_EMPTY_GROUP); after it left: alters, resets, deletes offsets and the group', async () => {
    const topic = uniqueName('admin-groups')
    const groupId = uniqueName('admin-group')
    await peer.createTopic(topic, 2)
    await produce(topic, 0, 6)
    await produce(topic, 1, 4)
    let received = 0
    const group = consumeGroup({
      client: kafka.cluster,
      groupId,
      topics: [topic],
      fromBeginning: true,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      rebalanceTimeoutMs: 10_000,
      commitIntervalMs: 200,
    })
    subscriptions.push(group.pipe(mergeMap((p) => p), tap((m) => { received++; m.done() })).subscribe())
    await waitFor('10 messages', () => received === 10, 40_000)
    await waitFor('commits of 6 and 4', async () => {
      const offsets = await kafka.admin.fetchOffsets(groupId, [topic])
      return offsets.map((o) => o.ok && o.offset).join() === '6,4'
    }, 20_000)

    const listed = await kafka.admin.listGroups()
    expect(listed.find((g) => g.groupId === groupId)).toMatchObject({ protocolType: 'consumer', state: 'Stable', type: 'classic', coordinator: 1 })
    const [described, unknown] = await kafka.admin.describeGroups([groupId, uniqueName('admin-nogroup')])
    expect(described).toMatchObject({ ok: true, type: 'classic', state: 'Stable', protocolType: 'consumer', coordinator: 1 })
    expect(described!.ok && described!.members[0]!.assignment).toEqual([{ topic, partition: 0 }, { topic, partition: 1 }])
    expect(!unknown!.ok && unknown!.error.code).toBe('GROUP_ID_NOT_FOUND')
    const lag = await kafka.admin.groupLag(groupId)
    expect(lag).toEqual([
      { topic, partition: 0, committed: 6n, end: 6n, lag: 0n },
      { topic, partition: 1, committed: 4n, end: 4n, lag: 0n },
    ])
    const [refused] = await kafka.admin.deleteGroups([groupId])
    expect(!refused!.ok && refused!.error.code).toBe('NON_EMPTY_GROUP')
    const [busy] = await kafka.admin.alterOffsets(groupId, [{ topic, partition: 0, offset: 1n }])
    expect(!busy!.ok && busy!.error.code).toBe('UNKNOWN_MEMBER_ID')

    for (const s of subscriptions.splice(0)) s.unsubscribe()
    await waitFor('the group is empty', async () => {
      const [g] = await kafka.admin.describeGroups([groupId])
      return g!.ok && g!.state === 'Empty'
    }, 20_000)

    const plan = await kafka.admin.planOffsetReset(groupId, [topic], { shiftBy: -3n })
    expect(plan).toEqual([
      { topic, partition: 0, current: 6n, target: 3n },
      { topic, partition: 1, current: 4n, target: 1n },
    ])
    const applied = await kafka.admin.alterOffsets(groupId, plan.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.target })))
    expect(applied.every((a) => a.ok)).toBe(true)
    expect((await kafka.admin.groupLag(groupId)).map((l) => l.lag)).toEqual([3n, 3n])

    const [gone, stays] = await kafka.admin.deleteOffsets(groupId, [{ topic, partition: 0 }, { topic, partition: 1 }])
    expect(gone!.ok && stays!.ok).toBe(true)
    expect(await kafka.admin.fetchOffsets(groupId)).toEqual([])
    const [deleted] = await kafka.admin.deleteGroups([groupId])
    expect(deleted).toMatchObject({ groupId, ok: true })
    const [again] = await kafka.admin.deleteGroups([groupId])
    expect(!again!.ok && again!.error.code).toBe('GROUP_ID_NOT_FOUND')
  })

  it('lag$ emits the lag now, then again each period while subscribed, seeing a new commit', async () => {
    const topic = uniqueName('admin-lag')
    const groupId = uniqueName('admin-lag-group')
    await peer.createTopic(topic, 1)
    await produce(topic, 0, 5)
    await kafka.admin.alterOffsets(groupId, [{ topic, partition: 0, offset: 2n }])
    const first = await firstValueFrom(kafka.admin.lag$(groupId, { every: 200 }))
    expect(first).toEqual([{ topic, partition: 0, committed: 2n, end: 5n, lag: 3n }])
    const lags: bigint[] = []
    subscriptions.push(kafka.admin.lag$(groupId, { every: 200 }).subscribe((rows) => lags.push(rows[0]!.lag)))
    await waitFor('a first emission', () => lags.length > 0, 10_000)
    await kafka.admin.alterOffsets(groupId, [{ topic, partition: 0, offset: 4n }])
    await waitFor('the new lag', () => lags.at(-1) === 1n, 10_000)
    expect(lags[0]).toBe(3n)
    expect(lags.length).toBeGreaterThan(1)
  })
})

describe('admin against Apache Kafka: security and transactions', () => {
  it('SCRAM: describes the users the broker was formatted with, adds and removes a credential', async () => {
    const [alice, nobody] = await kafka.admin.describeScramCredentials(['alice', 'nobody-here'])
    expect(alice).toMatchObject({ user: 'alice', ok: true })
    expect(alice!.ok && alice!.credentials.map((c) => c.mechanism).sort()).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-512'])
    expect(!nobody!.ok && nobody!.error.code).toBe('RESOURCE_NOT_FOUND')

    const user = uniqueName('carol')
    const [upserted] = await kafka.admin.alterScramCredentials([{ user, mechanism: 'SCRAM-SHA-256', password: 'carol-secret', iterations: 8192 }])
    expect(upserted).toMatchObject({ user, ok: true })
    const [carol] = await kafka.admin.describeScramCredentials([user])
    expect(carol!.ok && carol!.credentials).toEqual([{ mechanism: 'SCRAM-SHA-256', iterations: 8192 }])
    const [removed] = await kafka.admin.alterScramCredentials([{ user, mechanism: 'SCRAM-SHA-256', delete: true }])
    expect(removed).toMatchObject({ ok: true })
    const [after] = await kafka.admin.describeScramCredentials([user])
    expect(!after!.ok && after!.error.code).toBe('RESOURCE_NOT_FOUND')
  })

  it('ACLs on a broker without an authorizer: SECURITY_DISABLED per ACL (spec/admin/admin-acls-kafka.spec.ts runs one with)', async () => {
    const [r] = await kafka.admin.createAcls([{ resourceType: 'topic', resourceName: 'x', patternType: 'literal', principal: 'User:alice', host: '*', operation: 'read', permission: 'allow' }])
    expect(!r!.ok && r!.error.code).toBe('SECURITY_DISABLED')
    await expect(kafka.admin.describeAcls()).rejects.toMatchObject({ code: 'SECURITY_DISABLED' })
  })

  it('transactions: none listed for an unknown id, TRANSACTIONAL_ID_NOT_FOUND when described', async () => {
    const id = uniqueName('admin-txn')
    const listed = await kafka.admin.listTransactions()
    expect(listed.find((t) => t.transactionalId === id)).toBeUndefined()
    const [described] = await kafka.admin.describeTransactions([id])
    expect(!described!.ok && described!.error.code).toBe('TRANSACTIONAL_ID_NOT_FOUND')
  })

  it('watchTopics$ sees a topic appear', async () => {
    const name = uniqueName('admin-watch')
    const seen: string[][] = []
    subscriptions.push(kafka.admin.watchTopics$({ every: 200 }).subscribe((c) => seen.push(c.added)))
    await waitFor('the first look', () => seen.length === 1, 10_000)
    expect(seen[0]).not.toContain(name)
    await peer.createTopic(name, 1)
    await waitFor('the topic added', () => seen.some((added) => added.includes(name)), 10_000)
    expect(seen.at(-1)).toEqual([name])
  })
})
