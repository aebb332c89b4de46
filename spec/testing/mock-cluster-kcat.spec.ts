import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockCluster } from '../../lib/testing/index.js'
import type { MockCluster } from '../../lib/testing/index.js'
import { kcatMetadata, runKcat } from './mock-helpers.js'

describe('mock cluster with a real librdkafka client (kcat)', () => {
  let cluster: MockCluster

  beforeAll(async () => {
    cluster = await startMockCluster({ brokers: 3, topics: [{ name: 'orders', partitions: 1 }, { name: 'wide', partitions: 5, replicationFactor: 2 }] })
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  it('reports three loopback brokers and a bootstrap list made of them', () => {
    expect(cluster.brokers.map((b) => b.id)).toEqual([1, 2, 3])
    for (const broker of cluster.brokers) {
      expect(broker.host).toBe('127.0.0.1')
      expect(broker.port).toBeGreaterThan(0)
    }
    expect(cluster.bootstrap).toBe(cluster.brokers.map((b) => `${b.host}:${b.port}`).join(','))
  })

  it('gives back exactly the keyed messages kcat produced', async () => {
    const messages = ['k1:first', 'k2:second value', 'k1:third:with:colons', 'k3:{"json":true}']
    const produced = await runKcat(['-P', '-b', cluster.bootstrap, '-t', 'orders', '-K', ':'], `${messages.join('\n')}\n`)
    expect(produced.stderr).toBe('')
    expect(produced.code).toBe(0)

    const consumed = await runKcat(['-C', '-b', cluster.bootstrap, '-t', 'orders', '-e', '-o', 'beginning', '-K', ':', '-q'])
    expect(consumed.code).toBe(0)
    expect(consumed.stdout.split('\n').filter((l) => l !== '')).toEqual(messages)
  })

  it('creates topics with the asked partition count, visible in metadata', async () => {
    const metadata = await kcatMetadata(cluster.bootstrap, 'wide')
    const wide = metadata.topics.find((t) => t.topic === 'wide')
    expect(wide?.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2, 3, 4])
    expect(metadata.brokers.map((b) => b.id).sort()).toEqual([1, 2, 3])
  })

  it('auto-creates an unknown topic with 4 partitions on first produce', async () => {
    const produced = await runKcat(['-P', '-b', cluster.bootstrap, '-t', 'auto-created', '-p', '3'], 'x\n')
    expect(produced.code).toBe(0)
    const metadata = await kcatMetadata(cluster.bootstrap, 'auto-created')
    expect(metadata.topics[0]?.partitions).toHaveLength(4)
  })
})
