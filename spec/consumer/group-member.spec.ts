/**
 * The group member's state machine against a scripted cluster, in virtual
 * time: the KIP-394 join dance, heartbeats on their own timer, rebalance and
 * fencing, commits of the done prefix, LeaveGroup and a clean teardown, plus
 * what the fetch loop does with transactions, control batches and old data.
 */
import { mergeMap, retry, tap, type Subscription } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { ConsumerGroup, consumePartitions, consumerGroupDiagnostics, type ConsumerMessage, type ConsumeGroupOptions } from '../../lib/consumer/index.js'
import { consumeGroup } from '../../lib/consume-group.js'
import { KafkaBrokerError, ConsumerOptionError } from '../../lib/errors/index.js'
import { buildControlBatch } from '../../lib/protocol/records/record-batch-builder.js'
import { encodeAssignment } from '../../lib/consumer/group-payloads.js'
import { ScriptedCluster } from '../support/scripted-cluster.js'
import { RecordBatchBuilder } from '../../lib/protocol/records/record-batch-builder.js'

/** One broker (id 1) leading every partition of topic `t`; it is also the group's coordinator. Time is a VirtualTimeScheduler the specs step by hand. */
function oneBroker(partitions: number): ScriptedCluster {
  return new ScriptedCluster({ topics: { t: Array.from({ length: partitions }, () => 1) }, brokers: [1] })
}

/** A v2 record batch whose first record has offset `baseOffset`. */
function batchBytes(baseOffset: bigint, values: string[], options: { timestamp?: number; transactional?: boolean; producerId?: bigint } = {}): Buffer {
  const builder = new RecordBatchBuilder()
  for (const value of values) builder.append({ key: null, value, timestamp: options.timestamp ?? 1_000 })
  const sealed = builder.seal({ transactional: options.transactional ?? false, producerId: options.producerId ?? -1n, producerEpoch: options.producerId === undefined ? -1 : 0 })
  const bytes = Buffer.from(sealed.bytes)
  // The base offset is outside the CRC: a broker stamps it on append, and so do we.
  bytes.writeBigInt64BE(baseOffset, 0)
  return bytes
}

const MEMBER_ID_REQUIRED = 79
const ILLEGAL_GENERATION = 22
const REBALANCE_IN_PROGRESS = 27
const GROUP_AUTHORIZATION_FAILED = 30

interface Script {
  /** Records per partition the fake broker holds, as batches. */
  log: Map<number, Buffer[]>
  highWatermark: Map<number, bigint>
  generation: number
  heartbeatErrors: number[]
  /** Aborted transactions per partition. */
  aborted: Map<number, { producerId: bigint; firstOffset: bigint }[]>
}

