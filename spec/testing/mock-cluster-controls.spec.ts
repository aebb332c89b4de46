import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  MockClusterArgumentError,
  MockClusterControlError,
  fetchApiVersions,
  startMockCluster,
} from '../../lib/testing/index.js'
import type { MockBroker, MockCluster } from '../../lib/testing/index.js'
import { findCoordinatorV0, kcatMetadata, metadataV0, runKcat, tcpConnect } from './mock-helpers.js'

const PRODUCE = 0
const METADATA = 3
const API_VERSIONS = 18
const REQUEST_TIMED_OUT = 7
const COORDINATOR_LOAD_IN_PROGRESS = 14
const MESSAGE_TOO_LARGE = 10
const LEADER_NOT_AVAILABLE = 5

describe('mock cluster controls', () => {
  let cluster: MockCluster
  let broker: (id: number) => MockBroker

  beforeAll(async () => {
    cluster = await startMockCluster({ brokers: 3 })
    broker = (id) => {
      const found = cluster.brokers.find((b) => b.id === id)
      if (found === undefined) throw new Error(`no broker ${id}`)
      return found
    }
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  it('brokerDown refuses TCP connections to that broker only, brokerUp accepts them again', async () => {
    const two = broker(2)
    expect(await tcpConnect(two.host, two.port)).toBe('accepted')
    await cluster.brokerDown(2)
    expect(await tcpConnect(two.host, two.port)).toBe('refused')
    expect(await tcpConnect(broker(1).host, broker(1).port)).toBe('accepted')
    await cluster.brokerUp(2)
    expect(await tcpConnect(two.host, two.port)).toBe('accepted')
  })

  it('setPartitionLeader moves the leader seen in metadata', async () => {
    await cluster.createTopic('leader-moves', 2, 3)
    const before = await kcatMetadata(cluster.bootstrap, 'leader-moves')
    const oldLeader = before.topics[0]?.partitions.find((p) => p.partition === 1)?.leader
    expect([1, 2, 3]).toContain(oldLeader)
    const newLeader = oldLeader === 3 ? 1 : 3
    await cluster.setPartitionLeader('leader-moves', 1, newLeader)
    const after = await kcatMetadata(cluster.bootstrap, 'leader-moves')
    expect(after.topics[0]?.partitions.find((p) => p.partition === 1)?.leader).toBe(newLeader)
  })

  it('pushLeaderResponse answers the next Metadata request with the pushed leader, then the real one', async () => {
    await cluster.createTopic('pushed-leader', 1, 3)
    const one = broker(1)
    const [real] = await metadataV0(one.host, one.port, ['pushed-leader'])
    const realLeader = real?.leaders[0]
    const pushed = realLeader === 2 ? 3 : 2
    await cluster.pushLeaderResponse('pushed-leader', 0, pushed, 7)
    expect((await metadataV0(one.host, one.port, ['pushed-leader']))[0]?.leaders[0]).toBe(pushed)
    expect((await metadataV0(one.host, one.port, ['pushed-leader']))[0]?.leaders[0]).toBe(realLeader)
  })

  it('pushRequestErrors fails the next requests of that API in order, on any broker', async () => {
    await cluster.pushRequestErrors(API_VERSIONS, [REQUEST_TIMED_OUT, COORDINATOR_LOAD_IN_PROGRESS])
    const [a, b, c] = [broker(1), broker(3), broker(1)]
    expect((await fetchApiVersions(a.host, a.port)).errorCode).toBe(REQUEST_TIMED_OUT)
    expect((await fetchApiVersions(b.host, b.port)).errorCode).toBe(COORDINATOR_LOAD_IN_PROGRESS)
    expect((await fetchApiVersions(c.host, c.port)).errorCode).toBe(0)
  })

  it('a pushed Produce error reaches a real client: kcat reports the delivery failure', async () => {
    await cluster.createTopic('produce-fails', 1, 1)
    await cluster.pushRequestErrors(PRODUCE, [MESSAGE_TOO_LARGE])
    const failed = await runKcat(['-P', '-b', cluster.bootstrap, '-t', 'produce-fails'], 'doomed\n')
    expect(failed.code).not.toBe(0)
    expect(failed.stderr).toContain('Message size too large')
    const delivered = await runKcat(['-P', '-b', cluster.bootstrap, '-t', 'produce-fails'], 'fine\n')
    expect(delivered.code).toBe(0)
  })

  it('clearRequestErrors drops errors that were pushed but not yet used', async () => {
    await cluster.pushRequestErrors(API_VERSIONS, [REQUEST_TIMED_OUT])
    await cluster.clearRequestErrors(API_VERSIONS)
    expect((await fetchApiVersions(broker(1).host, broker(1).port)).errorCode).toBe(0)
  })

  it('pushBrokerRequestErrors hits only that broker, in order, and delays the answer by rttMs', async () => {
    await cluster.pushBrokerRequestErrors(2, API_VERSIONS, [{ code: REQUEST_TIMED_OUT, rttMs: 700 }, { code: 0, rttMs: 0 }])
    expect(await cluster.brokerRequestErrorsLeft(2, API_VERSIONS)).toBe(2)
    expect((await fetchApiVersions(broker(1).host, broker(1).port)).errorCode).toBe(0)
    expect(await cluster.brokerRequestErrorsLeft(2, API_VERSIONS)).toBe(2)
    const started = performance.now()
    expect((await fetchApiVersions(broker(2).host, broker(2).port)).errorCode).toBe(REQUEST_TIMED_OUT)
    // A lower bound only: the injected delay is a floor, a loaded machine can only add to it.
    expect(performance.now() - started).toBeGreaterThanOrEqual(690)
    expect(await cluster.brokerRequestErrorsLeft(2, API_VERSIONS)).toBe(1)
    expect((await fetchApiVersions(broker(2).host, broker(2).port)).errorCode).toBe(0)
    expect(await cluster.brokerRequestErrorsLeft(2, API_VERSIONS)).toBe(0)
  })

  it('setBrokerRtt delays every answer of that broker', async () => {
    await cluster.setBrokerRtt(3, 800)
    try {
      const three = broker(3)
      for (let i = 0; i < 2; i++) {
        const started = performance.now()
        expect((await fetchApiVersions(three.host, three.port)).errorCode).toBe(0)
        expect(performance.now() - started).toBeGreaterThanOrEqual(790)
      }
    } finally {
      await cluster.setBrokerRtt(3, 0)
    }
  })

  it('setCoordinator makes FindCoordinator name the chosen broker', async () => {
    const one = broker(1)
    for (const target of [3, 2]) {
      await cluster.setCoordinator('group', 'billing group', target)
      const answer = await findCoordinatorV0(one.host, one.port, 'billing group')
      expect(answer).toEqual({ errorCode: 0, nodeId: target, host: broker(target).host, port: broker(target).port })
    }
  })

  it('setTopicError makes Metadata report that error for the topic', async () => {
    await cluster.createTopic('broken-topic', 1, 1)
    await cluster.setTopicError('broken-topic', LEADER_NOT_AVAILABLE)
    const [topic] = await metadataV0(broker(1).host, broker(1).port, ['broken-topic'])
    expect(topic?.errorCode).toBe(LEADER_NOT_AVAILABLE)
    await cluster.setTopicError('broken-topic', 0)
    expect((await metadataV0(broker(1).host, broker(1).port, ['broken-topic']))[0]?.errorCode).toBe(0)
  })

  it('setApiVersion changes the range ApiVersions advertises, and (-1, -1) removes the API', async () => {
    const implemented = cluster.implementedApiVersions.find((v) => v.apiKey === METADATA)
    expect(implemented?.maxVersion).toBeGreaterThanOrEqual(4)
    await cluster.setApiVersion(METADATA, 1, 4)
    for (const b of cluster.brokers) {
      expect((await cluster.apiVersions(b.id)).find((v) => v.apiKey === METADATA)).toEqual({ apiKey: METADATA, minVersion: 1, maxVersion: 4 })
    }
    await cluster.setApiVersion(METADATA, -1, -1)
    expect((await cluster.apiVersions()).some((v) => v.apiKey === METADATA)).toBe(false)
    await cluster.setApiVersion(METADATA, implemented?.minVersion ?? 0, implemented?.maxVersion ?? 0)
    expect((await cluster.apiVersions()).find((v) => v.apiKey === METADATA)).toEqual(implemented)
  })

  it('setApiVersion refuses a version beyond what the mock implements', async () => {
    const implemented = cluster.implementedApiVersions.find((v) => v.apiKey === PRODUCE)
    const error = await cluster.setApiVersion(PRODUCE, 0, (implemented?.maxVersion ?? 0) + 1).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MockClusterArgumentError)
    expect(String(error)).toContain('maxVersion')
    expect(await cluster.setApiVersion(45, 0, 0).catch((e: unknown) => e)).toBeInstanceOf(MockClusterArgumentError)
  })

  it('request tracking lists what kcat sent (API keys and brokers) only while on', async () => {
    await cluster.clearRequests()
    await runKcat(['-L', '-b', cluster.bootstrap])
    expect(await cluster.requests()).toEqual([])

    await cluster.startRequestTracking()
    try {
      await runKcat(['-L', '-b', cluster.bootstrap, '-t', 'tracked'])
      const seen = await cluster.requests()
      const keys = new Set(seen.map((r) => r.apiKey))
      expect(keys).toContain(API_VERSIONS)
      expect(keys).toContain(METADATA)
      for (const request of seen) expect([1, 2, 3]).toContain(request.brokerId)
      const times = seen.map((r) => r.timestampUs)
      expect([...times].sort((a, b) => a - b)).toEqual(times)
    } finally {
      await cluster.stopRequestTracking()
    }
    const recorded = (await cluster.requests()).length
    await runKcat(['-L', '-b', cluster.bootstrap])
    expect(await cluster.requests()).toHaveLength(recorded)
    await cluster.clearRequests()
    expect(await cluster.requests()).toEqual([])
  })

  it('rejects with MockClusterControlError when the mock refuses a control', async () => {
    await cluster.createTopic('twice', 2, 1)
    const duplicate = await cluster.createTopic('twice', 2, 1).catch((e: unknown) => e)
    expect(duplicate).toBeInstanceOf(MockClusterControlError)
    expect((duplicate as MockClusterControlError).mockError).toBe('TOPIC_ALREADY_EXISTS')
    expect((duplicate as MockClusterControlError).control).toBe('createTopic')

    const outOfRange = await cluster.setPartitionLeader('twice', 5, 1).catch((e: unknown) => e)
    expect(outOfRange).toBeInstanceOf(MockClusterControlError)
    expect((outOfRange as MockClusterControlError).mockError).toBe('UNKNOWN_TOPIC_OR_PART')
  })

  it('rejects with MockClusterArgumentError before sending a control that cannot be right', async () => {
    for (const attempt of [
      () => cluster.brokerDown(9),
      () => cluster.createTopic('zero', 0),
      () => cluster.createTopic('too-replicated', 1, 4),
      () => cluster.createTopic('', 1),
      () => cluster.setBrokerRtt(1, -5),
      () => cluster.pushRequestErrors(PRODUCE, []),
      () => cluster.pushBrokerRequestErrors(7, PRODUCE, [{ code: 6 }]),
      () => cluster.setPartitionLeader('t', 1.5, 1),
    ]) {
      await expect(attempt()).rejects.toBeInstanceOf(MockClusterArgumentError)
    }
    // The cluster still answers after refused arguments.
    expect(await cluster.requests()).toEqual([])
  })
})
