/**
 * KIP-890 part 2 ("transaction version 2") against Apache Kafka 4.4, whose
 * fresh clusters finalize `transaction.version` 2: the connection reports the
 * finalized features, and the transactional producer then sends no
 * AddPartitionsToTxn / AddOffsetsToTxn, writes with Produce v12, commits
 * offsets with TxnOffsetCommit v5 and ends with EndTxn v5, adopting the epoch
 * each EndTxn answers. Requests are counted on a recording transport.
 */
import { firstValueFrom, lastValueFrom, mergeAll, take, takeUntil, tap, timer, toArray } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { BrokerConnection } from '../../lib/connection/broker-connection.js'
import type { BrokerTransport, ConnectTransport, RequestBody } from '../../lib/connection/broker-transport.js'
import { consumePartitions } from '../../lib/consumer/consume-partitions.js'
import { fetchCommittedOffsets } from '../../lib/consumer/offset-requests.js'
import { TransactionFencedError } from '../../lib/errors/index.js'
import { consoleLogger } from '../../lib/logger.js'
import { TransactionManager } from '../../lib/producer/transaction-manager.js'
import type { ApiDefinition } from '../../lib/protocol/api.js'
import { EndTxnApi } from '../../lib/protocol/messages/EndTxn.js'
import { MetadataApi } from '../../lib/protocol/messages/Metadata.js'
import { UpdateFeaturesApi } from '../../lib/protocol/messages/UpdateFeatures.js'
import { startKafkaCluster, type KafkaCluster as KafkaBroker } from '../../lib/testing/apache-kafka.js'
import { startPeer, uniqueName, type Peer } from '../support/peers.js'

let peer: Peer
const clients: KafkaCluster[] = []

beforeAll(async () => {
  peer = await startPeer('kafka')
})
afterAll(async () => {
  for (const c of clients) await c.close()
  await peer?.stop()
})

interface SentRequest {
  api: string
  version: number
  /** The answer's first error code (top level, or of a partition of AddPartitionsToTxn v3-), once answered; 0 for none. */
  errorCode?: number
}

function errorCodeOf(response: unknown): number {
  const r = response as { errorCode?: number; resultsByTopicV3AndBelow?: { resultsByPartition: { partitionErrorCode: number }[] }[] }
  if ((r.errorCode ?? 0) !== 0) return r.errorCode!
  for (const t of r.resultsByTopicV3AndBelow ?? []) for (const p of t.resultsByPartition) if (p.partitionErrorCode !== 0) return p.partitionErrorCode
  return 0
}

/** Real connections that log the name and chosen version of every request they encode. */
function recordingConnect(log: SentRequest[]): ConnectTransport {
  return (address, options) => {
    const inner = new BrokerConnection(address, options)
    const logged = <R>(api: ApiDefinition<R, unknown>, body: RequestBody<R>, entries: SentRequest[]): RequestBody<R> => (version: number) => {
      const entry: SentRequest = { api: api.name, version }
      log.push(entry)
      entries.push(entry)
      return typeof body === 'function' ? (body as (v: number) => R)(version) : body
    }
    const transport: BrokerTransport = {
      address: inner.address,
      get state() {
        return inner.state
      },
      get finalizedFeatures() {
        return inner.finalizedFeatures
      },
      request: (api, body, o) => {
        const entries: SentRequest[] = []
        return inner.request(api, logged(api, body, entries), o).pipe(
          tap((response) => {
            for (const e of entries) e.errorCode = errorCodeOf(response)
          }),
        )
      },
      send: (api, body, o) => inner.send(api, logged(api, body, []), o),
      versionFor: (api, o) => inner.versionFor(api, o),
      getStats: () => inner.getStats(),
      close: () => inner.close(),
    }
    return transport
  }
}

function newClient(log?: SentRequest[]): KafkaCluster {
  const client = new KafkaCluster({
    ...peer.clientConfig,
    clientId: 'transaction-version-spec',
    logger: consoleLogger('silent'),
    ...(log === undefined ? {} : { connect: recordingConnect(log) }),
  })
  clients.push(client)
  return client
}

async function readCommitted(topic: string, expected: number): Promise<string[]> {
  const messages = await lastValueFrom(
    consumePartitions({ client: newClient(), topic, partitions: [0], from: 'earliest', isolationLevel: 'read_committed' }).pipe(
      mergeAll(),
      take(expected + 1),
      takeUntil(timer(4_000)),
      toArray(),
    ),
  )
  return messages.map((m) => m.value!.toString())
}