/** A fake cluster that behaves like a one-member group coordinator and a broker holding `script.log`. */
function groupCluster(partitions: number, script: Partial<Script> = {}): { cluster: ScriptedCluster; s: Script } {
  const cluster = oneBroker(partitions)
  const s: Script = { log: new Map(), highWatermark: new Map(), generation: 0, heartbeatErrors: [], aborted: new Map(), ...script }
  let joins = 0
  cluster.handlers.JoinGroup = (body: { memberId: string; protocols: { name: string; metadata: Buffer }[] }) => {
    joins++
    if (body.memberId === '') return { errorCode: MEMBER_ID_REQUIRED, generationId: -1, protocolName: '', leader: '', memberId: `member-${joins}`, members: [] }
    s.generation++
    return {
      errorCode: 0,
      generationId: s.generation,
      protocolName: body.protocols[0]!.name,
      leader: body.memberId,
      memberId: body.memberId,
      members: [{ memberId: body.memberId, groupInstanceId: null, metadata: body.protocols[0]!.metadata }],
    }
  }
  cluster.handlers.SyncGroup = (body: { assignments: { memberId: string; assignment: Buffer }[] }) => ({ errorCode: 0, assignment: body.assignments[0]!.assignment })
  cluster.handlers.Heartbeat = () => ({ errorCode: s.heartbeatErrors.shift() ?? 0 })
  cluster.handlers.OffsetFetch = (body: { topics: { name: string; partitionIndexes: number[] }[] }) => ({
    errorCode: 0,
    topics: body.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, metadata: null, errorCode: 0 })) })),
  })
  cluster.handlers.ListOffsets = (body: { topics: { name: string; partitions: { partitionIndex: number; timestamp: bigint }[] }[] }) => ({
    topics: body.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1n, offset: p.timestamp === -2n ? 0n : (s.highWatermark.get(p.partitionIndex) ?? 0n) })),
    })),
  })
  cluster.handlers.OffsetCommit = (body: { topics: { name: string; partitions: { partitionIndex: number }[] }[] }) => ({
    topics: body.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })) })),
  })
  cluster.handlers.LeaveGroup = () => ({ errorCode: 0 })
  cluster.handlers.Fetch = (body: { maxWaitMs: number; topics: { topic: string; partitions: { partition: number; fetchOffset: bigint }[] }[] }) => {
    const responses = body.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        const batches = (s.log.get(p.partition) ?? []).filter((b) => b.readBigInt64BE(0) + BigInt(b.readInt32BE(23)) >= p.fetchOffset)
        return {
          partitionIndex: p.partition,
          errorCode: 0,
          highWatermark: s.highWatermark.get(p.partition) ?? 0n,
          lastStableOffset: s.highWatermark.get(p.partition) ?? 0n,
          abortedTransactions: s.aborted.get(p.partition) ?? [],
          records: batches.length === 0 ? null : Buffer.concat(batches),
        }
      }),
    }))
    const anything = responses.some((t) => t.partitions.some((p) => p.records !== null))
    // Like a broker: answer at once when there is data, else after maxWaitMs.
    return cluster.later(anything ? 1 : body.maxWaitMs, { errorCode: 0, sessionId: 0, responses })
  }
  return { cluster, s }
}

const BASE: Omit<ConsumeGroupOptions, 'client'> = { groupId: 'g', topics: ['t'], sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 10_000, commitIntervalMs: 2_000, fromBeginning: true }

function consume(cluster: ScriptedCluster, options: Partial<ConsumeGroupOptions> = {}, handle: (m: ConsumerMessage) => void = (m) => m.done()) {
  const group = consumeGroup({ client: cluster, ...BASE, ...options })
  const events: string[] = []
  const messages: ConsumerMessage[] = []
  let fatal: unknown
  const subscription: Subscription = group
    .pipe(
      mergeMap((p$) => {
        events.push(`start ${p$.partition}`)
        return p$.pipe(
          tap({
            next: (m) => {
              messages.push(m)
              handle(m)
            },
            complete: () => events.push(`complete ${p$.partition}`),
          }),
        )
      }),
    )
    .subscribe({ error: (e: unknown) => (fatal = e) })
  return { group, events, messages, subscription, fatal: () => fatal }
}

