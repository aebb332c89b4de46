/**
 * The consumer-protocol member (KIP-848) against a scripted coordinator, in
 * virtual time: what it sends on join, how it reconciles (revoked partitions
 * committed with the member epoch before the heartbeat reports them gone),
 * fencing (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID: no commit, rejoin at epoch
 * 0 with the same member id), the leave heartbeat, the stop (a bounded drain,
 * the retried final commit, a rejection when it fails), and a broker without
 * the API.
 */
import { mergeMap, tap, type Subscription } from 'rxjs'
import { describe, expect, it } from 'vitest'
import type { ConsumerMessage, PartitionStream } from '../../lib/consumer/index.js'
import { consumeGroup } from '../../lib/consume-group.js'
import { KafkaBrokerError, UnsupportedVersionError, type RxKafkaError } from '../../lib/errors/index.js'
import { RecordBatchBuilder } from '../../lib/protocol/records/record-batch-builder.js'
import { ScriptedCluster } from '../support/scripted-cluster.js'

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAA'
const FENCED_MEMBER_EPOCH = 110
const UNKNOWN_MEMBER_ID = 25
const COORDINATOR_NOT_AVAILABLE = 15
const GROUP_AUTHORIZATION_FAILED = 30

interface Coordinator {
  cluster: ScriptedCluster
  /** The partitions the next heartbeat answer assigns (undefined: no change). */
  next: { epoch: number; partitions?: number[]; errorCode?: number }[]
  commits: { epoch: number; memberId: string; partition: number; offset: bigint }[]
}

function coordinator(partitions: number, committed: bigint): Coordinator {
  const cluster = new ScriptedCluster({ topics: { t: Array.from({ length: partitions }, () => 1) }, brokers: [1] })
  const c: Coordinator = { cluster, next: [], commits: [] }
  let epoch = 0
  cluster.handlers.ConsumerGroupHeartbeat = (body: { memberId: string; memberEpoch: number }) => {
    if (body.memberEpoch < 0) return { errorCode: 0, errorMessage: null, memberId: body.memberId, memberEpoch: body.memberEpoch, heartbeatIntervalMs: 0, assignment: null }
    const step = c.next.shift()
    if (step?.errorCode !== undefined) return { errorCode: step.errorCode, errorMessage: 'scripted', memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null }
    if (step !== undefined) epoch = step.epoch
    return {
      errorCode: 0,
      errorMessage: null,
      memberId: body.memberId,
      memberEpoch: epoch,
      heartbeatIntervalMs: 1_000,
      assignment: step?.partitions === undefined ? null : { topicPartitions: [{ topicId: TOPIC_ID, partitions: step.partitions }] },
    }
  }
  cluster.handlers.OffsetFetch = (body: { topics: { name: string; partitionIndexes: number[] }[] }) => ({
    errorCode: 0,
    topics: body.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: committed, metadata: null, errorCode: 0 })) })),
  })
  cluster.handlers.OffsetCommit = (body: { generationIdOrMemberEpoch: number; memberId: string; topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint }[] }[] }) => {
    for (const t of body.topics) for (const p of t.partitions) c.commits.push({ epoch: body.generationIdOrMemberEpoch, memberId: body.memberId, partition: p.partitionIndex, offset: p.committedOffset })
    return { topics: body.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })) })) }
  }
  return c
}

/** A member that fetches nothing (noMessages) and marks progress by hand, so the spec decides what is done. */
function member(c: Coordinator, extra: Partial<Parameters<typeof consumeGroup>[0]> = {}) {
  const group = consumeGroup({ client: c.cluster, groupId: 'g', topics: ['t'], groupProtocol: 'consumer', noMessages: true, commitIntervalMs: 0, rebalanceTimeoutMs: 10_000, ...extra })
  const held = new Map<number, PartitionStream>()
  let fatal: unknown
  const subscription: Subscription = group
    .pipe(mergeMap((p) => {
      held.set(p.partition, p)
      return p.pipe(tap({ complete: () => held.delete(p.partition) }))
    }))
    .subscribe({ error: (e: unknown) => (fatal = e) })
  return { group, held, subscription, fatal: () => fatal }
}

