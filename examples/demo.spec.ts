/**
 * The `npm start` demo (examples/demo.ts), run against both peers with a smaller burst: every message read back
 * once, no redelivery across the rebalance, the generations it reports, and phase times that add up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKafka, silentLogger, type Kafka } from 'rxkafka'
import { PEERS, startPeer, uniqueName, type Peer } from '../spec/support/peers.js'
import { brokerSettings, runDemo } from './demo.js'

describe.each(PEERS)('the demo against %s', (name) => {
  let peer: Peer
  let kafka: Kafka
  // Longer than npm start's 300 ms, so a loaded machine cannot make member B miss the first generation.
  const initialDelayMs = 1_000

  beforeAll(async () => {
    peer = await startPeer(name)
    if (peer.mock !== undefined) await peer.mock.setGroupInitialRebalanceDelay(initialDelayMs)
    kafka = createKafka({ ...peer.clientConfig, clientId: 'demo-spec', logger: silentLogger })
  })
  afterAll(async () => {
    await kafka?.close()
    await peer?.stop()
  })

  it('reads every message of the burst back once, through a rebalance, and names its pauses', async () => {
    const topic = uniqueName('demo')
    await peer.createTopic(topic, 6)
    const lines: string[] = []
    const started = performance.now()
    const settings = brokerSettings(name === 'mock' ? 'mock' : 'cluster', initialDelayMs)
    const summary = await runDemo(kafka, {
      messages: 20_000,
      latencyMessages: 100,
      topic,
      groupId: uniqueName('demo-group'),
      say: (line) => lines.push(line),
      ...settings,
    })
    const wallMs = performance.now() - started

    expect(summary.produced).toBe(20_000)
    expect(summary.consumed).toBe(20_000)
    // B commits before it leaves and A keeps its own partitions (cooperative): nothing is read twice.
    expect(summary.redelivered).toBe(0)
    if (name === 'mock') expect(summary.firstFullGeneration).toBe(settings.firstGeneration) // both members in the first one
    else expect(summary.firstFullGeneration).toBeGreaterThanOrEqual(settings.firstGeneration)
    expect(summary.takeOverGeneration).toBe(summary.firstFullGeneration + 1)
    expect(summary.phases.map((p) => p.name)).toEqual(['produce', 'join', 'rebalance', 'consume', 'latency'])
    expect(summary.phases.reduce((sum, p) => sum + p.ms, 0)).toBeLessThanOrEqual(wallMs)
    expect(summary.endToEndLatency.p50).toBeGreaterThan(0)
    // Each pause is named before it starts.
    expect(lines.some((l) => l.startsWith('join:') && l.includes(settings.joinPause))).toBe(true)
    expect(lines.some((l) => l.startsWith('rebalance:') && l.includes(settings.rebalancePause))).toBe(true)
    if (name === 'mock') {
      // The mock holds the rebalance open for the session timeout minus 1 s, and no longer than the session.
      expect(summary.rebalanceMs).toBeGreaterThanOrEqual(settings.sessionTimeoutMs! - 1_000 - 50)
      expect(summary.rebalanceMs).toBeLessThan(settings.sessionTimeoutMs! + 1_000)
    }
  })
})