describe('group membership (scripted coordinator, virtual time)', () => {
  it('does the MEMBER_ID_REQUIRED round trip, syncs, and starts one substream per assigned partition', () => {
    const { cluster } = groupCluster(2)
    const run = consume(cluster)
    cluster.advance(0)
    const joins = cluster.of('JoinGroup')
    expect(joins.map((j) => j.body.memberId)).toEqual(['', 'member-1'])
    expect(joins[1]!.body.protocols.map((p: { name: string }) => p.name)).toEqual(['range', 'roundrobin'])
    expect(cluster.of('SyncGroup')[0]!.body.generationId).toBe(1)
    expect(run.events).toEqual(['start 0', 'start 1'])
    expect(run.group.diagnostics()[0]!.state).toBe('stable')
    expect(consumerGroupDiagnostics(cluster).map((d) => [d.groupId, d.memberId, d.generationId])).toEqual([['g', 'member-1', 1]])
    run.subscription.unsubscribe()
    expect(consumerGroupDiagnostics(cluster)).toEqual([])
  })

  it('heartbeats on its own timer, every heartbeatIntervalMs, on the default connection', () => {
    const { cluster } = groupCluster(1)
    const run = consume(cluster)
    cluster.advance(3_500)
    const beats = cluster.of('Heartbeat')
    expect(beats.map((b) => b.at)).toEqual([1_000, 2_000, 3_000])
    expect(beats.every((b) => b.body.memberId === 'member-1' && b.body.generationId === 1)).toBe(true)
    run.subscription.unsubscribe()
  })

  it('delivers fetched messages in order and commits the end of the done prefix, done() in any order', () => {
    const { cluster, s } = groupCluster(1)
    s.log.set(0, [batchBytes(0n, ['a', 'b', 'c', 'd'])])
    s.highWatermark.set(0, 4n)
    const held: ConsumerMessage[] = []
    const run = consume(cluster, {}, (m) => held.push(m))
    cluster.advance(10)
    expect(run.messages.map((m) => [m.offset, m.value?.toString()])).toEqual([[0n, 'a'], [1n, 'b'], [2n, 'c'], [3n, 'd']])
    held[2]!.done()
    held[0]!.done()
    cluster.advance(2_000)
    const commits = cluster.of('OffsetCommit')
    expect(commits.map((c) => c.body.topics[0].partitions[0].committedOffset)).toEqual([1n])
    held[1]!.done()
    held[3]!.done()
    cluster.advance(2_000)
    expect(cluster.of('OffsetCommit').map((c) => c.body.topics[0].partitions[0].committedOffset)).toEqual([1n, 4n])
    // Nothing new is done: no empty commits.
    cluster.advance(4_000)
    expect(cluster.of('OffsetCommit')).toHaveLength(2)
    run.subscription.unsubscribe()
  })

  it('on REBALANCE_IN_PROGRESS (eager) finishes and commits its partitions before it rejoins', () => {
    const { cluster, s } = groupCluster(1)
    s.log.set(0, [batchBytes(0n, ['a', 'b'])])
    s.highWatermark.set(0, 2n)
    s.heartbeatErrors.push(REBALANCE_IN_PROGRESS)
    const run = consume(cluster, { commitIntervalMs: 0 })
    cluster.advance(1_000)
    const order = cluster.requests.map((r) => r.api).filter((a) => a === 'OffsetCommit' || a === 'JoinGroup' || a === 'SyncGroup')
    expect(order).toEqual(['JoinGroup', 'JoinGroup', 'SyncGroup', 'OffsetCommit', 'JoinGroup', 'SyncGroup'])
    expect(cluster.of('OffsetCommit')[0]!.body.topics[0].partitions[0].committedOffset).toBe(2n)
    expect(run.events).toEqual(['start 0', 'complete 0', 'start 0'])
    expect(cluster.of('SyncGroup')[1]!.body.generationId).toBe(2)
    run.subscription.unsubscribe()
  })

  it('keeps heartbeating while revoked partitions drain, and rejoins as soon as the last message is done', () => {
    const { cluster, s } = groupCluster(1)
    s.log.set(0, [batchBytes(0n, ['slow'])])
    s.highWatermark.set(0, 1n)
    s.heartbeatErrors.push(REBALANCE_IN_PROGRESS)
    const held: ConsumerMessage[] = []
    const run = consume(cluster, { commitIntervalMs: 0 }, (m) => held.push(m))
    cluster.advance(4_500)
    expect(cluster.of('JoinGroup')).toHaveLength(2)
    // Heartbeats at 1 s (the rebalance news), then 2, 3 and 4 s while the message is in flight.
    expect(cluster.of('Heartbeat').map((h) => h.at)).toEqual([1_000, 2_000, 3_000, 4_000])
    expect(run.group.diagnostics()[0]!.state).toBe('revoking')
    held[0]!.done()
    expect(cluster.of('OffsetCommit')[0]!.body.topics[0].partitions[0].committedOffset).toBe(1n)
    expect(cluster.of('JoinGroup')).toHaveLength(3)
    expect(run.events).toEqual(['start 0', 'complete 0', 'start 0'])
    run.subscription.unsubscribe()
  })

  it('gives up waiting for in-flight messages after 80% of the rebalance timeout', () => {
    const { cluster, s } = groupCluster(1)
    s.log.set(0, [batchBytes(0n, ['stuck'])])
    s.highWatermark.set(0, 1n)
    s.heartbeatErrors.push(REBALANCE_IN_PROGRESS)
    const run = consume(cluster, { commitIntervalMs: 0, rebalanceTimeoutMs: 10_000 }, () => {})
    cluster.advance(1_000 + 7_999)
    expect(cluster.of('JoinGroup')).toHaveLength(2)
    cluster.advance(1)
    expect(cluster.of('JoinGroup')).toHaveLength(3)
    // The un-done message was not committed past.
    expect(cluster.of('OffsetCommit').map((c) => c.body.topics[0].partitions[0].committedOffset)).toEqual([0n])
    run.subscription.unsubscribe()
  })

  it('on ILLEGAL_GENERATION gives its partitions up without committing (someone else may own them) and rejoins', () => {
    const { cluster, s } = groupCluster(1)
    s.log.set(0, [batchBytes(0n, ['a'])])
    s.highWatermark.set(0, 1n)
    s.heartbeatErrors.push(ILLEGAL_GENERATION)
    const errors: string[] = []
    const run = consume(cluster, { commitIntervalMs: 0 })
    run.group.errors$.subscribe((e) => errors.push(e.code))
    cluster.advance(1_000)
    expect(cluster.of('OffsetCommit')).toHaveLength(0)
    expect(run.events).toEqual(['start 0', 'complete 0', 'start 0'])
    expect(errors).toContain('ILLEGAL_GENERATION')
    run.subscription.unsubscribe()
  })

  it('errors the stream on a fatal group error, with the broker error', () => {
    const { cluster } = groupCluster(1)
    cluster.handlers.JoinGroup = () => ({ errorCode: GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolName: '', leader: '', memberId: '', members: [] })
    const run = consume(cluster)
    cluster.advance(0)
    expect(run.fatal()).toBeInstanceOf(KafkaBrokerError)
    expect((run.fatal() as KafkaBrokerError).code).toBe('GROUP_AUTHORIZATION_FAILED')
    expect(cluster.pendingTimers()).toBe(0)
  })

  it('on unsubscribe commits what is done, leaves the group, and leaves no timer or cluster user behind', () => {
    const { cluster, s } = groupCluster(2)
    s.log.set(1, [batchBytes(0n, ['a', 'b', 'c'])])
    s.highWatermark.set(1, 3n)
    const run = consume(cluster, { commitIntervalMs: 60_000 })
    cluster.advance(10)
    expect(run.messages).toHaveLength(3)
    run.subscription.unsubscribe()
    const tail = cluster.requests.slice(-2).map((r) => r.api)
    expect(tail).toEqual(['OffsetCommit', 'LeaveGroup'])
    // Partition 0 had nothing: its starting position is committed too, so a restart does not resolve "earliest" again.
    expect(cluster.of('OffsetCommit')[0]!.body.topics[0].partitions).toEqual([
      expect.objectContaining({ partitionIndex: 0, committedOffset: 0n }),
      expect.objectContaining({ partitionIndex: 1, committedOffset: 3n }),
    ])
    expect(cluster.of('LeaveGroup')[0]!.body.memberId).toBe('member-1')
    // The client lets go of its connections one tick after its last user left; then nothing is scheduled.
    cluster.advance(0)
    expect(cluster.pendingTimers()).toBe(0)
    expect(cluster.users).toBe(0)
  })

  it('a static member (groupInstanceId) does not send LeaveGroup, so a restart does not rebalance', () => {
    const { cluster } = groupCluster(1)
    const run = consume(cluster, { groupInstanceId: 'host-1' })
    cluster.advance(0)
    expect(cluster.of('JoinGroup')[0]!.body.groupInstanceId).toBe('host-1')
    run.subscription.unsubscribe()
    expect(cluster.of('LeaveGroup')).toHaveLength(0)
  })

  it('fetches a partition only while its un-done messages are under maxUndoneMessages', () => {
    const { cluster, s } = groupCluster(2)
    s.log.set(0, [batchBytes(0n, ['a', 'b', 'c']), batchBytes(3n, ['d', 'e', 'f'])])
    s.log.set(1, [batchBytes(0n, ['x'])])
    s.highWatermark.set(0, 6n)
    s.highWatermark.set(1, 1n)
    const held: ConsumerMessage[] = []
    const run = consume(cluster, { maxUndoneMessages: 2 }, (m) => (m.partition === 0 ? held.push(m) : m.done()))
    cluster.advance(2_000)
    const fetchedPartition0 = () => cluster.of('Fetch').filter((f) => f.body.topics[0].partitions.some((p: { partition: number }) => p.partition === 0)).length
    const before = fetchedPartition0()
    expect(before).toBe(1)
    expect(run.group.diagnostics()[0]!.partitions.find((p) => p.partition === 0)!.pausedByDemand).toBe(true)
    // Partition 1 keeps being fetched (long polls) meanwhile.
    expect(cluster.of('Fetch').length).toBeGreaterThan(2)
    // The answer held all six: done() on the first two hands out the next two from the cursor, no fetch yet.
    expect(held.map((m) => m.value?.toString())).toEqual(['a', 'b'])
    for (const m of held.splice(0)) m.done()
    cluster.advance(10)
    expect(held.map((m) => m.value?.toString())).toEqual(['c', 'd'])
    expect(fetchedPartition0()).toBe(before)
    for (const m of held.splice(0)) m.done()
    cluster.advance(10)
    expect(held.map((m) => m.value?.toString())).toEqual(['e', 'f'])
    // The cursor is empty but the window is full: still no fetch until a done() makes room.
    expect(fetchedPartition0()).toBe(before)
    for (const m of held.splice(0)) m.done()
    // Partition 1's long poll is in flight meanwhile: the loop fetches partition 0 with the next request.
    cluster.advance(600)
    expect(fetchedPartition0()).toBeGreaterThan(before)
    run.subscription.unsubscribe()
  })

  it('a slow subscriber gets at most maxUndoneMessages ahead of done(), however large the answer, in order, without loss, duplicates or refetches', () => {
    const { cluster, s } = groupCluster(1)
    const values = Array.from({ length: 100 }, (_, i) => `v${i}`)
    // Ten batches of ten: one answer brings all hundred.
    s.log.set(0, Array.from({ length: 10 }, (_, b) => batchBytes(BigInt(b * 10), values.slice(b * 10, b * 10 + 10))))
    s.highWatermark.set(0, 100n)
    const held: ConsumerMessage[] = []
    const run = consume(cluster, { maxUndoneMessages: 4 }, (m) => held.push(m))
    cluster.advance(100)
    const fetches = () => cluster.of('Fetch').length
    const afterFirstAnswer = fetches()
    expect(afterFirstAnswer).toBe(1)
    const seen: string[] = []
    for (let round = 0; round < 25; round++) {
      // Never more than the window delivered and un-done.
      expect(held.length).toBe(4)
      const batch = held.splice(0)
      seen.push(...batch.map((m) => m.value!.toString()))
      // A slow handler: done() later, on its own timer.
      cluster.advance(50)
      for (const m of batch) m.done()
      cluster.advance(1)
      // The answer is still being handed out: nobody fetches it again.
      if (round < 23) expect(fetches()).toBe(afterFirstAnswer)
    }
    expect(seen).toEqual(values)
    expect(held).toEqual([])
    cluster.advance(2_000)
    // Committed to the end, once the cursor ran dry; then only long polls from offset 100.
    const positions = cluster.of('Fetch').slice(1).map((f) => f.body.topics[0].partitions[0].fetchOffset as bigint)
    expect(positions.length).toBeGreaterThan(0)
    expect(positions.every((p) => p === 100n)).toBe(true)
    run.subscription.unsubscribe()
  })
})

