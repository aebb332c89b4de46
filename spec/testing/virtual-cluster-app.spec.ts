/**
 * A whole small app — consumeGroup -> transform -> produceTo — on the virtual
 * cluster, in virtual time: every output frame below follows from the app's
 * settings (heartbeat 1 000 ms, fetch backoff 100 ms, producer retry backoff
 * 100 ms with 20% jitter drawn as 0.5) and the scripted events, and is the
 * same on every run.
 */
import { describe, expect, it } from 'vitest'
import { map, merge, mergeMap, switchMap, takeUntil, timer, type Observable } from 'rxjs'
import { ErrorCode } from '../../lib/protocol/error-codes.js'
import { ProduceApi } from '../../lib/protocol/messages/Produce.js'
import type { ClusterClient } from '../../lib/cluster/cluster-client.js'
import { consumeGroup } from '../../lib/consume-group.js'
import { produceTo } from '../../lib/producer/index.js'
import { createVirtualCluster, type VirtualCluster } from '../../lib/testing/index.js'
import { createTestScheduler } from './virtual-helpers.js'

const GROUP = 'upper'

/** The app under test: upper-cases every order into `shouted`, marks it done once written, and reports `member:order@offset in shouted`. */
function shout(client: ClusterClient, member: string, groupInstanceId?: string): Observable<string> {
  return consumeGroup({
    client,
    groupId: GROUP,
    topics: ['orders'],
    fromBeginning: true,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 1_000,
    ...(groupInstanceId === undefined ? {} : { groupInstanceId }),
  }).pipe(
    mergeMap((partition$) => partition$.pipe(map((msg) => ({ key: msg.key, value: msg.value!.toString().toUpperCase(), metadata: msg })))),
    produceTo('shouted', { client, lingerMs: 0, random: () => 0.5 }),
    map((result) => {
      result.metadata!.done()
      return `${member}:${String(result.metadata!.value)}@${result.offset}`
    }),
  )
}

/**
 * Two brokers. Leaders are spread round-robin per topic: orders/0 on broker 1,
 * orders/1 on broker 2, shouted/0 on broker 2. Group "upper" is coordinated by
 * broker 1 (Java hash of the id, modulo 50 offsets partitions, over 2 brokers).
 */
function cluster(): VirtualCluster {
  return createVirtualCluster({ brokers: 2, topics: [{ name: 'orders', partitions: 2 }, { name: 'shouted', partitions: 1 }] })
}