describe('transaction version 2 (KIP-890 part 2) against Apache Kafka', () => {
  it('the connection reports the finalized features of ApiVersions: transaction.version 2 on a fresh Kafka 4.4', async () => {
    const client = newClient()
    const view = await firstValueFrom(client.refreshMetadata())
    const broker = [...view.brokers.keys()][0]!
    // Known once a connection to that broker (not only the bootstrap one) has negotiated.
    expect(client.finalizedFeatures(broker)).toBeUndefined()
    await firstValueFrom(client.request(broker, MetadataApi, { topics: [] }))
    expect(client.finalizedFeatures(broker)?.get('transaction.version')).toBe(2)
    expect(client.finalizedFeatures(broker)?.get('metadata.version')).toBeGreaterThan(0)
    expect(client.finalizedFeatures(9_999)).toBeUndefined()
  })

  it('commit, abort, commit with offsets: no AddPartitionsToTxn / AddOffsetsToTxn, Produce v12, TxnOffsetCommit v5, EndTxn v5, the epoch bumped by every EndTxn', async () => {
    const topic = uniqueName('tv2')
    await peer.createTopic(topic, 1)
    const groupId = uniqueName('tv2-group')
    const log: SentRequest[] = []
    const client = newClient(log)
    const tm = new TransactionManager(client, { transactionalId: uniqueName('tv2') })

    await tm.begin()
    expect(tm.transactionVersion).toBe(2)
    const first = tm.producer
    await tm.send([{ topic, partition: 0, value: 'c1' }])
    await tm.send([{ topic, partition: 0, value: 'c2' }])
    await tm.commit()
    const afterCommit = tm.producer
    expect(afterCommit.producerId).toBe(first.producerId)
    expect(afterCommit.producerEpoch).toBe(first.producerEpoch + 1)

    await tm.begin()
    await tm.send([{ topic, partition: 0, value: 'a1' }])
    await tm.abort()
    const afterAbort = tm.producer
    expect(afterAbort.producerEpoch).toBe(first.producerEpoch + 2)

    await tm.begin()
    await tm.send([{ topic, partition: 0, value: 'c3' }])
    await tm.sendOffsets({ groupId, generationId: -1, memberId: '', groupInstanceId: null }, [{ topic, partition: 0, offset: 42n }])
    await tm.commit()
    expect(tm.producer.producerEpoch).toBe(first.producerEpoch + 3)
    expect(tm.counts).toEqual({ committed: 2, aborted: 1 })

    // Answered without error: a retried attempt (COORDINATOR_LOAD_IN_PROGRESS, CONCURRENT_TRANSACTIONS) is not counted.
    const count = (api: string): number => log.filter((r) => r.api === api && r.errorCode === 0).length
    const versions = (api: string): number[] => [...new Set(log.filter((r) => r.api === api).map((r) => r.version))]
    expect(count('AddPartitionsToTxn')).toBe(0)
    expect(count('AddOffsetsToTxn')).toBe(0)
    // One InitProducerId: the abort's epoch bump came with its EndTxn.
    expect(count('InitProducerId')).toBe(1)
    expect(count('EndTxn')).toBe(3)
    expect(versions('EndTxn')).toEqual([5])
    expect(versions('Produce')).toEqual([12])
    expect(versions('TxnOffsetCommit')).toEqual([5])

    expect(await readCommitted(topic, 3)).toEqual(['c1', 'c2', 'c3'])
    const coordinator = await firstValueFrom(client.findCoordinator('group', groupId))
    const offsets = await firstValueFrom(fetchCommittedOffsets(client, coordinator, groupId, [{ topic, partitions: [0] }], 10_000))
    expect(offsets.get(`${topic}\u00000`)).toBe(42n)
  })
  it('a commit after someone else aborted this transaction and bumped the epoch (a newer instance, or the timeout) is answered INVALID_TXN_STATE, and is a fence', async () => {
    const topic = uniqueName('tv2-fenced')
    await peer.createTopic(topic, 1)
    const transactionalId = uniqueName('tv2-fenced')
    const log: SentRequest[] = []
    const tm = new TransactionManager(newClient(log), { transactionalId })
    await tm.begin()
    await tm.send([{ topic, partition: 0, value: 'zombie' }])
    // What a newer instance's InitProducerId does to an open transaction: abort it at this epoch, which bumps it.
    const { producerId, producerEpoch } = tm.producer
    const other = newClient()
    const coordinator = await firstValueFrom(other.findCoordinator('transaction', transactionalId))
    const aborted = await firstValueFrom(other.request(coordinator, EndTxnApi, { transactionalId, producerId, producerEpoch, committed: false }, { minVersion: 5, maxVersion: 5 }))
    expect(aborted.errorCode).toBe(0)
    expect(aborted.producerEpoch).toBe(producerEpoch + 1)

    // This producer's commit is at the epoch before the coordinator's: a retry of an EndTxn that was an abort.
    const error = await tm.commit().then(() => undefined, (e: unknown) => e)
    // Retried while the abort's markers are written (CONCURRENT_TRANSACTIONS, 51), then INVALID_TXN_STATE (48).
    const answers = log.filter((r) => r.api === 'EndTxn').map((r) => r.errorCode)
    expect(answers.filter((code) => code !== 51)).toEqual([48])
    expect(error).toBeInstanceOf(TransactionFencedError)
    expect(await readCommitted(topic, 1)).toEqual([])
  })
})