describe('delivery cursor (scripted broker, virtual time)', () => {
  it('a handler restarted mid-cursor gets the partition again from its first un-done message, once each after it', () => {
    const { cluster, s } = groupCluster(1)
    s.log.set(0, [batchBytes(0n, Array.from({ length: 10 }, (_, i) => `v${i}`))])
    s.highWatermark.set(0, 10n)
    const offsets: bigint[] = []
    let failed = false
    const subscription = consumeGroup({ client: cluster, ...BASE, maxUndoneMessages: 3 })
      .pipe(
        mergeMap((p$) =>
          p$.pipe(
            tap((m) => {
              offsets.push(m.offset)
              // Fails once on offset 2, while the cursor still holds 3..9 and 0, 1 are done.
              if (m.offset === 2n && !failed) {
                failed = true
                throw new Error('handler failed')
              }
              m.done()
            }),
            retry(),
          ),
        ),
      )
      .subscribe()
    cluster.advance(2_000)
    expect(offsets).toEqual([0n, 1n, 2n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n])
    // The restart read again from the commit point, 2, not from where the old cursor had fetched up to.
    expect(cluster.of('Fetch').map((f) => f.body.topics[0].partitions[0].fetchOffset as bigint).slice(0, 2)).toEqual([0n, 2n])
    subscription.unsubscribe()
  })
})

