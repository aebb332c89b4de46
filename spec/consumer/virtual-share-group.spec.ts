/**
 * Share groups (KIP-932) against the virtual cluster (lib/testing/virtual-share-group.ts),
 * in virtual time: a released record goes to another member with delivery count 2,
 * accepted records never come back, an unsettled record's lock expires, and at the
 * delivery limit a record is archived.
 */
import { describe, expect, it } from 'vitest'
import { take, takeUntil, timer } from 'rxjs'
import { consumeShareGroup } from '../../lib/consumer/share-group/index.js'
import { ErrorCode } from '../../lib/protocol/error-codes.js'
import { ShareAcknowledgeApi } from '../../lib/protocol/messages/ShareAcknowledge.js'
import { ShareFetchApi, type ShareFetchResponse } from '../../lib/protocol/messages/ShareFetch.js'
import { ShareGroupHeartbeatApi } from '../../lib/protocol/messages/ShareGroupHeartbeat.js'
import { createVirtualCluster } from '../../lib/testing/index.js'
import { createTestScheduler } from '../testing/virtual-helpers.js'

interface Delivery {
  member: string
  at: number
  offset: bigint
  value: string
  deliveryCount: number
}

describe('virtual cluster: share groups (KIP-932)', () => {
  it('A releases a record and leaves: B or C gets it with delivery count 2; accepted records are never delivered again', () => {
    const scheduler = createTestScheduler()
    scheduler.run(() => {
      const kafka = createVirtualCluster({ topics: [{ name: 'jobs' }], group: { shareHeartbeatIntervalMs: 1_000 } })
      const deliveries: Delivery[] = []
      const member = (name: string, release: boolean) =>
        consumeShareGroup({ client: kafka.client(name), groupId: 'workers', topics: ['jobs'], acknowledge: 'explicit', maxUnacknowledged: 1 }).pipe(
          release ? take(1) : takeUntil(timer(60_000, scheduler)),
        ).subscribe((record) => {
          deliveries.push({ member: name, at: scheduler.now(), offset: record.offset, value: record.value!.toString(), deliveryCount: record.deliveryCount })
          if (release) record.release()
          else record.accept()
        })
      // The group starts at the log end when it first reads (share.auto.offset.reset=latest): records come after A is in.
      member('A', true)
      for (let i = 0; i < 6; i++) scheduler.schedule(() => kafka.produceDirect('jobs', 0, [{ value: `job-${i}` }]), 500 + i * 10)
      scheduler.schedule(() => {
        member('B', false)
        member('C', false)
      }, 2_000)
      scheduler.flush()
      const a = deliveries.filter((d) => d.member === 'A')
      expect(a).toEqual([{ member: 'A', at: 500, offset: 0n, value: 'job-0', deliveryCount: 1 }])
      const others = deliveries.filter((d) => d.member !== 'A')
      // job-0 again, to another member, as its second delivery; every other job once, at its first.
      expect(others.filter((d) => d.offset === 0n)).toMatchObject([{ value: 'job-0', deliveryCount: 2 }])
      expect(others.map((d) => d.value).sort()).toEqual(['job-0', 'job-1', 'job-2', 'job-3', 'job-4', 'job-5'])
      for (const d of others) if (d.offset !== 0n) expect(d.deliveryCount).toBe(1)
      // Both newcomers got work: the partition is shared, not assigned to one.
      expect(new Set(others.map((d) => d.member))).toEqual(new Set(['B', 'C']))
    })
  })

  it('a record nobody settles: its lock expires after 30 s, it is delivered again, and at the delivery limit (2) it is archived', () => {
    const scheduler = createTestScheduler()
    scheduler.run(() => {
      const kafka = createVirtualCluster({ topics: [{ name: 'jobs' }], group: { shareHeartbeatIntervalMs: 1_000, shareDeliveryCountLimit: 2 } })
      const deliveries: Delivery[] = []
      consumeShareGroup({ client: kafka, groupId: 'stuck', topics: ['jobs'], acknowledge: 'explicit', maxUnacknowledged: 10 })
        .pipe(takeUntil(timer(100_000, scheduler)))
        .subscribe((record) => {
          deliveries.push({ member: 'A', at: scheduler.now(), offset: record.offset, value: record.value!.toString(), deliveryCount: record.deliveryCount })
          // Holds it: never settled.
        })
      scheduler.schedule(() => kafka.produceDirect('jobs', 0, [{ value: 'poison' }]), 1_000)
      scheduler.flush()
      expect(deliveries).toEqual([
        { member: 'A', at: 1_000, offset: 0n, value: 'poison', deliveryCount: 1 },
        { member: 'A', at: 31_000, offset: 0n, value: 'poison', deliveryCount: 2 },
      ])
    })
  })

  it('over the wire: a release by X goes to Y with delivery count 2, accepted is gone for everyone, session epochs are checked', () => {
    const scheduler = createTestScheduler()
    scheduler.run(() => {
      const kafka = createVirtualCluster({ topics: [{ name: 'jobs' }] })
      let topicId = ''
      const log: Record<string, unknown> = {}
      const at = (t: number, work: () => void) => scheduler.schedule(work, t)
      const join = (memberId: string) =>
        kafka.request(1, ShareGroupHeartbeatApi, { groupId: 'g', memberId, memberEpoch: 0, rackId: null, subscribedTopicNames: ['jobs'] }).subscribe((r) => {
          topicId = r.assignment!.topicPartitions[0]!.topicId
          log[`join ${memberId}`] = r.assignment!.topicPartitions[0]!.partitions
        })
      const acquired = (r: ShareFetchResponse) =>
        r.errorCode !== 0
          ? `error ${r.errorCode}`
          : r.responses.flatMap((t) => t.partitions.flatMap((p) => [...p.acquiredRecords.map((a) => `${a.firstOffset}-${a.lastOffset}@${a.deliveryCount}`), ...(p.acknowledgeErrorCode === 0 ? [] : [`ack error ${p.acknowledgeErrorCode}`])])).join(',')
      const fetch = (label: string, memberId: string, epoch: number, acks: { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] = []) =>
        kafka
          .request(1, ShareFetchApi, {
            groupId: 'g', memberId, shareSessionEpoch: epoch, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, maxRecords: 10, batchSize: 10,
            topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }], forgottenTopicsData: [],
          })
          .subscribe((r) => (log[label] = acquired(r)))
      at(0, () => join('x'))
      at(0, () => join('y'))
      // The first fetch opens the session and fixes the start at the log end (latest).
      at(10, () => fetch('x opens', 'x', 0))
      at(20, () => kafka.produceDirect('jobs', 0, [{ value: 'a' }, { value: 'b' }]))
      at(30, () => fetch('x acquires', 'x', 1))
      at(40, () => fetch('x with a stale epoch', 'x', 1))
      // Release offset 0, accept offset 1 (one type per offset), by ShareAcknowledge.
      at(50, () =>
        kafka
          .request(1, ShareAcknowledgeApi, { groupId: 'g', memberId: 'x', shareSessionEpoch: 2, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 0n, lastOffset: 1n, acknowledgeTypes: [2, 1] }] }] }] })
          .subscribe((r) => (log['x settles'] = r.responses[0]!.partitions[0]!.errorCode)),
      )
      at(60, () => fetch('y opens and acquires', 'y', 0))
      // Y accepts offset 0 piggybacked on its next fetch; nothing is left for anyone.
      at(70, () => fetch('y accepts', 'y', 1, [{ firstOffset: 0n, lastOffset: 0n, acknowledgeTypes: [1] }]))
      at(80, () => fetch('x finds nothing', 'x', 3))
      at(90, () => fetch('y settles what it no longer holds', 'y', 2, [{ firstOffset: 0n, lastOffset: 0n, acknowledgeTypes: [1] }]))
      at(100, () => fetch('z is no member', 'z', 0))
      at(110, () => fetch('x without a session epoch it was given', 'x', 9))
      at(200, () => {
        kafka.request(1, ShareGroupHeartbeatApi, { groupId: 'g', memberId: 'x', memberEpoch: -1, rackId: null, subscribedTopicNames: null }).subscribe()
        kafka.request(1, ShareGroupHeartbeatApi, { groupId: 'g', memberId: 'y', memberEpoch: -1, rackId: null, subscribedTopicNames: null }).subscribe()
      })
      scheduler.flush()
      expect(log).toEqual({
        'join x': [0],
        'join y': [0],
        'x opens': '',
        'x acquires': '0-1@1',
        'x with a stale epoch': `error ${ErrorCode.INVALID_SHARE_SESSION_EPOCH}`,
        'x settles': 0,
        'y opens and acquires': '0-0@2',
        'y accepts': '',
        'x finds nothing': '',
        'y settles what it no longer holds': `ack error ${ErrorCode.INVALID_RECORD_STATE}`,
        'z is no member': `error ${ErrorCode.UNKNOWN_MEMBER_ID}`,
        'x without a session epoch it was given': `error ${ErrorCode.INVALID_SHARE_SESSION_EPOCH}`,
      })
    })
  })
})
