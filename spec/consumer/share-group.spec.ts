/**
 * consumeShareGroup against scripted brokers, in virtual time: what the
 * member sends, backpressure by the number of un-settled records, the
 * settlements it piggybacks, the release of what it holds on unsubscribe, and
 * a broker without share groups. (The real-Kafka proof is
 * spec/interop/java-share-group.spec.ts.)
 */
import { describe, expect, it } from 'vitest'
import { consumeShareGroup, type ShareRecord } from '../../lib/consumer/index.js'
import { ConsumerOptionError, KafkaBrokerError, UnsupportedVersionError } from '../../lib/errors/index.js'
import { RecordBatchBuilder } from '../../lib/protocol/records/record-batch-builder.js'
import { ScriptedCluster } from '../support/scripted-cluster.js'

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAA'

function batch(baseOffset: bigint, values: string[]): Buffer {
  const builder = new RecordBatchBuilder()
  for (const value of values) builder.append({ key: null, value, timestamp: 1_000 })
  const bytes = Buffer.from(builder.seal({ transactional: false, producerId: -1n, producerEpoch: -1 }).bytes)
  bytes.writeBigInt64BE(baseOffset, 0)
  return bytes
}

/** A share coordinator and leader of partition 0 that has `log` records and hands out what is asked for. */
function shareBroker(log: string[]) {
  const cluster = new ScriptedCluster({ topics: { t: [1] }, brokers: [1] })
  let next = 0
  const fetches: { shareSessionEpoch: number; maxRecords: number; acks: { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] }[] = []
  const closes: { acks: { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] }[] = []
  cluster.handlers.ShareGroupHeartbeat = (body: { memberId: string; memberEpoch: number }) => ({
    errorCode: 0, errorMessage: null, memberId: body.memberId, memberEpoch: body.memberEpoch < 0 ? body.memberEpoch : 1, heartbeatIntervalMs: 1_000,
    assignment: body.memberEpoch === 0 ? { topicPartitions: [{ topicId: TOPIC_ID, partitions: [0] }] } : null,
  })
  cluster.handlers.ShareFetch = (body: { shareSessionEpoch: number; maxRecords: number; topics: { partitions: { acknowledgementBatches: never[] }[] }[] }) => {
    fetches.push({ shareSessionEpoch: body.shareSessionEpoch, maxRecords: body.maxRecords, acks: body.topics.flatMap((t) => t.partitions.flatMap((p) => p.acknowledgementBatches)) })
    const count = Math.min(body.maxRecords, log.length - next)
    const first = next
    next += count
    const partitions = count === 0 ? [] : [{
      partitionIndex: 0, errorCode: 0, errorMessage: null, acknowledgeErrorCode: 0, acknowledgeErrorMessage: null, currentLeader: { leaderId: 1, leaderEpoch: 0 },
      records: batch(BigInt(first), log.slice(first, first + count)), acquiredRecords: [{ firstOffset: BigInt(first), lastOffset: BigInt(first + count - 1), deliveryCount: 1 }],
    }]
    const answer = { errorCode: 0, errorMessage: null, acquisitionLockTimeoutMs: 30_000, responses: partitions.length === 0 ? [] : [{ topicId: TOPIC_ID, partitions }], nodeEndpoints: [] }
    return count === 0 ? cluster.later(500, answer) : answer
  }
  cluster.handlers.ShareAcknowledge = (body: { shareSessionEpoch: number; topics: { partitions: { acknowledgementBatches: never[] }[] }[] }) => {
    const acks = body.topics.flatMap((t) => t.partitions.flatMap((p) => p.acknowledgementBatches))
    if (body.shareSessionEpoch === -1) closes.push({ acks })
    else fetches.push({ shareSessionEpoch: body.shareSessionEpoch, maxRecords: 0, acks })
    return { errorCode: 0, errorMessage: null, responses: [], nodeEndpoints: [] }
  }
  return { cluster, fetches, closes }
}