describe('fetch loop details', () => {
  it('read_committed: skips aborted transactional batches and never emits control batches', () => {
    const { cluster, s } = groupCluster(1)
    const abort = buildControlBatch({ type: 'abort', coordinatorEpoch: 0, producerId: 7n, producerEpoch: 0 })
    const abortBytes = Buffer.from(abort.bytes)
    abortBytes.writeBigInt64BE(2n, 0)
    const commit = buildControlBatch({ type: 'commit', coordinatorEpoch: 0, producerId: 8n, producerEpoch: 0 })
    const commitBytes = Buffer.from(commit.bytes)
    commitBytes.writeBigInt64BE(5n, 0)
    s.log.set(0, [
      batchBytes(0n, ['aborted-1', 'aborted-2'], { transactional: true, producerId: 7n }),
      abortBytes,
      batchBytes(3n, ['committed-1', 'committed-2'], { transactional: true, producerId: 8n }),
      commitBytes,
      batchBytes(6n, ['plain']),
    ])
    s.highWatermark.set(0, 7n)
    s.aborted.set(0, [{ producerId: 7n, firstOffset: 0n }])
    const run = consume(cluster, { isolationLevel: 'read_committed' })
    cluster.advance(10)
    expect(run.messages.map((m) => m.value?.toString())).toEqual(['committed-1', 'committed-2', 'plain'])
    expect(run.group.diagnostics()[0]!.partitions[0]!.commitPoint).toBe(7n)
    run.subscription.unsubscribe()
  })

  it('read_uncommitted delivers transactional data whatever its outcome, still without control batches', () => {
    const { cluster, s } = groupCluster(1)
    const abort = Buffer.from(buildControlBatch({ type: 'abort', coordinatorEpoch: 0, producerId: 7n, producerEpoch: 0 }).bytes)
    abort.writeBigInt64BE(1n, 0)
    s.log.set(0, [batchBytes(0n, ['aborted'], { transactional: true, producerId: 7n }), abort])
    s.highWatermark.set(0, 2n)
    s.aborted.set(0, [{ producerId: 7n, firstOffset: 0n }])
    const run = consume(cluster)
    cluster.advance(10)
    expect(run.messages.map((m) => m.value?.toString())).toEqual(['aborted'])
    run.subscription.unsubscribe()
  })

  it('maxMessageAge: messages older than the limit make the partition jump where offsetOutOfRange says', () => {
    const { cluster, s } = groupCluster(1)
    // Virtual time starts at 0; advance so "now" is 100 000 and the old batch (timestamp 1 000) is 99 s old.
    cluster.advance(100_000)
    s.log.set(0, [batchBytes(0n, ['old-1', 'old-2'], { timestamp: 1_000 }), batchBytes(2n, ['fresh'], { timestamp: 99_500 })])
    s.highWatermark.set(0, 3n)
    const run = consume(cluster, { maxMessageAge: () => 10_000, offsetOutOfRange: () => 2n })
    cluster.advance(10)
    expect(run.messages.map((m) => m.value?.toString())).toEqual(['fresh'])
    run.subscription.unsubscribe()
  })

  it('inOrderDone: done() on a message settles every earlier one of its partition', () => {
    const { cluster, s } = groupCluster(1)
    s.log.set(0, [batchBytes(0n, ['a', 'b', 'c'])])
    s.highWatermark.set(0, 3n)
    const run = consume(cluster, { inOrderDone: true, commitIntervalMs: 0 }, () => {})
    cluster.advance(10)
    run.messages[1]!.done()
    expect(run.group.diagnostics()[0]!.partitions[0]!.commitPoint).toBe(2n)
    run.subscription.unsubscribe()
    expect(cluster.of('OffsetCommit')[0]!.body.topics[0].partitions[0].committedOffset).toBe(2n)
  })

  it('noMessages: takes part in the group and reports start offsets but never fetches; markDoneUpTo commits', () => {
    const { cluster, s } = groupCluster(1)
    s.highWatermark.set(0, 10n)
    const starts: string[] = []
    const group = consumeGroup({ client: cluster, ...BASE, noMessages: true, commitIntervalMs: 1_000 })
    group.partitionStarts$.subscribe((e) => starts.push(`${e.partition}@${e.offset}`))
    const subscription = group.subscribe((p$) => p$.markDoneUpTo(4n))
    cluster.advance(1_000)
    expect(starts).toEqual(['0@0'])
    expect(cluster.of('Fetch')).toHaveLength(0)
    expect(cluster.of('OffsetCommit').map((c) => c.body.topics[0].partitions[0].committedOffset)).toEqual([4n])
    subscription.unsubscribe()
  })

  it('consumePartitions reads chosen partitions from where it is told, without a group', () => {
    const { cluster, s } = groupCluster(3)
    s.log.set(2, [batchBytes(0n, ['a', 'b', 'c'])])
    s.highWatermark.set(2, 3n)
    const seen: string[] = []
    const subscription = consumePartitions({ client: cluster, topic: 't', partitions: [2], from: 1n })
      .pipe(mergeMap((p$) => p$))
      .subscribe((m) => {
        seen.push(`${m.partition}:${m.offset}:${m.value?.toString()}`)
        m.done()
      })
    cluster.advance(10)
    expect(seen).toEqual(['2:1:b', '2:2:c'])
    expect(cluster.of('JoinGroup')).toHaveLength(0)
    subscription.unsubscribe()
    cluster.advance(0) // the client's deferred release
    expect(cluster.pendingTimers()).toBe(0)
  })
})

