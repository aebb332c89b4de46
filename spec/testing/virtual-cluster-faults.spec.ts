import { describe, expect, it } from 'vitest'
import { defer, firstValueFrom, repeat } from 'rxjs'
import { ConnectionError, RequestTimeoutError } from '../../lib/errors/index.js'
import { ErrorCode } from '../../lib/protocol/error-codes.js'
import { FetchApi } from '../../lib/protocol/messages/Fetch.js'
import { ListOffsetsApi } from '../../lib/protocol/messages/ListOffsets.js'
import { MetadataApi } from '../../lib/protocol/messages/Metadata.js'
import { ProduceApi } from '../../lib/protocol/messages/Produce.js'
import { createVirtualCluster, VirtualClusterError, type VirtualCluster } from '../../lib/testing/index.js'
import { batchOf, createTestScheduler, onlyValue, recordEvents } from './virtual-helpers.js'

function produce(cluster: VirtualCluster, broker: number, records: Buffer) {
  return cluster.request(broker, ProduceApi, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] })
}

function fetchAt(cluster: VirtualCluster, broker: number, currentLeaderEpoch: number, maxWaitMs = 0) {
  return cluster.request(
    broker,
    FetchApi,
    { replicaId: -1, maxWaitMs, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic: 't', partitions: [{ partition: 0, currentLeaderEpoch, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] },
    { maxVersion: 12, role: 'fetch' },
  )
}

describe('virtual cluster: injected errors and broker faults', () => {
  it('an injected Produce error answers at partition level, appends nothing, and only for the given count and broker', async () => {
    const cluster = createVirtualCluster({ brokers: 2, topics: [{ name: 't' }] })
    const leader = (await firstValueFrom(cluster.refreshMetadata(['t']))).topics.get('t')!.partitions[0]!.leader
    const other = leader === 1 ? 2 : 1
    cluster.injectError(ProduceApi, ErrorCode.NOT_ENOUGH_REPLICAS, { count: 2, broker: leader })
    cluster.injectError(ListOffsetsApi.apiKey, ErrorCode.LEADER_NOT_AVAILABLE, { broker: other })
    const codes: number[] = []
    for (const value of ['a', 'b', 'c']) {
      const response = await firstValueFrom(produce(cluster, leader, batchOf([value])))
      codes.push(response.responses[0]!.partitionResponses[0]!.errorCode)
    }
    expect(codes).toEqual([ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.NOT_ENOUGH_REPLICAS, 0])
    expect(cluster.readValues('t')).toEqual(['c'])
    // The ListOffsets error is bound to the other broker: the leader answers normally.
    const listAtLeader = await firstValueFrom(
      cluster.request(leader, ListOffsetsApi, { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] }),
    )
    expect(listAtLeader.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, offset: 1n })
    const metadataError = createVirtualCluster({ topics: [{ name: 't' }] })
    metadataError.injectError(MetadataApi, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    const view = await firstValueFrom(metadataError.refreshMetadata(['t']))
    expect(view.topics.get('t')!.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    expect(() => cluster.injectError(99, 1)).toThrow(VirtualClusterError)
    expect(() => cluster.injectError('Produse', 1)).toThrow(/"Produse" is not an API the virtual cluster serves.*use one of Produce, Fetch/)
    cluster.injectError('Produce', ErrorCode.KAFKA_STORAGE_ERROR)
    const byName = await firstValueFrom(produce(cluster, leader, batchOf(['d'])))
    expect(byName.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR)
    expect(() => cluster.injectError(ProduceApi, 0)).toThrow(/non-zero/)
  })

  it('broker down at a chosen frame: the in-flight long poll fails with ConnectionError at that frame, new requests fail, leadership fails over with a new epoch', () => {
    const scheduler = createTestScheduler()
    scheduler.run(() => {
      const cluster = createVirtualCluster({ brokers: 2, topics: [{ name: 't' }] })
      let leader = -1
      let poll: ReturnType<typeof recordEvents<unknown>> = []
      let refused: ReturnType<typeof recordEvents<unknown>> = []
      let afterDown: ReturnType<typeof recordEvents<import('../../lib/cluster/cluster-view.js').ClusterView>> = []
      let fenced: ReturnType<typeof recordEvents<unknown>> = []
      let accepted: ReturnType<typeof recordEvents<unknown>> = []
      scheduler.schedule(() => {
        cluster.refreshMetadata(['t']).subscribe((view) => {
          leader = view.topics.get('t')!.partitions[0]!.leader
          poll = recordEvents(fetchAt(cluster, leader, 0, 1_000), scheduler)
        })
      }, 0)
      scheduler.schedule(() => cluster.brokerDown(leader), 30)
      scheduler.schedule(() => {
        refused = recordEvents(produce(cluster, leader, batchOf(['x'])), scheduler)
        afterDown = recordEvents(cluster.refreshMetadata(['t']), scheduler)
      }, 31)
      scheduler.schedule(() => {
        const successor = afterDown.find((e) => 'next' in e) as { next: import('../../lib/cluster/cluster-view.js').ClusterView }
        const newLeader = successor.next.topics.get('t')!.partitions[0]!.leader
        fenced = recordEvents(fetchAt(cluster, newLeader, 0), scheduler)
        accepted = recordEvents(produce(cluster, newLeader, batchOf(['y'])), scheduler)
      }, 32)
      scheduler.flush()

      expect(poll.map((e) => e.at)).toEqual([30])
      expect((poll[0] as { error: unknown }).error).toBeInstanceOf(ConnectionError)
      expect((refused[0] as { error: unknown }).error).toBeInstanceOf(ConnectionError)
      const view = onlyValue(afterDown)
      expect([...view.brokers.keys()]).toEqual([leader === 1 ? 2 : 1])
      expect(view.topics.get('t')!.partitions[0]).toMatchObject({ leader: leader === 1 ? 2 : 1, leaderEpoch: 1, offlineReplicas: [leader] })
      const fencedPartition = (onlyValue(fenced) as { responses: { partitions: { errorCode: number }[] }[] }).responses[0]!.partitions[0]!
      expect(fencedPartition.errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH)
      expect((onlyValue(accepted) as { responses: { partitionResponses: { errorCode: number }[] }[] }).responses[0]!.partitionResponses[0]!.errorCode).toBe(0)
      expect(cluster.readValues('t')).toEqual(['y'])
    })
  })

  it('brokerUp brings a broker back; moveLeader makes the old leader answer NOT_LEADER_OR_FOLLOWER and wakes its long polls', () => {
    const scheduler = createTestScheduler()
    scheduler.run(() => {
      const cluster = createVirtualCluster({ brokers: 2, topics: [{ name: 't' }] })
      let poll: ReturnType<typeof recordEvents<unknown>> = []
      let views: ReturnType<typeof recordEvents<import('../../lib/cluster/cluster-view.js').ClusterView>> = []
      scheduler.schedule(() => {
        cluster.brokerDown(2)
        cluster.brokerUp(2)
        poll = recordEvents(fetchAt(cluster, 1, -1, 5_000), scheduler)
      }, 0)
      scheduler.schedule(() => cluster.moveLeader('t', 0, 2), 40)
      scheduler.schedule(() => {
        views = recordEvents(cluster.refreshMetadata(['t']), scheduler)
      }, 41)
      scheduler.flush()
      expect(poll.map((e) => e.at)).toEqual([40, 40])
      expect((onlyValue(poll) as { responses: { partitions: { errorCode: number }[] }[] }).responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
      expect(onlyValue(views).topics.get('t')!.partitions[0]).toMatchObject({ leader: 2, leaderEpoch: 1 })
      expect([...onlyValue(views).brokers.keys()]).toEqual([1, 2])
    })
  })

  it('every broker down: metadata refresh and requests to any broker fail with ConnectionError', async () => {
    const cluster = createVirtualCluster({ topics: [{ name: 't' }] })
    cluster.brokerDown(1)
    await expect(firstValueFrom(cluster.refreshMetadata(['t']))).rejects.toBeInstanceOf(ConnectionError)
    await expect(firstValueFrom(cluster.request('any', MetadataApi, { topics: [] }))).rejects.toBeInstanceOf(ConnectionError)
    expect(() => cluster.moveLeader('t', 0, 1)).toThrow(/down/)
    const acksZero = cluster.send(1, ProduceApi, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records: batchOf(['x']) }] }] })
    await expect(firstValueFrom(acksZero)).rejects.toBeInstanceOf(ConnectionError)
  })

  it('a request the broker parks longer than its timeout fails with RequestTimeoutError at the timeout frame', () => {
    const scheduler = createTestScheduler()
    scheduler.run(() => {
      const cluster = createVirtualCluster({ topics: [{ name: 't' }], requestTimeoutMs: 200 })
      const events = recordEvents(fetchAt(cluster, 1, -1, 1_000), scheduler)
      scheduler.flush()
      expect(events.map((e) => e.at)).toEqual([200])
      expect((events[0] as { error: unknown }).error).toBeInstanceOf(RequestTimeoutError)
    })
  })

  it('close() fails what is in flight and refuses new requests with a typed error', async () => {
    const cluster = createVirtualCluster({ topics: [{ name: 't' }] })
    const pending = firstValueFrom(fetchAt(cluster, 1, -1, 60_000))
    await cluster.close()
    await expect(pending).rejects.toBeInstanceOf(ConnectionError)
    await expect(firstValueFrom(cluster.request(1, MetadataApi, { topics: [] }))).rejects.toMatchObject({ code: 'CLOSED' })
  })

  it('a client retrying without pause stops the test with a VirtualClusterError instead of spinning forever', () => {
    const scheduler = createTestScheduler()
    expect(() =>
      scheduler.run(() => {
        const cluster = createVirtualCluster({ topics: [{ name: 't' }], maxRequestsPerFrame: 500 })
        defer(() => cluster.request(1, MetadataApi, { topics: [] }))
          .pipe(repeat())
          .subscribe()
      }),
    ).toThrow(/more than 500 requests at time 0 without the clock moving.*retries without a pause/)
  })

  it('an app never unsubscribed stops the test after maxVirtualTimeMs of virtual time instead of spinning forever', () => {
    const scheduler = createTestScheduler()
    expect(() =>
      scheduler.run(() => {
        const cluster = createVirtualCluster({ topics: [{ name: 't' }], maxVirtualTimeMs: 60_000 })
        // A long poll that is renewed for ever, as a consumer's fetch loop is.
        defer(() => fetchAt(cluster, 1, -1, 500))
          .pipe(repeat())
          .subscribe()
      }),
    ).toThrow(/still serving requests 60500 ms of virtual time after it started/)
  })
})
