/**
 * The connection layer and cluster view against both peers, librdkafka's mock
 * cluster and Apache Kafka (implementations of the broker side we did not
 * write); what needs the mock's fault injection runs against the mock only.
 */
import { createServer, type Server } from 'node:http'
import { firstValueFrom, forkJoin, lastValueFrom, take, toArray } from 'rxjs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BrokerConnection } from '../../lib/connection/broker-connection.js'
import { ConnectionError, FrameTooLargeError, RequestTimeoutError, UnknownTopicError, KafkaBrokerError } from '../../lib/errors/index.js'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { ErrorCode } from '../../lib/protocol/error-codes.js'
import { ApiVersionsApi } from '../../lib/protocol/messages/ApiVersions.js'
import { ListOffsetsApi } from '../../lib/protocol/messages/ListOffsets.js'
import { MetadataApi } from '../../lib/protocol/messages/Metadata.js'
import { startMockCluster } from '../../lib/testing/mock-cluster.js'
import { PEERS, startPeer, uniqueName, type Peer, type PeerName } from '../support/peers.js'
import { consoleLogger, silentLogger } from '../../lib/logger.js'

/** The peer of the describe block running now (blocks run one after another) and its 6-partition topic. */
let peer: Peer
let orders = ''
const ORDERS = (): string => orders
const clusters: KafkaCluster[] = []

function onPeer(name: PeerName): void {
  beforeAll(async () => {
    peer = await startPeer(name)
    orders = uniqueName('orders')
    await peer.createTopic(orders, 6)
  })
  afterAll(async () => {
    await peer?.stop()
  })
}

function cluster(options: Partial<ConstructorParameters<typeof KafkaCluster>[0]> = {}): KafkaCluster {
  const c = new KafkaCluster({ ...peer.clientConfig, clientId: 'spec', logger: silentLogger, ...options })
  clusters.push(c)
  return c
}

/** Broker `id` of the peer (its bootstrap lists the brokers in id order). */
function brokerAddress(id: number) {
  const [host, port] = peer.bootstrap.split(',')[id - 1]!.split(':')
  return { host: host!, port: Number(port), nodeId: id }
}

/** Node ids of the peer: 1..3 on the mock, 1 on the shared Kafka. */
function brokerIds(): number[] {
  return peer.bootstrap.split(',').map((_, i) => i + 1)
}

afterEach(async () => {
  for (const c of clusters.splice(0)) await c.close()
})

describe.each(PEERS)('BrokerConnection against %s', (name) => {
  onPeer(name)

  it('negotiates versions, then keeps the correlation of many pipelined requests', async () => {
    const conn = new BrokerConnection(brokerAddress(1), { clientId: 'spec', compatibility: peer.clientConfig.compatibility, maxInFlight: 5 })
    try {
      // 40 requests, each naming a different topic list, so each answer can be matched to its question.
      const names = Array.from({ length: 40 }, (_, i) => [ORDERS(), `auto-${i}`])
      const answers = await lastValueFrom(
        forkJoin(names.map((topics) => conn.request(MetadataApi, { topics: topics.map((name) => ({ name })), allowAutoTopicCreation: false }))),
      )
      answers.forEach((answer, i) => {
        expect(answer.topics.map((t) => t.name).sort()).toEqual([...names[i]!].sort())
      })
      expect(conn.apiVersions?.get(MetadataApi.apiKey)).toBeDefined()
      expect(conn.getStats().requests).toBeGreaterThanOrEqual(41)
      expect(conn.getStats().inFlight).toBe(0)
    } finally {
      conn.close()
    }
  })

  it('names an HTTP server on a wrong port', async () => {
    const server: Server = createServer((_req, res) => res.end('hello'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as { port: number }).port
    const conn = new BrokerConnection({ host: '127.0.0.1', port, nodeId: -1 }, { clientId: 'spec', compatibility: peer.clientConfig.compatibility })
    try {
      const error = await firstValueFrom(conn.request(MetadataApi, { topics: [] })).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(FrameTooLargeError)
      expect((error as Error).message).toMatch(/HTTP/)
      expect((error as FrameTooLargeError).hint).toMatch(/port/)
    } finally {
      conn.close()
      await new Promise((r) => server.close(r))
    }
  })

  it('refuses a closed port with a hint, not a hang', async () => {
    const conn = new BrokerConnection({ host: '127.0.0.1', port: 1, nodeId: -1 }, { clientId: 'spec', compatibility: peer.clientConfig.compatibility })
    try {
      const error = await firstValueFrom(conn.request(MetadataApi, { topics: [] })).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConnectionError)
      expect((error as ConnectionError).message).toMatch(/refused/)
      expect((error as ConnectionError).hint).toMatch(/running/)
    } finally {
      conn.close()
    }
  })

  it('are closed after connectionsMaxIdleMs and reopened on the next request', async () => {
    const conn = new BrokerConnection(brokerAddress(1), { clientId: 'spec', compatibility: peer.clientConfig.compatibility, connectionsMaxIdleMs: 50 })
    try {
      await firstValueFrom(conn.request(MetadataApi, { topics: [] }))
      expect(conn.state).toBe('ready')
      await new Promise((r) => setTimeout(r, 200))
      expect(conn.state).toBe('idle')
      await firstValueFrom(conn.request(MetadataApi, { topics: [] }))
      expect(conn.getStats().connects).toBe(2)
    } finally {
      conn.close()
    }
  })
})

