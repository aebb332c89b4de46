/**
 * startKafkaCluster: a 3-node KRaft cluster (3 controller voters) whose nodes
 * are killed, stopped and started again under a running producer. What the
 * mock cannot do: real leader elections after a broker dies.
 */
import { existsSync } from 'node:fs'
import { lastValueFrom, mergeMap, Observable, take, tap, timeout, toArray } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { consumePartitions } from '../../lib/consumer/index.js'
import { consoleLogger } from '../../lib/logger.js'
import { produceTo, type ProducerMessage, type ProducerResult } from '../../lib/producer/index.js'
import { metadata } from '../../lib/testing/apache-kafka-wire.js'
import { KafkaControlError, startKafkaCluster, type KafkaCluster as RealKafka } from '../../lib/testing/index.js'
import { processExists } from './mock-helpers.js'

describe('startKafkaCluster: options refused before any JVM starts', () => {
  it.each([
    [{ brokers: 0 }, /brokers must be an integer in 1\.\.5/],
    [{ brokers: 2, topics: [{ name: 't', partitions: 1, replicationFactor: 3 }] }, /replication factor of t must be an integer in 1\.\.2/],
    [{ sasl: { users: [{ username: 'a b', password: 'x' }] } }, /SASL user "a b"/],
    [{ heapMb: 16 }, /heapMb must be an integer/],
  ] as const)("%j", async (options, message) => {
    await expect(startKafkaCluster(options)).rejects.toThrow(KafkaControlError)
    await expect(startKafkaCluster(options)).rejects.toThrow(message)
  })
})

describe('a 3-node Kafka cluster', () => {
  let cluster: RealKafka
  const clients: KafkaCluster[] = []
  beforeAll(async () => {
    cluster = await startKafkaCluster({ brokers: 3 })
  }, 180_000)
  afterAll(async () => {
    for (const c of clients) await c.close()
    await cluster?.stop()
  })
  const newClient = (): KafkaCluster => {
    const client = new KafkaCluster({ ...cluster.clientConfig, clientId: 'kafka-cluster-spec', logger: consoleLogger('silent') })
    clients.push(client)
    return client
  }
  const leaderOf = async (topic: string, partition: number): Promise<number> => {
    const node = cluster.nodes.find((n) => n.running)!
    const answer = await metadata(node.host, node.port, [topic])
    return answer.topics[0]!.partitions.find((p) => p.partitionIndex === partition)!.leaderId
  }

  it('every node is a running broker the others list, and createTopic refuses a topic that exists', async () => {
    expect(cluster.nodes.map((n) => n.id)).toEqual([1, 2, 3])
    for (const node of cluster.nodes) {
      expect(node.running).toBe(true)
      expect(processExists(node.pid!)).toBe(true)
      const answer = await metadata(node.host, node.port, [])
      expect(answer.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3])
    }
    await cluster.createTopic('twice', 2, 3)
    const error = await cluster.createTopic('twice', 2, 3).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KafkaControlError)
    expect((error as Error).message).toMatch(/error 36/)
  })

  it('killBroker: the idempotent producer rides out the leader\'s death; every message lands once, in order per partition', async () => {
    const topic = 'failover'
    await cluster.createTopic(topic, 3, 3)
    const victim = await leaderOf(topic, 0)
    const total = 30_000
    let killed: Promise<void> | undefined
    const source = new Observable<ProducerMessage<number>>((subscriber) => {
      let i = 0
      let stopped = false
      const pump = (): void => {
        if (stopped) return
        for (const end = Math.min(total, i + 500); i < end; i++) subscriber.next({ key: `k${i % 30}`, value: String(i), partition: i % 3, metadata: i })
        if (i === 10_000) killed = cluster.killBroker(victim)
        if (i >= total) subscriber.complete()
        else setTimeout(pump, 5)
      }
      pump()
      return () => {
        stopped = true
      }
    })
    const results: ProducerResult<number>[] = await lastValueFrom(source.pipe(
      produceTo<number>(topic, { client: newClient(), lingerMs: 5, retryBackoff: { initialMs: 100, maxMs: 1_000 }, circuitBreaker: false }),
      toArray(),
    ))
    await killed
    expect(cluster.nodes[victim - 1]!.running).toBe(false)
    expect(results.filter((r) => r.error !== undefined)).toEqual([])
    // The attempts that met the dead leader failed and were retried on the new one.
    expect(results.some((r) => r.batch.exchanges.some((e) => e.error !== undefined))).toBe(true)
    expect(await leaderOf(topic, 0)).not.toBe(victim)

    const read = await lastValueFrom(consumePartitions({ client: newClient(), topic, from: 'earliest' }).pipe(
      mergeMap((partition$) => partition$),
      tap((m) => m.done()),
      take(total),
      toArray(),
      timeout(90_000),
    ))
    const values = read.map((m) => Number(m.value!.toString()))
    expect(new Set(values).size).toBe(total)
    for (const p of [0, 1, 2]) {
      const inPartition = read.filter((m) => m.partition === p).map((m) => Number(m.value!.toString()))
      expect(inPartition).toEqual([...inPartition].sort((a, b) => a - b))
      expect(inPartition).toHaveLength(total / 3)
    }
  }, 180_000)

  it('startBroker brings the killed node back; stopBroker and startBroker again, and the cluster lists all three', async () => {
    for (const node of cluster.nodes) if (!node.running) await cluster.startBroker(node.id)
    await cluster.stopBroker(2)
    expect(cluster.nodes[1]!.running).toBe(false)
    await cluster.startBroker(2)
    for (const node of cluster.nodes) {
      const answer = await metadata(node.host, node.port, [])
      expect(answer.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3])
    }
    expect(cluster.logTail(2).length).toBeGreaterThan(0)
  }, 180_000)

  it('stop() kills every node and removes the folders; controls then refuse', async () => {
    const pids = cluster.nodes.map((n) => n.pid!)
    const logDir = cluster.nodes[0]!.logPath
    await cluster.stop()
    for (const pid of pids) expect(processExists(pid)).toBe(false)
    expect(existsSync(logDir)).toBe(false)
    await expect(cluster.createTopic('after', 1)).rejects.toThrow(/stopped/)
    expect(() => cluster.logTail(1)).toThrow(KafkaControlError)
    await cluster.stop()
  })
})
