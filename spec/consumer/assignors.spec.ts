import { describe, expect, it } from 'vitest'
import {
  cooperativeStickyAssignor,
  rangeAssignor,
  roundRobinAssignor,
  type GroupMemberSubscription,
  type TopicPartitions,
} from '../../lib/consumer/assignors.js'
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../lib/consumer/group-payloads.js'

function member(memberId: string, topics: string[], owned: TopicPartitions[] = [], groupInstanceId: string | null = null): GroupMemberSubscription {
  return { memberId, groupInstanceId, topics, ownedPartitions: owned, userData: null }
}

function flat(assignment: TopicPartitions[] | undefined): string[] {
  return (assignment ?? []).flatMap((t) => t.partitions.map((p) => `${t.topic}-${p}`))
}

function everyPartitionOnce(result: Map<string, TopicPartitions[]>, counts: Map<string, number>): void {
  const seen = [...result.values()].flatMap(flat).sort()
  const expected = [...counts].flatMap(([t, n]) => Array.from({ length: n }, (_, p) => `${t}-${p}`)).sort()
  expect(seen).toEqual(expected)
}

describe('rangeAssignor', () => {
  it('gives consecutive ranges per topic, the first members one extra when uneven', () => {
    const counts = new Map([['a', 5], ['b', 2]])
    const result = rangeAssignor.assign([member('m2', ['a', 'b']), member('m1', ['a', 'b'])], counts)
    expect(flat(result.get('m1'))).toEqual(['a-0', 'a-1', 'a-2', 'b-0'])
    expect(flat(result.get('m2'))).toEqual(['a-3', 'a-4', 'b-1'])
    everyPartitionOnce(result, counts)
  })

  it('assigns a topic only to the members that subscribe to it', () => {
    const counts = new Map([['a', 2], ['b', 2]])
    const result = rangeAssignor.assign([member('m1', ['a']), member('m2', ['a', 'b'])], counts)
    expect(flat(result.get('m1'))).toEqual(['a-0'])
    expect(flat(result.get('m2'))).toEqual(['a-1', 'b-0', 'b-1'])
  })

  it('orders static members by instance id, so a restart with a new member id keeps the share', () => {
    const counts = new Map([['a', 2]])
    const first = rangeAssignor.assign([member('zzz', ['a'], [], 'host-1'), member('aaa', ['a'], [], 'host-2')], counts)
    expect(flat(first.get('zzz'))).toEqual(['a-0'])
  })

  it('leaves members without partitions when there are more members than partitions', () => {
    const result = rangeAssignor.assign([member('m1', ['a']), member('m2', ['a']), member('m3', ['a'])], new Map([['a', 2]]))
    expect(flat(result.get('m3'))).toEqual([])
  })
})

describe('roundRobinAssignor', () => {
  it('deals every partition of every topic in turn', () => {
    const counts = new Map([['a', 3], ['b', 3]])
    const result = roundRobinAssignor.assign([member('m1', ['a', 'b']), member('m2', ['a', 'b'])], counts)
    expect(flat(result.get('m1'))).toEqual(['a-0', 'a-2', 'b-1'])
    expect(flat(result.get('m2'))).toEqual(['a-1', 'b-0', 'b-2'])
    everyPartitionOnce(result, counts)
  })

  it('skips members that do not subscribe to a topic', () => {
    const result = roundRobinAssignor.assign([member('m1', ['a']), member('m2', ['b'])], new Map([['a', 2], ['b', 1]]))
    expect(flat(result.get('m1'))).toEqual(['a-0', 'a-1'])
    expect(flat(result.get('m2'))).toEqual(['b-0'])
  })
})

describe('cooperativeStickyAssignor', () => {
  const counts = new Map([['a', 6]])

  it('spreads partitions evenly when nobody owns anything', () => {
    const result = cooperativeStickyAssignor.assign([member('m1', ['a']), member('m2', ['a']), member('m3', ['a'])], counts)
    for (const id of ['m1', 'm2', 'm3']) expect(flat(result.get(id))).toHaveLength(2)
    everyPartitionOnce(result, counts)
  })

  it('keeps owners where they are and, when a member joins, withholds the moved partitions for one round', () => {
    const owned1 = [{ topic: 'a', partitions: [0, 1, 2] }]
    const owned2 = [{ topic: 'a', partitions: [3, 4, 5] }]
    const round1 = cooperativeStickyAssignor.assign([member('m1', ['a'], owned1), member('m2', ['a'], owned2), member('m3', ['a'])], counts)
    // Each old member keeps two of its own; the third of each is revoked, and nobody gets it yet.
    expect(flat(round1.get('m1'))).toEqual(['a-0', 'a-1'])
    expect(flat(round1.get('m2'))).toEqual(['a-3', 'a-4'])
    expect(flat(round1.get('m3'))).toEqual([])
    // Next round: the revoked partitions are unowned and go to the new member.
    const round2 = cooperativeStickyAssignor.assign(
      [member('m1', ['a'], round1.get('m1')), member('m2', ['a'], round1.get('m2')), member('m3', ['a'], [])],
      counts,
    )
    expect(flat(round2.get('m1'))).toEqual(['a-0', 'a-1'])
    expect(flat(round2.get('m2'))).toEqual(['a-3', 'a-4'])
    expect(flat(round2.get('m3'))).toEqual(['a-2', 'a-5'])
    everyPartitionOnce(round2, counts)
  })

  it('hands a leaving member\'s partitions to the others without moving theirs', () => {
    const result = cooperativeStickyAssignor.assign(
      [member('m1', ['a'], [{ topic: 'a', partitions: [0, 1] }]), member('m2', ['a'], [{ topic: 'a', partitions: [2, 3] }])],
      counts,
    )
    expect(flat(result.get('m1'))).toEqual(expect.arrayContaining(['a-0', 'a-1']))
    expect(flat(result.get('m2'))).toEqual(expect.arrayContaining(['a-2', 'a-3']))
    everyPartitionOnce(result, counts)
  })

  it('drops owned partitions of topics that no longer exist or are no longer subscribed', () => {
    const result = cooperativeStickyAssignor.assign([member('m1', ['a'], [{ topic: 'gone', partitions: [0] }, { topic: 'a', partitions: [9] }])], counts)
    everyPartitionOnce(result, counts)
  })
})

describe('consumer protocol payloads', () => {
  it('round-trips a subscription with owned partitions', () => {
    const bytes = encodeSubscription({ topics: ['a', 'b'], userData: Buffer.from([1, 2]), ownedPartitions: [{ topic: 'a', partitions: [0, 3] }] })
    expect(bytes.readInt16BE(0)).toBe(1)
    const back = decodeSubscription(bytes)
    expect(back.topics).toEqual(['a', 'b'])
    expect(back.ownedPartitions).toEqual([{ topic: 'a', partitions: [0, 3] }])
    expect([...back.userData!]).toEqual([1, 2])
  })

  it('round-trips an assignment, and reads an empty payload as nothing assigned', () => {
    const back = decodeAssignment(encodeAssignment({ assignedPartitions: [{ topic: 'a', partitions: [1] }], userData: null }))
    expect(back.assignedPartitions).toEqual([{ topic: 'a', partitions: [1] }])
    expect(decodeAssignment(Buffer.alloc(0)).assignedPartitions).toEqual([])
  })
})
