/**
 * Partition assignors of the classic group protocol. The group leader runs
 * one of them (the one every member supports, in the leader's order of
 * preference) and hands each member its share through SyncGroup.
 */

/** Partitions of one topic. */
export interface TopicPartitions {
  /** The topic. */
  topic: string
  /** Partition numbers of the topic. */
  partitions: number[]
}

/** What one member told the group when it joined. */
export interface GroupMemberSubscription {
  /** The member's id. */
  memberId: string
  /** Static membership id, when the member has one. */
  groupInstanceId: string | null
  /** The topics it subscribes to. */
  topics: readonly string[]
  /** What the member owned before this rebalance (cooperative assignors use it). */
  ownedPartitions: readonly TopicPartitions[]
  /** Assignor-specific bytes the member sent. */
  userData: Buffer | null
}

/**
 * A strategy that divides partitions among members. `rebalance` says how a
 * member behaves around a rebalance: `'eager'` gives up every partition before
 * it rejoins; `'cooperative'` keeps what it is assigned again and gives up only
 * what moved (KIP-429).
 *
 * @example
 * ```ts
 * // Every partition to the member with the smallest id: a hot-standby group.
 * const firstMemberTakesAll: GroupAssignor = {
 *   name: 'first-takes-all',
 *   rebalance: 'eager',
 *   assign(members, partitionCounts) {
 *     const ids = members.map(m => m.memberId).sort()
 *     const all = [...partitionCounts].map(([topic, n]) => ({ topic, partitions: [...Array(n).keys()] }))
 *     return new Map(ids.map((id, i) => [id, i === 0 ? all : []]))
 *   },
 * }
 * consumeGroup({ client, groupId: 'standby', topics: ['orders'], assignors: [firstMemberTakesAll] })
 * ```
 */
export interface GroupAssignor {
  /** The protocol name every member of the group must agree on, such as `range`. */
  readonly name: string
  /** `eager`: members give up everything before a rebalance; `cooperative` (KIP-429): only what moves. */
  readonly rebalance: 'eager' | 'cooperative'
  /**
   * Member id to assignment. `partitionCounts` holds every topic any member
   * subscribes to that exists, with its number of partitions. Members left out
   * of the map get nothing.
   */
  assign(
    members: readonly GroupMemberSubscription[],
    partitionCounts: ReadonlyMap<string, number>,
  ): Map<string, TopicPartitions[]>
  /** Bytes to send with this member's subscription. */
  userData?(): Buffer | null
}

/** Sorts members as Kafka's assignors do: static members by instance id first, so restarts keep their share. */
function sortedMembers(members: readonly GroupMemberSubscription[]): GroupMemberSubscription[] {
  return [...members].sort((a, b) => {
    const ka = a.groupInstanceId ?? `\uffff${a.memberId}`
    const kb = b.groupInstanceId ?? `\uffff${b.memberId}`
    return ka < kb ? -1 : ka > kb ? 1 : 0
  })
}

function addTo(result: Map<string, Map<string, number[]>>, memberId: string, topic: string, partition: number): void {
  let topics = result.get(memberId)
  if (topics === undefined) result.set(memberId, (topics = new Map()))
  let list = topics.get(topic)
  if (list === undefined) topics.set(topic, (list = []))
  list.push(partition)
}

function toAssignment(members: readonly GroupMemberSubscription[], result: Map<string, Map<string, number[]>>): Map<string, TopicPartitions[]> {
  const out = new Map<string, TopicPartitions[]>()
  for (const m of members) {
    const topics = result.get(m.memberId)
    out.set(
      m.memberId,
      topics === undefined
        ? []
        : [...topics].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([topic, partitions]) => ({ topic, partitions: partitions.sort((x, y) => x - y) })),
    )
  }
  return out
}

/**
 * Kafka's `range` assignor: per topic, consecutive ranges of partitions to
 * members in sorted order, the first members taking one extra when the count
 * does not divide evenly. Members that subscribe to the same topics get
 * co-partitioned shares (partition i of every topic to the same member).
 */
export const rangeAssignor: GroupAssignor = {
  name: 'range',
  rebalance: 'eager',
  assign(members, partitionCounts) {
    const result = new Map<string, Map<string, number[]>>()
    const sorted = sortedMembers(members)
    for (const [topic, count] of partitionCounts) {
      const subscribers = sorted.filter((m) => m.topics.includes(topic))
      if (subscribers.length === 0) continue
      const each = Math.floor(count / subscribers.length)
      const extra = count % subscribers.length
      let next = 0
      subscribers.forEach((member, i) => {
        const share = each + (i < extra ? 1 : 0)
        for (let p = next; p < next + share; p++) addTo(result, member.memberId, topic, p)
        next += share
      })
    }
    return toAssignment(members, result)
  },
}

