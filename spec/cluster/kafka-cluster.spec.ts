/**
 * The cluster's own logic in virtual time: KafkaCluster over scripted
 * transports under TestScheduler (every timer the cluster sets runs on the
 * scheduler it is given). Each broker answer takes the time the spec says,
 * so every frame is a millisecond of the cluster's clock.
 */
import { describe, expect, it } from 'vitest'
import { map, NEVER, take } from 'rxjs'
import type { ClusterView } from '../../lib/cluster/cluster-view.js'
import { ConnectionError, KafkaBrokerError, UnknownTopicError } from '../../lib/errors/index.js'
import { ErrorCode } from '../../lib/protocol/error-codes.js'
import { FetchApi } from '../../lib/protocol/messages/Fetch.js'
import { HeartbeatApi } from '../../lib/protocol/messages/Heartbeat.js'
import { JoinGroupApi } from '../../lib/protocol/messages/JoinGroup.js'
import { MetadataApi } from '../../lib/protocol/messages/Metadata.js'
import { ProduceApi } from '../../lib/protocol/messages/Produce.js'
import type { TestScheduler } from 'rxjs/testing'
import { ScriptedCluster, type ScriptedClusterOptions } from '../support/scripted-cluster.js'
import { createTestScheduler, onlyValue, recordEvents, type Event } from '../testing/virtual-helpers.js'

function scripted(scheduler: TestScheduler, options: Partial<ScriptedClusterOptions> = {}): ScriptedCluster {
  return new ScriptedCluster({ scheduler, topics: { orders: [1, 2] }, ...options })
}

const topicsOf = (view: ClusterView): string[] => [...view.topics.keys()].sort()
const errorOf = (events: Event<unknown>[]): unknown => (events.find((e) => 'error' in e) as { error: unknown } | undefined)?.error
const framesOf = (events: Event<unknown>[]): number[] => events.map((e) => e.at)

/** A FindCoordinator answer at the versions the scripted broker speaks (v4: batched keys). */
function coordinatorAnswer(errorCode: number, nodeId = 2) {
  return { throttleTimeMs: 0, coordinators: [{ key: 'g', nodeId, host: `scripted-broker-${nodeId}`, port: 9092, errorCode, errorMessage: null }] }
}

