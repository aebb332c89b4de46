/**
 * Pattern subscription on the classic protocol, in virtual time: the member
 * lists the cluster's topics at start and every `topicRefreshMs`, and a newly
 * matching topic leads to a rejoin whose assignment includes it; a topic the
 * pattern does not match, and internal topics, are never read.
 */
import { describe, expect, it } from 'vitest'
import { map, mergeMap } from 'rxjs'
import { consumeGroup } from '../../lib/consume-group.js'
import { ConsumerOptionError } from '../../lib/errors/index.js'
import { createVirtualCluster } from '../../lib/testing/index.js'
import { resolveGroupOptions } from '../../lib/consumer/consumer-options.js'
import { DEFAULT_ASSIGNORS } from '../../lib/consumer/assignors.js'
import { matchTopics } from '../../lib/consumer/topic-subscription.js'
import { createTestScheduler } from '../testing/virtual-helpers.js'

describe('pattern subscription (classic protocol)', () => {
  it('a matching topic created at 1 000 ms is read after the next refresh (5 000 ms); a non-matching one never is', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ expectObservable }) => {
      const kafka = createVirtualCluster({ topics: [{ name: 're-a-1', partitions: 1 }, { name: 'other', partitions: 1 }] })
      kafka.produceDirect('re-a-1', 0, [{ value: 'a' }])
      kafka.produceDirect('other', 0, [{ value: 'x' }])
      scheduler.schedule(() => {
        kafka.createTopic('re-a-2', 1)
        kafka.createTopic('re-b-1', 1)
        kafka.produceDirect('re-a-2', 0, [{ value: 'b' }])
        kafka.produceDirect('re-b-1', 0, [{ value: 'y' }])
      }, 1_000)
      const group = consumeGroup({ client: kafka, groupId: 'g', topics: /^re-a-/g, topicRefreshMs: 5_000, fromBeginning: true, heartbeatIntervalMs: 1_000 })
      const generations: string[] = []
      group.assignments$.subscribe((e) => generations.push(`${scheduler.now()} gen ${e.generationId}: ${e.assigned.map((t) => `${t.topic}/${t.partitions.join(',')}`).join(' ')}`))
      const values = group.pipe(mergeMap((partition$) => partition$.pipe(map((msg) => (msg.done(), `${msg.topic}:${msg.value}`)))))
      // The refresh at 5 000 ms sees re-a-2, the heartbeat at 6 000 ms rejoins (generations below), and the new
      // generation's fetching reads it at 6 500 ms; re-b-1 and 'other' never appear.
      expectObservable(values, '^ 19999ms !').toBe('x 6499ms y', { x: 're-a-1:a', y: 're-a-2:b' })
      scheduler.schedule(() => {
        expect(generations).toEqual(['0 gen 1: re-a-1/0', '6000 gen 2: re-a-1/0 re-a-2/0'])
      }, 19_000)
    })
  })

  it('names beside a pattern: both are subscribed; internal topics match only by name', () => {
    const listed = [
      { name: '__consumer_offsets', isInternal: true },
      { name: '__private', isInternal: false },
      { name: 'orders-eu', isInternal: false },
      { name: 'refunds', isInternal: false },
      { name: 'audit', isInternal: false },
    ]
    expect(matchTopics(['refunds'], [/orders|_/], listed)).toEqual(['orders-eu', 'refunds'])
    expect(matchTopics(['__private'], [/.*/], listed)).toEqual(['__private', 'audit', 'orders-eu', 'refunds'])
  })

  it("maps RegExps onto the broker's topicRegex under groupProtocol 'consumer', and refuses what would not match alike", () => {
    const client = createVirtualCluster({ topics: [] })
    const resolve = (topics: RegExp | (string | RegExp)[]) => resolveGroupOptions({ client, groupId: 'g', groupProtocol: 'consumer', topics }, DEFAULT_ASSIGNORS)
    const ok = resolve([/^re-a-/, /b$/u])
    expect(ok.topicRegex).toBe('.*(?:^re-a-).*|.*(?:b$).*')
    expect(ok.topics).toEqual([])
    expect(ok.topicPatterns).toEqual([])
    expect(() => resolve([/^re-a-/, 'orders'])).toThrow(ConsumerOptionError)
    expect(() => resolve(/orders/i)).toThrow(/flags \(i\)/)
    expect(() => resolve(/orders(?!-test)/)).toThrow(/lookaround/)
    expect(() => resolve(/(a)\1/)).toThrow(/backreferences/)
    const classic = resolveGroupOptions({ client, groupId: 'g', topics: [/^re-/g, 'orders', 'orders'] }, DEFAULT_ASSIGNORS)
    expect(classic.topics).toEqual(['orders'])
    expect(classic.topicPatterns.map((p) => p.flags)).toEqual([''])
    expect(() => resolveGroupOptions({ client, groupId: 'g', topics: [/x/, ''] }, DEFAULT_ASSIGNORS)).toThrow(ConsumerOptionError)
    expect(() => resolveGroupOptions({ client, groupId: 'g', topics: /x/, topicRefreshMs: -1 }, DEFAULT_ASSIGNORS)).toThrow(ConsumerOptionError)
  })
})