describe.each(PEERS)('KafkaCluster against %s', (name) => {
  onPeer(name)

  it('bootstraps, shows brokers, topics and leaders in metadata$', async () => {
    const c = cluster()
    const view = await firstValueFrom(c.ensureTopics([ORDERS()]))
    expect([...view.brokers.keys()].sort()).toEqual(brokerIds())
    const orders = view.topics.get(ORDERS())!
    expect(orders.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3, 4, 5])
    for (const p of orders.partitions) expect(brokerIds()).toContain(p.leader)
    const fromStream = await firstValueFrom(c.metadata$)
    expect(fromStream.topics.get(ORDERS())).toBeDefined()
  })

  it('closes bootstrap connections once brokers are known by id', async () => {
    const c = cluster()
    await firstValueFrom(c.ensureTopics([ORDERS()]))
    await firstValueFrom(c.request(1, MetadataApi, { topics: [] }))
    expect(c.diagnostics().connections.map((x) => x.nodeId)).not.toContain(-1)
  })

  it('bootstraps past a dead address in the broker list', async () => {
    const c = cluster({ brokers: ['127.0.0.1:1', ...peer.bootstrap.split(',')] })
    const view = await firstValueFrom(c.refreshMetadata())
    expect(view.brokers.size).toBe(brokerIds().length)
  })

  it('auto-creates an unknown topic where the broker allows it', async () => {
    const c = cluster()
    const view = await firstValueFrom(c.ensureTopics(['created-on-demand']))
    expect(view.topics.get('created-on-demand')!.partitions.length).toBeGreaterThan(0)
  })

  it('gives UnknownTopicError after bounded retries when auto-creation is off', async () => {
    const c = cluster({ allowAutoTopicCreation: false, topicWaitMs: 300, retryBackoffMs: 20 })
    const error = await firstValueFrom(c.ensureTopics(['no-such-topic'])).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnknownTopicError)
    expect((error as UnknownTopicError).topic).toBe('no-such-topic')
    expect((error as UnknownTopicError).hint).toMatch(/create the topic/)
  })

  it('gives requests with their own connectionKey their own socket within the role', async () => {
    const c = cluster()
    const sub = c.metadata$.subscribe()
    try {
      await firstValueFrom(c.refreshMetadata())
      await lastValueFrom(
        forkJoin([
          c.request(1, MetadataApi, { topics: [] }, { role: 'group', connectionKey: 'member-a' }),
          c.request(1, MetadataApi, { topics: [] }, { role: 'group', connectionKey: 'member-b' }),
          c.request(1, MetadataApi, { topics: [] }, { role: 'group', connectionKey: 'member-a' }),
        ]),
      )
      const roles = c.diagnostics().connections.filter((x) => x.nodeId === 1).map((x) => x.role).sort()
      expect(roles.filter((r) => r.startsWith('group'))).toEqual(['group:member-a', 'group:member-b'])
    } finally {
      sub.unsubscribe()
    }
  })

  it('releases every socket when the last user unsubscribes, and after close()', async () => {
    const c = cluster()
    const views = await lastValueFrom(c.metadata$.pipe(take(1), toArray()))
    expect(views.length).toBe(1)
    await new Promise((r) => setTimeout(r, 10))
    expect(c.diagnostics().connections).toEqual([])
    expect(c.diagnostics().users).toBe(0)
    await firstValueFrom(c.refreshMetadata())
    await c.close()
    expect(c.diagnostics().connections).toEqual([])
    await expect(firstValueFrom(c.refreshMetadata())).rejects.toThrow(/closed/)
  })

  it('leaves no socket or timer behind after close()', async () => {
    const count = () => {
      const info = process.getActiveResourcesInfo()
      return { sockets: info.filter((r) => r === 'TCPSocketWrap').length, timers: info.filter((r) => r === 'Timeout').length }
    }
    await new Promise((r) => setTimeout(r, 20))
    const before = count()
    const c = cluster({ metadataMaxAgeMs: 50 })
    const sub = c.metadata$.subscribe()
    await firstValueFrom(c.ensureTopics([ORDERS()]))
    await firstValueFrom(c.findCoordinator('group', 'leak-check'))
    expect(count().sockets).toBeGreaterThan(before.sockets)
    sub.unsubscribe()
    await c.close()
    await new Promise((r) => setTimeout(r, 20))
    // timers of earlier tests may expire meanwhile, so the counts may drop but must not grow
    const after = count()
    expect(after.sockets).toBeLessThanOrEqual(before.sockets)
    expect(after.timers).toBeLessThanOrEqual(before.timers)
  })
})