describe('KafkaCluster in virtual time', () => {
  describe('bootstrap', () => {
    it('the first subscriber of metadata$ bootstraps from the first bootstrap broker that answers, and the bootstrap connections are closed once brokers have ids', () => {
      const scheduler = createTestScheduler()
      scheduler.run(({ expectObservable }) => {
        const cluster = scripted(scheduler, { bootstrap: ['scripted-broker-9:9092', 'scripted-broker-2:9092'], answerMs: { Metadata: 5 } })
        expectObservable(cluster.metadata$.pipe(map((v) => [...v.brokers.keys()])), '^ 20ms !').toBe('5ms a', { a: [1, 2, 3] })
        scheduler.schedule(() => {
          // The unknown address failed at once; broker 2 (by its bootstrap address) answered.
          expect(cluster.requests.map((r) => `${r.at} ${r.api} ${r.broker}`)).toEqual(['0 Metadata 2'])
          expect(cluster.diagnostics().connections.map((c) => c.nodeId)).not.toContain(-1)
        }, 10)
      })
    })

    it('fails with a ConnectionError naming every address when no bootstrap broker answers, and remembers the error', () => {
      const scheduler = createTestScheduler()
      scheduler.run(() => {
        const cluster = scripted(scheduler)
        for (const id of [1, 2, 3]) cluster.down.add(id)
        const events = recordEvents(cluster.metadata$, scheduler)
        scheduler.schedule(() => {
          const failure = errorOf(events)
          expect(failure).toBeInstanceOf(ConnectionError)
          expect((failure as Error).message).toMatch(/no broker answered a Metadata request: scripted-broker-1:9092: .*; scripted-broker-2:9092: .*; scripted-broker-3:9092: /)
          expect(cluster.diagnostics().metadata.lastError).toMatch(/no broker answered/)
          expect(cluster.currentView().brokers.size).toBe(0)
        }, 1)
      })
    })
  })

  describe('metadata refresh', () => {
    it('coalesces concurrent refreshes: one request while it covers the topics asked, another for a new topic', () => {
      const scheduler = createTestScheduler()
      scheduler.run(() => {
        const cluster = scripted(scheduler, { topics: { orders: [1], audit: [2] }, answerMs: { Metadata: 10 } })
        const first = recordEvents(cluster.refreshMetadata(['orders']), scheduler)
        let second: Event<ClusterView>[] = []
        let third: Event<ClusterView>[] = []
        let fourth: Event<ClusterView>[] = []
        scheduler.schedule(() => (second = recordEvents(cluster.refreshMetadata(), scheduler)), 3)
        scheduler.schedule(() => (third = recordEvents(cluster.refreshMetadata(['orders']), scheduler)), 5)
        scheduler.schedule(() => (fourth = recordEvents(cluster.refreshMetadata(['audit']), scheduler)), 6)
        scheduler.schedule(() => {
          // The first three share the request made at 0; the fourth asks for orders and audit at 6.
          expect([framesOf(first), framesOf(second), framesOf(third), framesOf(fourth)]).toEqual([[10, 10], [10, 10], [10, 10], [16, 16]])
          expect(topicsOf(onlyValue(third))).toEqual(['orders'])
          expect(topicsOf(onlyValue(fourth))).toEqual(['audit', 'orders'])
          expect(cluster.of('Metadata').map((r) => [r.at, r.body.topics.map((t: { name: string }) => t.name)])).toEqual([
            [0, ['orders']],
            [6, ['orders', 'audit']],
          ])
          expect(cluster.diagnostics().metadata.refreshes).toBe(2)
        }, 20)
      })
    })

    it('refreshes every metadataMaxAgeMs while in use, counted from the first user, and stops when the last one leaves', () => {
      const scheduler = createTestScheduler()
      let cluster: ScriptedCluster | undefined
      scheduler.run(({ cold }) => {
        const c = (cluster = scripted(scheduler, { metadataMaxAgeMs: 1_000 }))
        scheduler.schedule(() => c.use(() => cold('3500ms |')).subscribe(), 200)
        scheduler.schedule(() => c.use(() => cold('1000ms |')).subscribe(), 2_900)
      })
      // Users from 200 to 3900: refreshes at 1200, 2200, 3200; none after (run() ended, so nothing stayed scheduled).
      expect(cluster!.of('Metadata').map((r) => r.at)).toEqual([1_200, 2_200, 3_200])
    })

    it('metadataMaxAgeMs 0 turns the periodic refresh off', () => {
      const scheduler = createTestScheduler()
      let cluster: ScriptedCluster | undefined
      scheduler.run(({ cold }) => {
        const c = (cluster = scripted(scheduler, { metadataMaxAgeMs: 0 }))
        c.use(() => cold('10000ms |')).subscribe()
      })
      expect(cluster!.of('Metadata')).toEqual([])
    })
  })

  describe('coordinator lookup', () => {
    it('asks once and caches; retriable errors are retried after 100, 200, 400 ms; invalidateCoordinator asks again', () => {
      const scheduler = createTestScheduler()
      scheduler.run(() => {
        const cluster = scripted(scheduler)
        const answers = [ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, 0, 0]
        cluster.handlers.FindCoordinator = () => coordinatorAnswer(answers.shift()!)
        const first = recordEvents(cluster.findCoordinator('group', 'g'), scheduler)
        let cached: Event<number>[] = []
        let again: Event<number>[] = []
        scheduler.schedule(() => (cached = recordEvents(cluster.findCoordinator('group', 'g'), scheduler)), 800)
        scheduler.schedule(() => {
          cluster.invalidateCoordinator('group', 'g')
          again = recordEvents(cluster.findCoordinator('group', 'g'), scheduler)
        }, 900)
        scheduler.schedule(() => {
          expect(first.map((e) => e.at)).toEqual([700, 700])
          expect(onlyValue(first)).toBe(2)
          expect(framesOf(cached)).toEqual([800, 800])
          expect(framesOf(again)).toEqual([900, 900])
          expect(cluster.of('FindCoordinator').map((r) => r.at)).toEqual([0, 100, 300, 700, 900])
          expect(cluster.diagnostics().coordinators).toEqual([{ type: 'group', key: 'g', nodeId: 2 }])
        }, 1_000)
      })
    })

    it('fails at once on a non-retriable error, with the broker error', () => {
      const scheduler = createTestScheduler()
      scheduler.run(() => {
        const cluster = scripted(scheduler)
        cluster.handlers.FindCoordinator = () => coordinatorAnswer(ErrorCode.GROUP_AUTHORIZATION_FAILED)
        const events = recordEvents(cluster.findCoordinator('group', 'g'), scheduler)
        scheduler.schedule(() => {
          expect(framesOf(events)).toEqual([0])
          expect(errorOf(events)).toBeInstanceOf(KafkaBrokerError)
          expect((errorOf(events) as KafkaBrokerError).code).toBe('GROUP_AUTHORIZATION_FAILED')
          expect(cluster.of('FindCoordinator')).toHaveLength(1)
        }, 1)
      })
    })

    it('forgets a cached coordinator when a request to that broker fails with a ConnectionError', () => {
      const scheduler = createTestScheduler()
      scheduler.run(() => {
        const cluster = scripted(scheduler)
        cluster.coordinator = 3
        cluster.handlers.Heartbeat = () => ({ throttleTimeMs: 0, errorCode: 0 })
        const found = recordEvents(cluster.findCoordinator('group', 'g'), scheduler)
        let heartbeat: Event<unknown>[] = []
        let after: Event<number>[] = []
        scheduler.schedule(() => {
          cluster.down.add(3)
          heartbeat = recordEvents(cluster.request(3, HeartbeatApi, { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null }), scheduler)
          cluster.coordinator = 1
          cluster.down.delete(3)
          after = recordEvents(cluster.findCoordinator('group', 'g'), scheduler)
        }, 10)
        scheduler.schedule(() => {
          expect(onlyValue(found)).toBe(3)
          expect(errorOf(heartbeat)).toBeInstanceOf(ConnectionError)
          expect(onlyValue(after)).toBe(1)
          expect(cluster.of('FindCoordinator').map((r) => r.at)).toEqual([0, 10])
        }, 20)
      })
    })
  })

  describe('ensureTopics', () => {
    it('retries every 2 x retryBackoffMs until the topic exists with leaders, then emits the view', () => {
      const scheduler = createTestScheduler()
      scheduler.run(() => {
        const cluster = scripted(scheduler, { topics: {} })
        const events = recordEvents(cluster.ensureTopics(['late']), scheduler)
        scheduler.schedule(() => cluster.setLeaders('late', [-1, 2]), 250) // exists, but partition 0 has no leader yet
        scheduler.schedule(() => cluster.setLeaders('late', [1, 2]), 450)
        scheduler.schedule(() => {
          expect(cluster.of('Metadata').map((r) => r.at)).toEqual([0, 200, 400, 600])
          expect(framesOf(events)).toEqual([600, 600])
          expect(onlyValue(events).topics.get('late')!.partitions.map((p) => p.leader)).toEqual([1, 2])
        }, 1_000)
      })
    })

    it('gives up at topicWaitMs with an UnknownTopicError (the last pause is cut to the deadline)', () => {
      const scheduler = createTestScheduler()
      scheduler.run(() => {
        const cluster = scripted(scheduler, { topics: {}, topicWaitMs: 500, retryBackoffMs: 100 })
        const events = recordEvents(cluster.ensureTopics(['ghost']), scheduler)
        scheduler.schedule(() => {
          expect(cluster.of('Metadata').map((r) => r.at)).toEqual([0, 200, 400, 500])
          expect(framesOf(events)).toEqual([500])
          expect(errorOf(events)).toBeInstanceOf(UnknownTopicError)
          expect(errorOf(events)).toMatchObject({ code: 'UNKNOWN_TOPIC', topic: 'ghost' })
        }, 1_000)
      })
    })

    it('retries a Metadata request no broker answered, with backoff, until the brokers are back (start-up outage)', () => {
      const scheduler = createTestScheduler()
      scheduler.run(() => {
        const cluster = scripted(scheduler, { retryBackoffMs: 100 })
        for (const id of [1, 2, 3]) cluster.down.add(id)
        const events = recordEvents(cluster.ensureTopics(['orders']), scheduler)
        scheduler.schedule(() => { for (const id of [1, 2, 3]) cluster.down.delete(id) }, 1_500)
        scheduler.schedule(() => {
          // Backoff 100, 200, 400, 800 (the scripted cluster draws no jitter): asked at 0, 100, 300, 700, then at
          // 1 500, just as the brokers are back: the only answered request.
          expect(cluster.of('Metadata').map((r) => r.at)).toEqual([1_500])
          expect(framesOf(events)).toEqual([1_500, 1_500])
          expect(onlyValue(events).topics.get('orders')!.partitions).toHaveLength(2)
        }, 3_000)
      })
    })

    it("retries a failed Metadata request until the caller's retryUntil, then fails with the last diagnosis", () => {
      const scheduler = createTestScheduler()
      scheduler.run(() => {
        const cluster = scripted(scheduler, { retryBackoffMs: 100 })
        for (const id of [1, 2, 3]) cluster.down.add(id)
        const events = recordEvents(cluster.ensureTopics(['orders'], { retryUntil: 1_000 }), scheduler)
        scheduler.schedule(() => {
          // Asked at 0, 100, 300, 700 and, the last pause cut to the deadline, at 1 000.
          expect(framesOf(events)).toEqual([1_000])
          expect(errorOf(events)).toBeInstanceOf(ConnectionError)
          expect((errorOf(events) as Error).message).toMatch(/no broker answered a Metadata request: scripted-broker-\d:9092: \S/)
        }, 3_000)
      })
    })

    it('requireLeaders false: a topic with a leaderless partition is ready at once', () => {
      const scheduler = createTestScheduler()
      scheduler.run(() => {
        const cluster = scripted(scheduler, { topics: { half: [1, -1] } })
        const events = recordEvents(cluster.ensureTopics(['half'], { requireLeaders: false }), scheduler)
        scheduler.schedule(() => {
          expect(framesOf(events)).toEqual([0, 0])
          expect(cluster.of('Metadata')).toHaveLength(1)
        }, 1_000)
      })
    })

    it('fails at once on a non-retriable topic error, and answers from the known view without a request', () => {
      const scheduler = createTestScheduler()
      scheduler.run(() => {
        const cluster = scripted(scheduler)
        let denied: Event<ClusterView>[] = []
        let known: Event<ClusterView>[] = []
        const ready = recordEvents(cluster.ensureTopics(['orders']), scheduler)
        scheduler.schedule(() => (known = recordEvents(cluster.ensureTopics(['orders']), scheduler)), 10)
        scheduler.schedule(() => {
          cluster.handlers.Metadata = (body: { topics: { name: string }[] }) => ({
            throttleTimeMs: 0, clusterId: 'scripted', controllerId: 1, brokers: [],
            topics: body.topics.map((t) => ({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name: t.name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', isInternal: false, partitions: [], topicAuthorizedOperations: 0 })),
          })
          denied = recordEvents(cluster.ensureTopics(['secret']), scheduler)
        }, 20)
        scheduler.schedule(() => {
          expect(framesOf(ready)).toEqual([0, 0])
          expect(framesOf(known)).toEqual([10, 10])
          expect(framesOf(denied)).toEqual([20])
          expect((errorOf(denied) as KafkaBrokerError).code).toBe('TOPIC_AUTHORIZATION_FAILED')
          expect(cluster.of('Metadata').map((r) => r.at)).toEqual([0, 20])
        }, 30)
      })
    })
  })

  describe('users and teardown', () => {
    it('keeps its connections across back-to-back users, and closes them one tick after the last user left', () => {
      const scheduler = createTestScheduler()
      scheduler.run(() => {
        const cluster = scripted(scheduler, { answerMs: { Metadata: 5 } })
        const connections = (): number => cluster.diagnostics().connections.length
        const seen: string[] = []
        recordEvents(cluster.request('any', MetadataApi, { topics: [] }), scheduler)
        // The first request ends at 5; the next starts in the same frame, before the deferred release.
        scheduler.schedule(() => recordEvents(cluster.request('any', MetadataApi, { topics: [] }), scheduler), 5)
        for (const at of [4, 9, 11]) {
          scheduler.schedule(() => seen.push(`${at}: users ${cluster.users}, connections ${connections()}, requests ${cluster.diagnostics().connections.map((c) => c.requests).join()}`), at)
        }
        scheduler.schedule(() => {
          // At 5 the first user left and the second came in the same tick: one connection served both; it closed at 10, a tick after the second left.
          expect(seen).toEqual(['4: users 1, connections 1, requests 1', '9: users 1, connections 1, requests 2', '11: users 0, connections 0, requests '])
          expect(cluster.of('Metadata').map((r) => r.at)).toEqual([0, 5])
        }, 20)
      })
    })

    it('derives the connection role from the API, keeps a connectionKey apart, and lets an explicit role override', () => {
      const scheduler = createTestScheduler()
      scheduler.run(() => {
        const cluster = scripted(scheduler)
        cluster.refreshMetadata().subscribe() // brokers by id (answered at once)
        cluster.handlers.Produce = () => NEVER
        cluster.handlers.Fetch = () => NEVER
        cluster.handlers.JoinGroup = () => NEVER
        cluster.handlers.Heartbeat = () => NEVER
        const produce = { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [] }
        const fetch = { replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 1024, isolationLevel: 0, topics: [] }
        const join = { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [] }
        const heartbeat = { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null }
        const subs = [
          cluster.request(1, ProduceApi, produce).subscribe(),
          cluster.request(1, FetchApi, fetch).subscribe(),
          cluster.request(1, JoinGroupApi, join, { connectionKey: 'member-a' }).subscribe(),
          cluster.request(1, HeartbeatApi, heartbeat).subscribe(),
          cluster.request(1, MetadataApi, { topics: [] }, { role: 'group', connectionKey: 'member-a' }).subscribe(),
        ]
        expect(cluster.requests.map((r) => `${r.api}/${r.role}`)).toEqual(['Metadata/default', 'Produce/produce', 'Fetch/fetch', 'JoinGroup/group', 'Heartbeat/default', 'Metadata/group'])
        expect(cluster.diagnostics().connections.map((c) => c.role).sort()).toEqual(['default', 'fetch', 'group:member-a', 'produce'])
        for (const s of subs) s.unsubscribe()
      })
    })

    it("an 'any' request skips a broker whose connects are backing off", () => {
      const scheduler = createTestScheduler()
      scheduler.run(() => {
        const cluster = scripted(scheduler, { bootstrap: ['scripted-broker-1:9092', 'scripted-broker-2:9092'] })
        cluster.down.add(1)
        const first = recordEvents(cluster.findCoordinator('group', 'g'), scheduler)
        scheduler.schedule(() => {
          // The first try went to broker 1 and failed; the retry, 100 ms later, went to broker 2.
          expect(onlyValue(first)).toBe(1)
          expect(cluster.of('FindCoordinator').map((r) => `${r.at} ${r.broker}`)).toEqual(['100 2'])
        }, 200)
      })
    })
  })

  describe('close', () => {
    it('fails what is in flight, completes metadata$, and refuses new work with CLOSED', () => {
      const scheduler = createTestScheduler()
      scheduler.run(() => {
        const cluster = scripted(scheduler)
        cluster.handlers.Fetch = () => NEVER
        const views = recordEvents(cluster.metadata$.pipe(take(5)), scheduler)
        const pending = recordEvents(cluster.request(1, FetchApi, { replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 1024, isolationLevel: 0, topics: [] }), scheduler)
        let refused: Event<unknown>[] = []
        scheduler.schedule(() => {
          void cluster.close()
          refused = recordEvents(cluster.refreshMetadata(), scheduler)
        }, 10)
        scheduler.schedule(() => {
          expect(framesOf(pending)).toEqual([10])
          expect(errorOf(pending)).toBeInstanceOf(ConnectionError)
          expect(views.map((e) => ('complete' in e ? `${e.at} complete` : 'error' in e ? `${e.at} error` : `${e.at} view`))).toEqual(['0 view', '10 complete'])
          expect(errorOf(refused)).toMatchObject({ code: 'CLOSED' })
          expect(cluster.diagnostics()).toMatchObject({ closed: true, users: 0, connections: [] })
        }, 20)
      })
    })
  })
})