describe('consumeShareGroup (scripted broker, virtual time)', () => {
  it('fetches no more than maxUnacknowledged un-settled records, piggybacks settlements, and releases what it holds on unsubscribe', () => {
    const { cluster, fetches, closes } = shareBroker(['a', 'b', 'c', 'd', 'e', 'f', 'g'])
    const held: ShareRecord[] = []
    const subscription = consumeShareGroup({ client: cluster, groupId: 'q', topics: ['t'], acknowledge: 'explicit', maxUnacknowledged: 3 }).subscribe((r) => held.push(r))
    cluster.advance(0)
    // A session opens at epoch 0 asking for 3; the member holds 3 and asks for nothing more.
    expect(fetches[0]).toMatchObject({ shareSessionEpoch: 0, maxRecords: 3 })
    expect(held.map((r) => `${r.value}:${r.deliveryCount}`)).toEqual(['a:1', 'b:1', 'c:1'])
    cluster.advance(2_000)
    expect(fetches).toHaveLength(1)
    // Two settled: the next ShareFetch (epoch 1) carries them and asks for 2.
    held[0]!.accept()
    held[1]!.reject()
    cluster.advance(0)
    expect(fetches[1]).toMatchObject({ shareSessionEpoch: 1, maxRecords: 2, acks: [{ firstOffset: 0n, lastOffset: 0n, acknowledgeTypes: [1] }, { firstOffset: 1n, lastOffset: 1n, acknowledgeTypes: [3] }] })
    expect(held.map((r) => r.value!.toString())).toEqual(['a', 'b', 'c', 'd', 'e'])
    // Leaving: the three un-settled records are released in the closing ShareAcknowledge, then the leave heartbeat.
    subscription.unsubscribe()
    cluster.advance(10)
    expect(closes).toEqual([{ acks: [{ firstOffset: 2n, lastOffset: 4n, acknowledgeTypes: [2] }] }])
    expect(cluster.of('ShareGroupHeartbeat').at(-1)!.body.memberEpoch).toBe(-1)
    // The client lets go of its connections one tick after its last user left; then nothing is scheduled.
    cluster.advance(0)
    expect(cluster.pendingTimers()).toBe(0)
  })

  it('leaving while a ShareFetch is in flight waits for its answer (it carries settlements) and releases what it acquired in the close', () => {
    const { cluster, closes } = shareBroker(['a', 'b', 'c', 'd'])
    const fast = cluster.handlers.ShareFetch!
    // Fetches after the first take 500 ms to answer, as a broker's long poll does.
    cluster.handlers.ShareFetch = (body: { shareSessionEpoch: number }, version: number) => {
      const answer = fast(body, version)
      return body.shareSessionEpoch === 0 ? answer : cluster.later(500, answer)
    }
    const held: ShareRecord[] = []
    const subscription = consumeShareGroup({ client: cluster, groupId: 'q', topics: ['t'], acknowledge: 'explicit', maxUnacknowledged: 3 }).subscribe((r) => held.push(r))
    cluster.advance(0)
    held[0]!.accept()
    cluster.advance(0)
    // The fetch carrying the accept of 'a' is in flight; the member leaves.
    subscription.unsubscribe()
    cluster.advance(100)
    expect(closes).toEqual([])
    cluster.advance(500)
    // After its answer (which acquired 'd'), one close releases 'b', 'c' and 'd'.
    expect(closes).toEqual([{ acks: [{ firstOffset: 1n, lastOffset: 3n, acknowledgeTypes: [2] }] }])
    expect(held.map((r) => r.value!.toString())).toEqual(['a', 'b', 'c'])
  })

  it("'on-handled' (the default) accepts each record when the subscriber's handler returns, unless it settled it", () => {
    const { cluster, fetches } = shareBroker(['a', 'b'])
    const subscription = consumeShareGroup({ client: cluster, groupId: 'q', topics: ['t'] }).subscribe((r) => {
      if (r.value!.toString() === 'b') r.release()
    })
    cluster.advance(0)
    cluster.advance(0)
    expect(fetches[1]!.acks).toEqual([{ firstOffset: 0n, lastOffset: 0n, acknowledgeTypes: [1] }, { firstOffset: 1n, lastOffset: 1n, acknowledgeTypes: [2] }])
    subscription.unsubscribe()
  })

  it('a heartbeat error no retry can mend (a code neither retriable nor about the coordinator) fails the stream with it, after one heartbeat', () => {
    const { cluster } = shareBroker([])
    let heartbeats = 0
    cluster.handlers.ShareGroupHeartbeat = () => {
      heartbeats++
      return { errorCode: 9999, errorMessage: 'what is this', memberId: '', memberEpoch: 0, heartbeatIntervalMs: 1_000, assignment: null }
    }
    let fatal: unknown
    consumeShareGroup({ client: cluster, groupId: 'q', topics: ['t'] }).subscribe({ error: (e: unknown) => (fatal = e) })
    cluster.advance(60_000)
    // Until stop 26 it looked the coordinator up again and heartbeated for ever, each failure only reported.
    expect(heartbeats).toBe(1)
    expect(fatal).toBeInstanceOf(KafkaBrokerError)
    expect((fatal as KafkaBrokerError).errorCode).toBe(9999)
  })

  it('a broker without share groups: the stream errors with UNSUPPORTED_VERSION saying what to do; bad options are refused', () => {
    const cluster = new ScriptedCluster({ topics: { t: [1] }, brokers: [1], versions: { ShareGroupHeartbeat: -1 } })
    let fatal: unknown
    consumeShareGroup({ client: cluster, groupId: 'q', topics: ['t'] }).subscribe({ error: (e: unknown) => (fatal = e) })
    cluster.advance(0)
    expect(fatal).toBeInstanceOf(UnsupportedVersionError)
    expect((fatal as Error).message).toMatch(/does not offer share groups/)
    expect((fatal as UnsupportedVersionError).hint).toMatch(/share.version=1/)
    expect(() => consumeShareGroup({ client: cluster, groupId: 'q', topics: [] })).toThrow(ConsumerOptionError)
    // @ts-expect-error not a mode
    expect(() => consumeShareGroup({ client: cluster, groupId: 'q', topics: ['t'], acknowledge: 'auto' })).toThrow(/'on-handled' or 'explicit'/)
  })
})