describe('BrokerConnection against the mock: version caps, slow answers, outages, stray answers', () => {
  onPeer('mock')

  it('negotiates down when the broker advertises a lower ApiVersions and Metadata range', async () => {
    const local = await startMockCluster({ brokers: 1 })
    try {
      await local.setApiVersion(ApiVersionsApi.apiKey, 0, 2)
      await local.setApiVersion(MetadataApi.apiKey, 0, 4)
      const b = local.brokers[0]!
      const conn = new BrokerConnection({ host: b.host, port: b.port, nodeId: b.id }, { clientId: 'spec', compatibility: peer.clientConfig.compatibility })
      try {
        await local.startRequestTracking()
        const answer = await firstValueFrom(conn.request(MetadataApi, { topics: [] }))
        expect(answer.brokers.length).toBe(1)
        expect(conn.versionFor(MetadataApi)).toBe(4)
        const sent = await local.requests()
        // our first ApiVersions (v4) is refused, and we step down until the broker accepts one
        // (the mock does not record versions, so the count of attempts is what shows it)
        const apiVersions = sent.filter((r) => r.apiKey === ApiVersionsApi.apiKey)
        expect(apiVersions.length).toBeGreaterThanOrEqual(2)
        expect(sent.filter((r) => r.apiKey === MetadataApi.apiKey).length).toBe(1)
      } finally {
        conn.close()
      }
    } finally {
      await local.stop()
    }
  })

  it('times out a slow answer, closes the stuck connection, and serves the next request on a new one', async () => {
    const conn = new BrokerConnection(brokerAddress(2), { clientId: 'spec', compatibility: peer.clientConfig.compatibility })
    try {
      await firstValueFrom(conn.request(MetadataApi, { topics: [] })) // connected and negotiated
      await peer.mock!.setBrokerRtt(2, 400)
      const slow = firstValueFrom(conn.request(MetadataApi, { topics: [] }, { timeoutMs: 50 }))
      const behind = firstValueFrom(conn.request(MetadataApi, { topics: [] }, { timeoutMs: 5_000 }))
      await expect(slow).rejects.toBeInstanceOf(RequestTimeoutError)
      // the request written behind it would have waited for it: it fails at once, retriably
      const error = await behind.catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConnectionError)
      expect((error as ConnectionError).retriable).toBe(true)
      await peer.mock!.setBrokerRtt(2, 0)
      const next = await firstValueFrom(conn.request(MetadataApi, { topics: [{ name: ORDERS() }] }, { timeoutMs: 5_000 }))
      expect(next.topics.map((t) => t.name)).toEqual([ORDERS()])
      expect(conn.getStats().connects).toBe(2)
    } finally {
      await peer.mock!.setBrokerRtt(2, 0)
      conn.close()
    }
  })

  it('drops the late answer of a request its caller gave up on, and keeps the connection', async () => {
    const conn = new BrokerConnection(brokerAddress(2), { clientId: 'spec', compatibility: peer.clientConfig.compatibility })
    try {
      await firstValueFrom(conn.request(MetadataApi, { topics: [] }))
      await peer.mock!.setBrokerRtt(2, 100)
      const abandoned = conn.request(MetadataApi, { topics: [] }).subscribe()
      await new Promise((r) => setTimeout(r, 10))
      abandoned.unsubscribe() // frees its in-flight slot; its answer still comes, and must not be taken for the next
      const next = await firstValueFrom(conn.request(MetadataApi, { topics: [{ name: ORDERS() }] }, { timeoutMs: 5_000 }))
      expect(next.topics.map((t) => t.name)).toEqual([ORDERS()])
      expect(conn.getStats().connects).toBe(1)
    } finally {
      await peer.mock!.setBrokerRtt(2, 0)
      conn.close()
    }
  })

  it('fails requests with a retriable ConnectionError while the broker is down, and reconnects when it is up', async () => {
    const conn = new BrokerConnection(brokerAddress(3), { clientId: 'spec', compatibility: peer.clientConfig.compatibility, reconnectBackoffMs: 10, reconnectBackoffMaxMs: 20 })
    try {
      await firstValueFrom(conn.request(MetadataApi, { topics: [] }))
      await peer.mock!.brokerDown(3)
      const failure = await firstValueFrom(conn.request(MetadataApi, { topics: [] })).catch((e: unknown) => e)
      expect(failure).toBeInstanceOf(ConnectionError)
      expect((failure as ConnectionError).retriable).toBe(true)
      await peer.mock!.brokerUp(3)
      let answered = false
      for (let i = 0; i < 50 && !answered; i++) {
        answered = await firstValueFrom(conn.request(MetadataApi, { topics: [] })).then(
          () => true,
          async () => {
            await new Promise((r) => setTimeout(r, 50))
            return false
          },
        )
      }
      expect(answered).toBe(true)
    } finally {
      await peer.mock!.brokerUp(3)
      conn.close()
    }
  })

  it('drop an answer the peer sends anyway (the mock answers acks=0 produces) without resetting the connection', async () => {
    const { ProduceApi } = await import('../../lib/protocol/messages/Produce.js')
    const conn = new BrokerConnection(brokerAddress(1), { clientId: 'spec', compatibility: peer.clientConfig.compatibility })
    try {
      await firstValueFrom(conn.request(MetadataApi, { topics: [] }))
      await firstValueFrom(conn.send(ProduceApi, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [] }))
      // the stray answer arrives meanwhile; the connection must stay up and in step
      const answer = await firstValueFrom(conn.request(MetadataApi, { topics: [{ name: ORDERS() }] }))
      expect(answer.topics.map((t) => t.name)).toEqual([ORDERS()])
      expect(conn.getStats().connects).toBe(1)
      expect(conn.getStats().lastError).toBeUndefined()
    } finally {
      conn.close()
    }
  })
})