describe('options', () => {
  it('rejects bad options when the Observable is created, naming the option', () => {
    const cluster = oneBroker(1)
    expect(() => consumeGroup({ client: cluster, groupId: '', topics: ['t'] })).toThrow(ConsumerOptionError)
    expect(() => consumeGroup({ client: cluster, groupId: 'g', topics: [] })).toThrow(/topics/)
    expect(() => consumeGroup({ client: cluster, groupId: 'g', topics: ['t'], sessionTimeoutMs: 3_000, heartbeatIntervalMs: 3_000 })).toThrow(/heartbeatIntervalMs/)
    expect(() => consumeGroup({ client: cluster, groupId: 'g', topics: ['t'], maxUndoneMessages: 0 })).toThrow(/maxUndoneMessages/)
    expect(() => consumePartitions({ client: cluster, topic: 't', partitions: [-1] })).toThrow(/partitions/)
  })

  it('a ConsumerGroup made without a side-channel writer refuses sidechannelTopic, naming the option', () => {
    const cluster = oneBroker(1)
    expect(() => new ConsumerGroup({ client: cluster, groupId: 'g', topics: ['t'], sidechannelTopic: 'handover' })).toThrow(ConsumerOptionError)
    expect(() => new ConsumerGroup({ client: cluster, groupId: 'g', topics: ['t'], sidechannelTopic: 'handover' })).toThrow(/sidechannelTopic needs a way to write/)
    expect(() => consumeGroup({ client: cluster, groupId: 'g', topics: ['t'], sidechannelTopic: 'handover' })).not.toThrow()
  })

  it('encodes an empty assignment for members that get nothing', () => {
    expect(encodeAssignment({ assignedPartitions: [], userData: null }).length).toBeGreaterThan(0)
  })
})