describe('virtual cluster: a consume -> transform -> produce app in virtual time', () => {
  it('broker 2 fails at frame 6000 and a Produce is refused at frame 8000: the app fails over and retries, nothing is lost or doubled', () => {
    const scheduler = createTestScheduler()
    let kafka: VirtualCluster | undefined
    scheduler.run(({ expectObservable }) => {
      const k = (kafka = cluster())
      k.produceDirect('orders', 0, [{ value: 'a' }])
      k.produceDirect('orders', 1, [{ value: 'b' }])
      scheduler.schedule(() => k.produceDirect('orders', 1, [{ value: 'c' }]), 5_000)
      scheduler.schedule(() => k.brokerDown(2), 6_000)
      scheduler.schedule(() => k.produceDirect('orders', 1, [{ value: 'd' }]), 7_000)
      scheduler.schedule(() => {
        k.injectError(ProduceApi, ErrorCode.NOT_ENOUGH_REPLICAS)
        k.produceDirect('orders', 0, [{ value: 'e' }])
      }, 8_000)

      // 0: both waiting records go out at once (latency 0: round trips cost no time).
      // 5000: c is written in the frame it arrives (the fetch was long-polling).
      // 6000: the long poll at broker 2 fails; the consumer refreshes metadata after its
      //   100 ms backoff and fetches orders/1 from broker 1, its new leader.
      // 7000: d is written to shouted/0 at broker 1: the shared client already knows the move.
      // 8000: the Produce carrying e is refused (retriable); the producer retries after
      //   100 ms minus 20% jitter drawn at 0.5 = 90 ms.
      expectObservable(shout(k, 'A'), '^ 9999ms !').toBe('(xy) 4996ms z 1999ms w 999ms - 89ms v', {
        x: 'A:a@0',
        y: 'A:b@1',
        z: 'A:c@2',
        w: 'A:d@3',
        v: 'A:e@4',
      })
    })
    expect(kafka!.readValues('shouted')).toEqual(['A', 'B', 'C', 'D', 'E'])
    expect(kafka!.requests().filter((r) => r.api === 'Produce').map((r) => `${r.at} broker ${r.broker}`)).toEqual([
      '0 broker 2',
      '5000 broker 2',
      '7000 broker 1',
      '8000 broker 1',
      '8090 broker 1',
    ])
    // Unsubscribing at 9999 committed what was done and left the group.
    expect(kafka!.committedOffsets(GROUP).map((c) => [c.partition, c.offset])).toEqual([
      [0, 2n],
      [1, 3n],
    ])
    expect(kafka!.groupState(GROUP)).toMatchObject({ state: 'Empty', members: [] })
  })

  it('a second member joins at frame 2500 (rebalance) and broker 2 fails at frame 6000: outputs, offsets and commits are exact', () => {
    const scheduler = createTestScheduler()
    let cluster2: VirtualCluster | undefined
    scheduler.run(({ expectObservable }) => {
      const kafka = (cluster2 = cluster())
      kafka.produceDirect('orders', 0, [{ value: 'a' }])
      kafka.produceDirect('orders', 1, [{ value: 'b' }])
      scheduler.schedule(() => {
        kafka.produceDirect('orders', 0, [{ value: 'c' }])
        kafka.produceDirect('orders', 1, [{ value: 'd' }])
      }, 5_000)
      scheduler.schedule(() => kafka.brokerDown(2), 6_000)
      scheduler.schedule(() => {
        kafka.produceDirect('orders', 0, [{ value: 'e' }])
        kafka.produceDirect('orders', 1, [{ value: 'f' }])
      }, 7_000)
      const assignments: string[] = []
      scheduler.schedule(() => {
        const state = kafka.groupState(GROUP)!
        assignments.push(`${state.state} generation ${state.generationId}`, ...state.members.map((m) => `${m.clientId} ${JSON.stringify(m.assigned)}`))
      }, 4_000)

      const memberA = shout(kafka, 'A')
      const memberB = timer(2_500, scheduler).pipe(switchMap(() => shout(kafka.client('b'), 'B')))
      // 0: A alone has both partitions.
      // 2500: B joins; its JoinGroup waits until A's next heartbeat (3000) answers
      //   REBALANCE_IN_PROGRESS, A commits and rejoins: generation 2 at 3000. The range
      //   assignor sorts member ids, so B ("b-2") gets orders/0 and A ("rxkafka-1") orders/1.
      // 5000: d (A) is written before c (B), whose producer first has to fetch metadata and
      //   a producer id.
      // 7000: f goes straight to broker 1 (A's client refreshed metadata when its fetch from
      //   broker 2 failed); B's producer still points at broker 2, whose failure refreshes its
      //   metadata: the new leader is named, so e goes there at once, without waiting its backoff.
      expectObservable(merge(memberA, memberB), '^ 9999ms !').toBe('(xy) 4996ms (zw) 1996ms (uv)', {
        x: 'A:a@0',
        y: 'A:b@1',
        z: 'A:d@2',
        w: 'B:c@3',
        u: 'A:f@4',
        v: 'B:e@5',
      })
      scheduler.schedule(() => {
        expect(assignments).toEqual(['Stable generation 2', 'b [{"topic":"orders","partitions":[0]}]', 'rxkafka [{"topic":"orders","partitions":[1]}]'])
        expect(kafka.readValues('shouted')).toEqual(['A', 'B', 'D', 'C', 'F', 'E'])
      }, 9_998)
    })
    // After the unsubscribe at 9999 both members committed what they had done and left.
    expect(cluster2!.committedOffsets(GROUP).map((c) => [c.partition, c.offset])).toEqual([
      [0, 3n],
      [1, 3n],
    ])
    expect(cluster2!.groupState(GROUP)).toMatchObject({ state: 'Empty', members: [] })
  })

  it('a static member restarts between frames 5000 and 6000: it gets its partition back in the same generation, the other member is not disturbed', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ expectObservable }) => {
      const kafka = createVirtualCluster({ topics: [{ name: 'orders', partitions: 2 }, { name: 'shouted', partitions: 1 }] })
      kafka.produceDirect('orders', 0, [{ value: 'a' }])
      kafka.produceDirect('orders', 1, [{ value: 'b' }])
      scheduler.schedule(() => {
        kafka.produceDirect('orders', 0, [{ value: 'c' }])
        kafka.produceDirect('orders', 1, [{ value: 'd' }])
      }, 6_500)
      const states: string[] = []
      for (const frame of [4_000, 7_000]) {
        scheduler.schedule(() => {
          const group = kafka.groupState(GROUP)!
          states.push(`${group.state} ${group.generationId} ${group.members.map((m) => `${m.memberId}=${m.assigned![0]!.partitions.join(',')}`).join(' ')}`)
        }, frame)
      }
      // A (static, instance "instance-a") runs until 5000 and is restarted at 6000 as A2;
      // B (dynamic) joins at 1000: generation 2 at A's heartbeat at 2000, A gets orders/0, B orders/1.
      const a = shout(kafka.client('a'), 'A', 'instance-a').pipe(takeUntil(timer(5_000, scheduler)))
      const a2 = timer(6_000, scheduler).pipe(switchMap(() => shout(kafka.client('a2'), 'A2', 'instance-a')))
      const b = timer(1_000, scheduler).pipe(switchMap(() => shout(kafka.client('b'), 'B')))
      // 6500: both partitions are being read again, by A2 and by B, with no rebalance in between.
      expectObservable(merge(a, a2, b), '^ 9999ms !').toBe('(xy) 6496ms (zw)', {
        x: 'A:a@0',
        y: 'A:b@1',
        z: 'A2:c@2',
        w: 'B:d@3',
      })
      scheduler.schedule(() => {
        // A left no LeaveGroup (static members do not); A2 took over its place under a new member id.
        expect(states).toEqual(['Stable 2 a-1=0 b-2=1', 'Stable 2 a2-3=0 b-2=1'])
        expect(kafka.requests().filter((r) => r.api === 'JoinGroup' && r.at > 2_000).map((r) => `${r.at} ${r.clientId}`)).toEqual(['6000 a2'])
      }, 9_000)
    })
  })
})