describe('KafkaCluster against the mock: request tracking, moved leaders and coordinators, injected errors', () => {
  onPeer('mock')

  it('coalesces concurrent refreshes into one Metadata request', async () => {
    const c = cluster()
    await firstValueFrom(c.refreshMetadata([ORDERS()]))
    await peer.mock!.startRequestTracking()
    await peer.mock!.clearRequests()
    await lastValueFrom(forkJoin([c.refreshMetadata(), c.refreshMetadata(), c.refreshMetadata([ORDERS()])]))
    const metadataRequests = (await peer.mock!.requests()).filter((r) => r.apiKey === MetadataApi.apiKey)
    await peer.mock!.stopRequestTracking()
    expect(metadataRequests.length).toBe(1)
  })

  it('finds a moved leader on refresh', async () => {
    const c = cluster()
    const before = await firstValueFrom(c.ensureTopics([ORDERS()]))
    const oldLeader = before.topics.get(ORDERS())!.partitions[0]!.leader
    const newLeader = oldLeader === 1 ? 2 : 1
    await peer.mock!.setPartitionLeader(ORDERS(), 0, newLeader)
    const after = await firstValueFrom(c.refreshMetadata([ORDERS()]))
    expect(after.topics.get(ORDERS())!.partitions[0]!.leader).toBe(newLeader)
  })

  it('surfaces an injected error code as a typed error with the right retriable flag', async () => {
    const c = cluster()
    const view = await firstValueFrom(c.ensureTopics([ORDERS()]))
    const p0 = view.topics.get(ORDERS())!.partitions[0]!
    await peer.mock!.pushRequestErrors(ListOffsetsApi.apiKey, [ErrorCode.NOT_LEADER_OR_FOLLOWER])
    const answer = await firstValueFrom(
      c.request(p0.leader, ListOffsetsApi, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: ORDERS(), partitions: [{ partitionIndex: 0, timestamp: -1n, currentLeaderEpoch: -1, maxNumOffsets: 1 }] }],
      }),
    )
    const code = answer.topics[0]!.partitions[0]!.errorCode
    expect(code).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    const { brokerError } = await import('../../lib/errors/index.js')
    const typed = brokerError(code, { api: 'ListOffsets', topic: ORDERS(), partition: 0, broker: p0.leader })
    expect(typed).toBeInstanceOf(KafkaBrokerError)
    expect(typed.retriable).toBe(true)
    expect(typed.refreshMetadata).toBe(true)
  })

  it('finds the group coordinator and follows it when it moves', async () => {
    const c = cluster()
    await peer.mock!.setCoordinator('group', 'g-move', 2)
    expect(await firstValueFrom(c.findCoordinator('group', 'g-move'))).toBe(2)
    await peer.mock!.setCoordinator('group', 'g-move', 3)
    expect(await firstValueFrom(c.findCoordinator('group', 'g-move'))).toBe(2) // cached
    c.invalidateCoordinator('group', 'g-move')
    expect(await firstValueFrom(c.findCoordinator('group', 'g-move'))).toBe(3)
  })
})

describe('logging', () => {
  onPeer('mock')

  it('reports failed connects at warn with the broker, and never a secret', async () => {
    const lines: string[] = []
    const c = cluster({
      brokers: ['127.0.0.1:1'],
      logger: consoleLogger('warn', (line) => lines.push(line)),
      sasl: { mechanism: 'PLAIN', username: 'app', password: 'hunter2' },
    })
    await expect(firstValueFrom(c.refreshMetadata())).rejects.toThrow(/no broker answered/)
    expect(lines.some((l) => l.includes('connect failed') && l.includes('broker=127.0.0.1:1'))).toBe(true)
    expect(lines.some((l) => l.includes('metadata refresh failed'))).toBe(true)
    expect(lines.join('\n')).not.toContain('hunter2')
    expect(JSON.stringify(c.diagnostics())).not.toContain('hunter2')
  })
})