describe('fetch sessions (KIP-227, scripted broker)', () => {
  /** A broker that keeps one session: cached fetch offsets per partition, updated only by partitions a request names. */
  function withSessions(cluster: ScriptedCluster, s: Script): { requests: { sessionId: number; sessionEpoch: number; named: string[]; forgotten: string[] }[] } {
    const seen: { sessionId: number; sessionEpoch: number; named: string[]; forgotten: string[] }[] = []
    const cached = new Map<number, bigint>()
    let epoch = 0
    cluster.handlers.Fetch = (body: {
      maxWaitMs: number
      sessionId: number
      sessionEpoch: number
      topics: { topic: string; partitions: { partition: number; fetchOffset: bigint }[] }[]
      forgottenTopicsData?: { topic: string; partitions: number[] }[]
    }) => {
      const named = body.topics.flatMap((t) => t.partitions.map((p) => `${p.partition}@${p.fetchOffset}`))
      const forgotten = (body.forgottenTopicsData ?? []).flatMap((t) => t.partitions.map(String))
      seen.push({ sessionId: body.sessionId, sessionEpoch: body.sessionEpoch, named, forgotten })
      if (body.sessionEpoch === 0) {
        cached.clear()
        epoch = 1
      } else if (body.sessionId !== 42 || body.sessionEpoch !== epoch) {
        return { errorCode: 71, sessionId: 0, responses: [] }
      } else {
        epoch++
      }
      for (const t of body.topics) for (const p of t.partitions) cached.set(p.partition, p.fetchOffset)
      for (const t of body.forgottenTopicsData ?? []) for (const p of t.partitions) cached.delete(p)
      const partitions = [...cached].flatMap(([partition, offset]) => {
        const batches = (s.log.get(partition) ?? []).filter((b) => b.readBigInt64BE(0) + BigInt(b.readInt32BE(23)) >= offset)
        // An incremental answer names only partitions with news; a full one names all.
        if (batches.length === 0 && body.sessionEpoch !== 0) return []
        return [{ partitionIndex: partition, errorCode: 0, highWatermark: s.highWatermark.get(partition) ?? 0n, abortedTransactions: [], records: batches.length === 0 ? null : Buffer.concat(batches) }]
      })
      const answer = { errorCode: 0, sessionId: 42, responses: partitions.length === 0 ? [] : [{ topic: 't', partitions }] }
      return cluster.later(partitions.some((p) => p.records !== null) ? 1 : body.maxWaitMs, answer)
    }
    return { requests: seen }
  }

  it('asks for a session, then names only partitions whose position changed, and forgets paused ones', () => {
    const { cluster, s } = groupCluster(2)
    s.log.set(0, [batchBytes(0n, ['a', 'b'])])
    s.log.set(1, [batchBytes(0n, ['x', 'y', 'z'])])
    s.highWatermark.set(0, 2n)
    s.highWatermark.set(1, 3n)
    const { requests } = withSessions(cluster, s)
    const held: ConsumerMessage[] = []
    const run = consume(cluster, { fetchSessions: true, maxUndoneMessages: 3 }, (m) => (m.partition === 1 ? held.push(m) : m.done()))
    cluster.advance(10)
    expect(run.messages.map((m) => `${m.partition}:${m.value?.toString()}`).sort()).toEqual(['0:a', '0:b', '1:x', '1:y', '1:z'])
    expect(requests[0]).toEqual({ sessionId: 0, sessionEpoch: 0, named: ['0@0', '1@0'], forgotten: [] })
    // Both moved on; partition 1 is now held back by demand (3 un-done), so it is forgotten.
    expect(requests[1]).toEqual({ sessionId: 42, sessionEpoch: 1, named: ['0@2'], forgotten: ['1'] })
    cluster.advance(1_000)
    // Nothing changed: incremental requests name nobody.
    expect(requests.slice(2).every((r) => r.named.length === 0 && r.forgotten.length === 0 && r.sessionId === 42)).toBe(true)
    for (const m of held) m.done()
    cluster.advance(600)
    expect(requests.some((r) => r.named.includes('1@3'))).toBe(true)
    run.subscription.unsubscribe()
  })

  it('starts a new session when the broker says the epoch is wrong', () => {
    const { cluster, s } = groupCluster(1)
    s.log.set(0, [batchBytes(0n, ['a'])])
    s.highWatermark.set(0, 1n)
    const { requests } = withSessions(cluster, s)
    const fetchHandler = cluster.handlers.Fetch!
    let broken = false
    cluster.handlers.Fetch = (body: { sessionEpoch: number }, version: number) => {
      // Lose the session once, after it was established.
      if (!broken && body.sessionEpoch === 1) {
        broken = true
        return { errorCode: 71, sessionId: 0, responses: [] }
      }
      return fetchHandler(body, version)
    }
    const errors: string[] = []
    const run = consume(cluster, { fetchSessions: true })
    run.group.errors$.subscribe((e) => errors.push(e.code))
    cluster.advance(10)
    s.log.set(0, [batchBytes(0n, ['a']), batchBytes(1n, ['b'])])
    s.highWatermark.set(0, 2n)
    cluster.advance(1_100)
    expect(errors).toContain('INVALID_FETCH_SESSION_EPOCH')
    expect(requests.filter((r) => r.sessionEpoch === 0).length).toBe(2)
    expect(run.messages.map((m) => m.value?.toString())).toEqual(['a', 'b'])
    run.subscription.unsubscribe()
  })
})