/**
 * Kafka's `roundrobin` assignor: every partition of every topic, sorted by
 * topic then partition, dealt in turn to the members (skipping members that do
 * not subscribe to the topic). Spreads many small topics evenly.
 */
export const roundRobinAssignor: GroupAssignor = {
  name: 'roundrobin',
  rebalance: 'eager',
  assign(members, partitionCounts) {
    const result = new Map<string, Map<string, number[]>>()
    const sorted = sortedMembers(members)
    if (sorted.length === 0) return toAssignment(members, result)
    let turn = 0
    const topics = [...partitionCounts.keys()].sort()
    for (const topic of topics) {
      const count = partitionCounts.get(topic)!
      if (!sorted.some((m) => m.topics.includes(topic))) continue
      for (let p = 0; p < count; p++) {
        while (!sorted[turn % sorted.length]!.topics.includes(topic)) turn++
        addTo(result, sorted[turn % sorted.length]!.memberId, topic, p)
        turn++
      }
    }
    return toAssignment(members, result)
  },
}

/**
 * A cooperative sticky assignor (protocol name `cooperative-sticky`, KIP-429):
 * members keep what they own as far as balance allows; partitions that must
 * move are first left unassigned for one round (so their owner revokes them and
 * rejoins) and given to their new owner in the next. Only the moved partitions'
 * substreams complete.
 *
 * Balance target: every member holds either floor or ceil of (partitions it
 * could hold / members), computed over members subscribing to the same topics.
 */
export const cooperativeStickyAssignor: GroupAssignor = {
  name: 'cooperative-sticky',
  rebalance: 'cooperative',
  assign(members, partitionCounts) {
    const sorted = sortedMembers(members)
    const result = new Map<string, Map<string, number[]>>()
    const load = new Map<string, number>(sorted.map((m) => [m.memberId, 0]))
    const owner = new Map<string, string>()
    const key = (topic: string, p: number): string => `${topic}\u0000${p}`
    // 1. Previous owners keep their partitions while they still subscribe and the partition exists.
    const claimed: { member: GroupMemberSubscription; topic: string; partition: number }[] = []
    for (const member of sorted) {
      for (const tp of member.ownedPartitions) {
        const count = partitionCounts.get(tp.topic)
        if (count === undefined || !member.topics.includes(tp.topic)) continue
        for (const p of tp.partitions) {
          if (p >= count || owner.has(key(tp.topic, p))) continue
          owner.set(key(tp.topic, p), member.memberId)
          claimed.push({ member, topic: tp.topic, partition: p })
        }
      }
    }
    const total = [...partitionCounts.values()].reduce((a, b) => a + b, 0)
    const subscribed = sorted.length
    const ceilQuota = subscribed === 0 ? 0 : Math.ceil(total / subscribed)
    // 2. Members over quota give up their highest partitions; those are revoked this round.
    const byMember = new Map<string, { topic: string; partition: number }[]>()
    for (const c of claimed) {
      let list = byMember.get(c.member.memberId)
      if (list === undefined) byMember.set(c.member.memberId, (list = []))
      list.push({ topic: c.topic, partition: c.partition })
    }
    const floorQuota = subscribed === 0 ? 0 : Math.floor(total / subscribed)
    let ceilSlots = subscribed === 0 ? 0 : total - floorQuota * subscribed
    for (const member of sorted) {
      const list = (byMember.get(member.memberId) ?? []).sort((a, b) =>
        a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
      )
      let keep = Math.min(list.length, floorQuota)
      if (list.length > floorQuota && ceilSlots > 0 && ceilQuota > floorQuota) {
        keep = floorQuota + 1
        ceilSlots--
      }
      list.forEach((tp, i) => {
        if (i < keep) {
          addTo(result, member.memberId, tp.topic, tp.partition)
          load.set(member.memberId, load.get(member.memberId)! + 1)
        }
      })
    }
    // 3. Unowned partitions go to the least loaded subscriber. Partitions taken from an owner in step 2
    // stay unassigned this round: the owner revokes them, rejoins, and the next round places them here.
    for (const topic of [...partitionCounts.keys()].sort()) {
      const count = partitionCounts.get(topic)!
      for (let p = 0; p < count; p++) {
        const k = key(topic, p)
        if (owner.has(k)) continue
        let best: GroupMemberSubscription | undefined
        for (const member of sorted) {
          if (!member.topics.includes(topic)) continue
          if (best === undefined || load.get(member.memberId)! < load.get(best.memberId)!) best = member
        }
        if (best === undefined) continue
        addTo(result, best.memberId, topic, p)
        load.set(best.memberId, load.get(best.memberId)! + 1)
      }
    }
    return toAssignment(members, result)
  },
}

/** The assignors a consumer offers when none are given: range first, as Kafka's Java client does. */
export const DEFAULT_ASSIGNORS: readonly GroupAssignor[] = [rangeAssignor, roundRobinAssignor]