/** Partition 0 of `c` holds `values` from offset 0: Fetch answers them (once asked from below their end), like a broker. */
function withLog(c: Coordinator, values: string[]): void {
  const builder = new RecordBatchBuilder()
  for (const value of values) builder.append({ key: null, value, timestamp: 1_000 })
  const batch = Buffer.from(builder.seal({ transactional: false, producerId: -1n, producerEpoch: -1 }).bytes)
  batch.writeBigInt64BE(0n, 0)
  const end = BigInt(values.length)
  c.cluster.handlers.Fetch = (body: { maxWaitMs: number; topics: { topic: string; partitions: { partition: number; fetchOffset: bigint }[] }[] }) => {
    const responses = body.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        const records = p.partition === 0 && p.fetchOffset < end ? batch : null
        return { partitionIndex: p.partition, errorCode: 0, highWatermark: p.partition === 0 ? end : 0n, lastStableOffset: p.partition === 0 ? end : 0n, abortedTransactions: [], records }
      }),
    }))
    const anything = responses.some((t) => t.partitions.some((p) => p.records !== null))
    return c.cluster.later(anything ? 1 : body.maxWaitMs, { errorCode: 0, sessionId: 0, responses })
  }
}

/** A member that fetches partition 0 of `c` and holds every message it gets, un-done, in `messages`. */
function reader(c: Coordinator) {
  const group = consumeGroup({ client: c.cluster, groupId: 'g', topics: ['t'], groupProtocol: 'consumer', commitIntervalMs: 0, rebalanceTimeoutMs: 10_000 })
  const messages: ConsumerMessage[] = []
  const errors: RxKafkaError[] = []
  let completed = false
  group.errors$.subscribe((e) => errors.push(e))
  group.pipe(mergeMap((p) => p)).subscribe({ next: (msg) => messages.push(msg), complete: () => (completed = true) })
  return { group, messages, errors, completed: () => completed }
}

const heartbeats = (c: Coordinator) => c.cluster.of('ConsumerGroupHeartbeat').map((r) => r.body as { memberId: string; memberEpoch: number; subscribedTopicNames: string[] | null; serverAssignor: string | null; topicPartitions: { partitions: number[] }[] | null; rebalanceTimeoutMs: number; instanceId: string | null })