describe('transaction version 1 against an Apache Kafka 4.4 downgraded to transaction.version=1', () => {
  // Its own single node: the shared one must keep the default. Downgrading transaction.version is a safe downgrade.
  let broker: KafkaBroker | undefined
  const own: KafkaCluster[] = []
  afterAll(async () => {
    for (const c of own) await c.close()
    await broker?.stop()
  })

  it('reads transaction.version 1, sends AddPartitionsToTxn and AddOffsetsToTxn, Produce v11, TxnOffsetCommit v4, EndTxn v4, and bumps the epoch by InitProducerId after an abort', async () => {
    broker = await startKafkaCluster({ brokers: 1 })
    const admin = new KafkaCluster({ ...broker.clientConfig, clientId: 'tv1-admin', logger: consoleLogger('silent') })
    own.push(admin)
    const downgrade = await firstValueFrom(admin.request('any', UpdateFeaturesApi, {
      timeoutMs: 30_000,
      featureUpdates: [{ feature: 'transaction.version', maxVersionLevel: 1, upgradeType: 2 }],
    }))
    expect(downgrade.errorCode).toBe(0)
    for (const r of downgrade.results ?? []) expect(r.errorCode).toBe(0)
    const topic = uniqueName('tv1')
    await broker.createTopic(topic, 1)
    const groupId = uniqueName('tv1-group')
    const log: SentRequest[] = []
    const client = new KafkaCluster({ ...broker.clientConfig, clientId: 'tv1-spec', logger: consoleLogger('silent'), connect: recordingConnect(log) })
    own.push(client)
    const tm = new TransactionManager(client, { transactionalId: uniqueName('tv1') })

    await tm.begin()
    expect(tm.transactionVersion).toBe(1)
    const first = tm.producer
    await tm.send([{ topic, partition: 0, value: 'c1' }])
    await tm.commit()
    expect(tm.producer).toEqual(first)
    await tm.begin()
    await tm.send([{ topic, partition: 0, value: 'a1' }])
    await tm.abort()
    await tm.begin()
    expect(tm.producer.producerEpoch).toBe(first.producerEpoch + 1)
    await tm.send([{ topic, partition: 0, value: 'c2' }])
    await tm.sendOffsets({ groupId, generationId: -1, memberId: '', groupInstanceId: null }, [{ topic, partition: 0, offset: 7n }])
    await tm.commit()

    const count = (api: string): number => log.filter((r) => r.api === api && r.errorCode === 0).length
    const versions = (api: string): number[] => [...new Set(log.filter((r) => r.api === api).map((r) => r.version))]
    expect(count('AddPartitionsToTxn')).toBe(3)
    expect(count('AddOffsetsToTxn')).toBe(1)
    expect(count('InitProducerId')).toBe(2)
    expect(versions('Produce')).toEqual([11])
    expect(versions('TxnOffsetCommit')).toEqual([4])
    expect(versions('EndTxn')).toEqual([4])

    const reader = new KafkaCluster({ ...broker.clientConfig, clientId: 'tv1-reader', logger: consoleLogger('silent') })
    own.push(reader)
    const seen = await lastValueFrom(
      consumePartitions({ client: reader, topic, partitions: [0], from: 'earliest', isolationLevel: 'read_committed' }).pipe(mergeAll(), take(3), takeUntil(timer(4_000)), toArray()),
    )
    expect(seen.map((m) => m.value!.toString())).toEqual(['c1', 'c2'])
    const coordinator = await firstValueFrom(client.findCoordinator('group', groupId))
    const offsets = await firstValueFrom(fetchCommittedOffsets(client, coordinator, groupId, [{ topic, partitions: [0] }], 10_000))
    expect(offsets.get(`${topic}\u00000`)).toBe(7n)
  }, 120_000)
})