describe('the consumer-protocol member (scripted coordinator, virtual time)', () => {
  it('joins at epoch 0 with its subscription, its own member id and the assignor; reconciles; revokes with a commit at its epoch before reporting', () => {
    const c = coordinator(4, 10n)
    c.next.push({ epoch: 5, partitions: [0, 1, 2, 3] })
    const m = member(c, { serverAssignor: 'range', groupInstanceId: 'host-1' })
    c.cluster.advance(0)
    const join = heartbeats(c)[0]!
    expect(join).toMatchObject({ memberEpoch: 0, subscribedTopicNames: ['t'], serverAssignor: 'range', topicPartitions: [], rebalanceTimeoutMs: 10_000, instanceId: 'host-1' })
    expect(join.memberId).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect([...m.held.keys()].sort()).toEqual([0, 1, 2, 3])
    // The assignment is acknowledged at once with what it owns, at the new epoch.
    const ack = heartbeats(c)[1]!
    expect(ack.memberEpoch).toBe(5)
    expect(ack.topicPartitions?.[0]?.partitions).toEqual([0, 1, 2, 3])

    // Progress on partition 3, then the coordinator takes 2 and 3 away at epoch 6.
    m.held.get(3)!.markDoneUpTo(17n)
    c.next.push({ epoch: 6, partitions: [0, 1] })
    c.cluster.advance(1_000)
    expect([...m.held.keys()].sort()).toEqual([0, 1])
    expect(c.commits).toEqual([{ epoch: 6, memberId: join.memberId, partition: 3, offset: 17n }])
    // The heartbeat after the commit reports only what is kept; every heartbeat uses the one member id.
    const after = heartbeats(c).at(-1)!
    expect(after.topicPartitions?.[0]?.partitions).toEqual([0, 1])
    expect(new Set(heartbeats(c).map((h) => h.memberId)).size).toBe(1)
    expect(m.group.diagnostics()[0]).toMatchObject({ generationId: 6, state: 'stable', protocol: 'range' })

    m.subscription.unsubscribe()
    c.cluster.advance(10)
    // A static member leaves with epoch -2: the coordinator keeps its assignment for its return.
    expect(heartbeats(c).at(-1)!.memberEpoch).toBe(-2)
    expect(m.fatal()).toBeUndefined()
  })

  it.each([
    ['FENCED_MEMBER_EPOCH', FENCED_MEMBER_EPOCH],
    ['UNKNOWN_MEMBER_ID', UNKNOWN_MEMBER_ID],
  ])('%s: the partitions are lost without a commit and the member rejoins at epoch 0 with the same id', (_name, code) => {
    const c = coordinator(2, 0n)
    c.next.push({ epoch: 3, partitions: [0, 1] })
    const m = member(c)
    c.cluster.advance(0)
    expect(m.held.size).toBe(2)
    m.held.get(0)!.markDoneUpTo(5n)
    c.next.push({ epoch: 3, errorCode: code }, { epoch: 9, partitions: [1] })
    c.cluster.advance(1_000)
    // Fenced: no commit of partition 0 (someone else may own it now); rejoined, it holds what the new assignment says.
    expect(c.commits).toEqual([])
    const rejoin = heartbeats(c).find((h, i) => i > 1 && h.memberEpoch === 0)
    expect(rejoin).toBeDefined()
    expect(rejoin!.topicPartitions).toEqual([])
    expect(rejoin!.memberId).toBe(heartbeats(c)[0]!.memberId)
    expect([...m.held.keys()]).toEqual([1])
    expect(m.group.diagnostics()[0]!.generationId).toBe(9)
    m.subscription.unsubscribe()
    c.cluster.advance(10)
    expect(heartbeats(c).at(-1)!.memberEpoch).toBe(-1)
  })

  it('unsubscribing commits what is done with the member epoch, then leaves with epoch -1', () => {
    const c = coordinator(1, 0n)
    c.next.push({ epoch: 4, partitions: [0] })
    const m = member(c)
    c.cluster.advance(0)
    m.held.get(0)!.markDoneUpTo(42n)
    m.subscription.unsubscribe()
    c.cluster.advance(10)
    expect(c.commits).toEqual([{ epoch: 4, memberId: heartbeats(c)[0]!.memberId, partition: 0, offset: 42n }])
    const names = c.cluster.requests.map((r) => r.api)
    expect(names.lastIndexOf('OffsetCommit')).toBeLessThan(names.lastIndexOf('ConsumerGroupHeartbeat'))
    expect(heartbeats(c).at(-1)!.memberEpoch).toBe(-1)
    expect(c.cluster.pendingTimers()).toBe(0)
  })

  it('stop({ drainTimeoutMs }) waits for the delivered messages to be done, then commits them with the member epoch and leaves', async () => {
    const c = coordinator(1, 0n)
    withLog(c, ['a', 'b', 'c'])
    c.next.push({ epoch: 4, partitions: [0] })
    const m = reader(c)
    c.cluster.advance(10)
    expect(m.messages.map((msg) => msg.offset)).toEqual([0n, 1n, 2n])
    let stopped = false
    const stop = m.group.stop({ drainTimeoutMs: 5_000 }).then(() => (stopped = true))
    c.cluster.advance(2_000)
    // Still draining: nothing committed, still a member (its heartbeats go on), the stream still open.
    expect(c.commits).toEqual([])
    expect(heartbeats(c).map((h) => h.memberEpoch)).not.toContain(-1)
    expect(heartbeats(c).at(-1)!.memberEpoch).toBe(4)
    expect(m.completed()).toBe(false)
    for (const msg of m.messages) msg.done()
    c.cluster.advance(10)
    expect(c.commits).toEqual([{ epoch: 4, memberId: heartbeats(c)[0]!.memberId, partition: 0, offset: 3n }])
    const names = c.cluster.requests.map((r) => r.api)
    expect(names.lastIndexOf('OffsetCommit')).toBeLessThan(names.lastIndexOf('ConsumerGroupHeartbeat'))
    expect(heartbeats(c).at(-1)!.memberEpoch).toBe(-1)
    await stop
    expect(stopped).toBe(true)
    expect(m.completed()).toBe(true)
    expect(c.cluster.pendingTimers()).toBe(0)
  })

  it('stop({ drainTimeoutMs }) gives up waiting after drainTimeoutMs: it commits what is done and leaves', async () => {
    const c = coordinator(1, 0n)
    withLog(c, ['a', 'b', 'c'])
    c.next.push({ epoch: 4, partitions: [0] })
    const m = reader(c)
    c.cluster.advance(10)
    m.messages[0]!.done()
    const stop = m.group.stop({ drainTimeoutMs: 5_000 })
    c.cluster.advance(4_990)
    expect(c.commits).toEqual([])
    c.cluster.advance(20)
    expect(c.commits.map((x) => x.offset)).toEqual([1n])
    expect(heartbeats(c).at(-1)!.memberEpoch).toBe(-1)
    await stop
    expect(m.completed()).toBe(true)
  })

  it('fenced while it drains: it drops its partitions and joins nothing again; the stop still leaves, and rejects (the commit is refused)', async () => {
    const c = coordinator(1, 0n)
    withLog(c, ['a', 'b', 'c'])
    c.next.push({ epoch: 4, partitions: [0] })
    const m = reader(c)
    c.cluster.advance(10)
    expect(m.messages).toHaveLength(3)
    m.messages[0]!.done()
    // The coordinator fences the member at its next heartbeat, and refuses a commit at the old epoch from then on.
    c.next.push({ epoch: 4, errorCode: FENCED_MEMBER_EPOCH })
    c.cluster.handlers.OffsetCommit = (body: { topics: { name: string; partitions: { partitionIndex: number }[] }[] }) => ({
      topics: body.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: FENCED_MEMBER_EPOCH })) })),
    })
    const stop = m.group.stop({ drainTimeoutMs: 5_000 }).then(() => undefined, (e: unknown) => e)
    c.cluster.advance(6_000)
    const failure = await stop
    expect(failure).toBeInstanceOf(KafkaBrokerError)
    expect((failure as KafkaBrokerError).errorCode).toBe(FENCED_MEMBER_EPOCH)
    // No join heartbeat (epoch 0) after the first: the fenced member that is leaving only leaves (epoch -1).
    expect(heartbeats(c).map((h) => h.memberEpoch).filter((e) => e <= 0)).toEqual([0, -1])
    expect(m.completed()).toBe(true)
    expect(c.cluster.pendingTimers()).toBe(0)
  })

  it('the final commit is retried after a coordinator error, at the coordinator looked up again', async () => {
    const c = coordinator(1, 0n)
    c.next.push({ epoch: 4, partitions: [0] })
    const m = member(c)
    const errors: RxKafkaError[] = []
    m.group.errors$.subscribe((e) => errors.push(e))
    c.cluster.advance(0)
    m.held.get(0)!.markDoneUpTo(42n)
    const commit = c.cluster.handlers.OffsetCommit!
    let refused = 0
    c.cluster.handlers.OffsetCommit = (body, version, request) => {
      if (refused++ > 0) return commit(body, version, request)
      return { topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: COORDINATOR_NOT_AVAILABLE }] }] }
    }
    const stop = m.group.stop({ drainTimeoutMs: 5_000 })
    c.cluster.advance(5_000)
    await stop
    expect(c.cluster.of('OffsetCommit')).toHaveLength(2)
    expect(c.commits.map((x) => x.offset)).toEqual([42n])
    // The first refusal is reported as retried; the stop resolves: the commit got through.
    expect(errors.map((e) => (e as KafkaBrokerError).errorCode)).toEqual([COORDINATOR_NOT_AVAILABLE])
    expect(c.cluster.of('FindCoordinator').length).toBeGreaterThan(1)
    expect(heartbeats(c).at(-1)!.memberEpoch).toBe(-1)
  })

  it('a final commit that fails rejects stop() with its error (also on errors$), after the member has left', async () => {
    const c = coordinator(1, 0n)
    c.next.push({ epoch: 4, partitions: [0] })
    const m = member(c)
    const errors: RxKafkaError[] = []
    m.group.errors$.subscribe((e) => errors.push(e))
    c.cluster.advance(0)
    m.held.get(0)!.markDoneUpTo(42n)
    c.cluster.handlers.OffsetCommit = () => ({ topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: GROUP_AUTHORIZATION_FAILED }] }] })
    const stop = m.group.stop()
    c.cluster.advance(10)
    const failure = await stop.then(() => undefined, (e: unknown) => e)
    expect(failure).toBeInstanceOf(KafkaBrokerError)
    expect((failure as KafkaBrokerError).errorCode).toBe(GROUP_AUTHORIZATION_FAILED)
    expect(errors).toContain(failure)
    // Not fatal to the stop: it still left the group, and nothing is left running.
    expect(heartbeats(c).at(-1)!.memberEpoch).toBe(-1)
    expect(m.fatal()).toBeUndefined()
    expect(c.cluster.pendingTimers()).toBe(0)
  })

  it('a broker without ConsumerGroupHeartbeat: the stream errors with UNSUPPORTED_VERSION saying what to do', () => {
    const cluster = new ScriptedCluster({ topics: { t: [1] }, brokers: [1], versions: { ConsumerGroupHeartbeat: -1 } })
    let fatal: unknown
    consumeGroup({ client: cluster, groupId: 'g', topics: ['t'], groupProtocol: 'consumer' }).subscribe({ error: (e: unknown) => (fatal = e) })
    cluster.advance(0)
    expect(fatal).toBeInstanceOf(UnsupportedVersionError)
    expect((fatal as UnsupportedVersionError).code).toBe('UNSUPPORTED_VERSION')
    expect((fatal as Error).message).toMatch(/broker 1\) does not offer the consumer group protocol of KIP-848/)
    expect((fatal as UnsupportedVersionError).hint).toMatch(/groupProtocol: 'classic'/)
  })
})
