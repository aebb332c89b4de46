/**
 * The classic group coordinator of the virtual cluster: members join, the
 * coordinator waits for every known member (up to the rebalance timeout),
 * picks a protocol and a leader, the leader's SyncGroup hands out assignments,
 * and heartbeats keep sessions alive. Every timer runs on the cluster's
 * scheduler, so a session expiry happens at an exact virtual frame.
 */
import type { SchedulerLike, Subscription } from 'rxjs'
import { ErrorCode } from '../protocol/error-codes.js'

/** The states of a classic consumer group, as Kafka names them. */
export type VirtualGroupStateName = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

/** What JoinGroup answers, before it is shaped for a protocol version. */
export interface JoinOutcome {
  errorCode: number
  generationId: number
  protocolType: string | null
  protocolName: string | null
  leader: string
  /** JoinGroup v9+: the leader gets the members but must not assign (a static leader that restarted). */
  skipAssignment: boolean
  memberId: string
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[]
}

/** What SyncGroup answers, before it is shaped for a protocol version. */
export interface SyncOutcome {
  errorCode: number
  protocolType: string | null
  protocolName: string | null
  assignment: Buffer
}

export interface JoinRequestFacts {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: { name: string; metadata: Buffer }[]
  /** JoinGroup v4+: a member without an id is first handed one (MEMBER_ID_REQUIRED, KIP-394). */
  requireKnownMemberId: boolean
}

/** Settings of the coordinator; durations in ms of scheduler time. */
export interface GroupCoordinatorSettings {
  minSessionTimeoutMs: number
  maxSessionTimeoutMs: number
  initialRebalanceDelayMs: number
}

/** A member: what it asked to join with, plus where it is in the current generation. */
interface Member extends Omit<JoinRequestFacts, 'requireKnownMemberId'> {
  assignment: Buffer
  awaitingJoin: ((outcome: JoinOutcome) => void) | undefined
  awaitingSync: ((outcome: SyncOutcome) => void) | undefined
  sessionTimer: Subscription | undefined
}

/** A committed offset. */
export interface StoredOffset {
  offset: bigint
  leaderEpoch: number
  metadata: string | null
}

/** A member as {@link VirtualGroup.snapshot} reports it. */
export interface VirtualGroupMemberSnapshot {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  /** The bytes the leader assigned to this member (empty before the first SyncGroup of the generation). */
  assignment: Buffer
  /** Protocol names this member offered, in its order of preference. */
  protocols: string[]
}

/** A group as the coordinator sees it. */
export interface VirtualGroupSnapshot {
  /** The group id. */
  groupId: string
  /** The coordinator's state of the group. */
  state: VirtualGroupStateName
  /** The current generation, 0 before the first rebalance. */
  generationId: number
  /** The protocol type the members joined with (`consumer`), or null while empty. */
  protocolType: string | null
  /** The protocol (assignor) the group agreed on, or null. */
  protocolName: string | null
  /** The leader's member id, or null. */
  leader: string | null
  /** Sorted by member id. */
  members: VirtualGroupMemberSnapshot[]
}

const NO_BYTES = Buffer.alloc(0)

/** One consumer group and its committed offsets. */
export class VirtualGroup {
  state: VirtualGroupStateName = 'Empty'
  generationId = 0
  protocolType: string | null = null
  protocolName: string | null = null
  leader: string | null = null
  readonly members = new Map<string, Member>()
  /** Ids handed out with MEMBER_ID_REQUIRED whose owners have not joined with them yet. */
  private readonly pendingMembers = new Map<string, Subscription>()
  private readonly pendingSync = new Set<string>()
  /** Static membership (KIP-345): group instance id -> the member id that currently holds it. */
  private readonly staticMembers = new Map<string, string>()
  readonly offsets = new Map<string, StoredOffset>()
  private joinTimer: Subscription | undefined
  private syncTimer: Subscription | undefined
  private initialDelay = false

  constructor(
    readonly groupId: string,
    private readonly scheduler: SchedulerLike,
    private readonly settings: GroupCoordinatorSettings,
    private readonly newMemberId: (clientId: string) => string,
  ) {}

  join(facts: JoinRequestFacts, respond: (outcome: JoinOutcome) => void): void {
    const fail = (errorCode: number): void => respond(this.joinError(errorCode, facts.memberId))
    if (facts.sessionTimeoutMs < this.settings.minSessionTimeoutMs || facts.sessionTimeoutMs > this.settings.maxSessionTimeoutMs) {
      fail(ErrorCode.INVALID_SESSION_TIMEOUT)
      return
    }
    if (facts.protocolType.length === 0 || facts.protocols.length === 0) {
      fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
      return
    }
    if (this.members.size > 0 && (facts.protocolType !== this.protocolTypeOfMembers() || !this.supportsSomeCommonProtocol(facts))) {
      fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
      return
    }
    if (facts.groupInstanceId !== null) {
      const holder = this.staticMembers.get(facts.groupInstanceId)
      if (facts.memberId === '') {
        if (holder !== undefined && this.members.has(holder)) {
          this.replaceStaticMember(holder, facts, respond)
          return
        }
        // Static members skip MEMBER_ID_REQUIRED: their instance id already identifies them.
        const memberId = this.newMemberId(facts.clientId)
        this.staticMembers.set(facts.groupInstanceId, memberId)
        this.addMember(memberId, facts, respond)
        return
      }
      if (holder !== undefined && holder !== facts.memberId) {
        fail(ErrorCode.FENCED_INSTANCE_ID)
        return
      }
    }
    if (facts.memberId === '') {
      const memberId = this.newMemberId(facts.clientId)
      if (facts.requireKnownMemberId) {
        // The id is reserved for one session timeout; a member that never comes back must not block rebalances.
        const expiry = this.scheduler.schedule(() => {
          this.pendingMembers.delete(memberId)
          if (this.state === 'PreparingRebalance') this.maybeCompleteJoin()
        }, facts.sessionTimeoutMs)
        this.pendingMembers.set(memberId, expiry)
        respond({ ...this.joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId), memberId })
        return
      }
      this.addMember(memberId, facts, respond)
      return
    }
    const pending = this.pendingMembers.get(facts.memberId)
    if (pending !== undefined) {
      pending.unsubscribe()
      this.pendingMembers.delete(facts.memberId)
      this.addMember(facts.memberId, facts, respond)
      return
    }
    const member = this.members.get(facts.memberId)
    if (member === undefined) {
      fail(ErrorCode.UNKNOWN_MEMBER_ID)
      return
    }
    this.rejoin(member, facts, respond)
  }

  private addMember(memberId: string, facts: JoinRequestFacts, respond: (outcome: JoinOutcome) => void): void {
    const member: Member = {
      memberId,
      groupInstanceId: facts.groupInstanceId,
      clientId: facts.clientId,
      sessionTimeoutMs: facts.sessionTimeoutMs,
      rebalanceTimeoutMs: facts.rebalanceTimeoutMs,
      protocolType: facts.protocolType,
      protocols: facts.protocols,
      assignment: NO_BYTES,
      awaitingJoin: respond,
      awaitingSync: undefined,
      sessionTimer: undefined,
    }
    this.members.set(memberId, member)
    this.scheduleSessionExpiry(member)
    if (this.state === 'PreparingRebalance') this.maybeCompleteJoin()
    else this.prepareRebalance()
  }

  /**
   * A static member restarted: it takes over its instance's place under a new
   * member id, the old id is fenced, and where nothing else changed the group
   * does not rebalance (the point of KIP-345).
   */
  private replaceStaticMember(oldId: string, facts: JoinRequestFacts, respond: (outcome: JoinOutcome) => void): void {
    const old = this.members.get(oldId)!
    const memberId = this.newMemberId(facts.clientId)
    old.sessionTimer?.unsubscribe()
    this.members.delete(oldId)
    const wasPendingSync = this.pendingSync.delete(oldId)
    old.awaitingJoin?.(this.joinError(ErrorCode.FENCED_INSTANCE_ID, oldId))
    old.awaitingSync?.({ errorCode: ErrorCode.FENCED_INSTANCE_ID, protocolType: null, protocolName: null, assignment: NO_BYTES })
    const member: Member = { ...old, memberId, clientId: facts.clientId, awaitingJoin: undefined, awaitingSync: undefined, sessionTimer: undefined }
    this.members.set(memberId, member)
    if (wasPendingSync) this.pendingSync.add(memberId)
    this.staticMembers.set(facts.groupInstanceId!, memberId)
    if (this.leader === oldId) this.leader = memberId
    if (this.state === 'Stable' && sameProtocols(old.protocols, facts.protocols)) {
      // Nothing the assignment depends on changed: the generation stands, even for a restarted leader,
      // who gets the members (to know them) but is told not to assign again.
      member.sessionTimeoutMs = facts.sessionTimeoutMs
      member.rebalanceTimeoutMs = facts.rebalanceTimeoutMs
      this.scheduleSessionExpiry(member)
      respond({ ...this.joinAnswer(member), skipAssignment: memberId === this.leader })
      return
    }
    this.rejoin(member, facts, respond)
  }

  /** FENCED_INSTANCE_ID when the instance id belongs to another member id now, else 0. */
  private fencing(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId === null) return 0
    const holder = this.staticMembers.get(groupInstanceId)
    return holder !== undefined && holder !== memberId ? ErrorCode.FENCED_INSTANCE_ID : 0
  }

  private rejoin(member: Member, facts: JoinRequestFacts, respond: (outcome: JoinOutcome) => void): void {
    const unchanged = sameProtocols(member.protocols, facts.protocols)
    member.protocols = facts.protocols
    member.sessionTimeoutMs = facts.sessionTimeoutMs
    member.rebalanceTimeoutMs = facts.rebalanceTimeoutMs
    this.scheduleSessionExpiry(member)
    // A member whose earlier JoinGroup is still parked replaces it: only the newest request gets the answer.
    member.awaitingJoin = respond
    if (this.state === 'PreparingRebalance') {
      this.maybeCompleteJoin()
      return
    }
    if ((this.state === 'Stable' || this.state === 'CompletingRebalance') && unchanged && member.memberId !== this.leader) {
      // Nothing changed for the group: the member just gets the current generation again.
      member.awaitingJoin = undefined
      respond(this.joinAnswer(member))
      return
    }
    this.prepareRebalance()
  }

  sync(
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
    protocolType: string | null,
    protocolName: string | null,
    assignments: { memberId: string; assignment: Buffer }[],
    respond: (outcome: SyncOutcome) => void,
  ): void {
    const fail = (errorCode: number): void => respond({ errorCode, protocolType: null, protocolName: null, assignment: NO_BYTES })
    const fenced = this.fencing(memberId, groupInstanceId)
    if (fenced !== 0) return fail(fenced)
    const member = this.members.get(memberId)
    if (member === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID)
    if (generationId !== this.generationId) return fail(ErrorCode.ILLEGAL_GENERATION)
    if ((protocolType !== null && protocolType !== this.protocolType) || (protocolName !== null && protocolName !== this.protocolName)) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    }
    if (this.state === 'PreparingRebalance') return fail(ErrorCode.REBALANCE_IN_PROGRESS)
    this.pendingSync.delete(memberId)
    this.scheduleSessionExpiry(member)
    if (this.state === 'Stable') {
      respond(this.syncAnswer(member))
      return
    }
    if (this.state !== 'CompletingRebalance') return fail(ErrorCode.UNKNOWN_MEMBER_ID)
    member.awaitingSync = respond
    if (memberId !== this.leader) return
    const given = new Map(assignments.map((a) => [a.memberId, a.assignment]))
    for (const m of this.members.values()) m.assignment = given.get(m.memberId) ?? NO_BYTES
    this.state = 'Stable'
    for (const m of this.members.values()) {
      const waiting = m.awaitingSync
      if (waiting === undefined) continue
      m.awaitingSync = undefined
      waiting(this.syncAnswer(m))
    }
  }

  heartbeat(memberId: string, groupInstanceId: string | null, generationId: number): number {
    const fenced = this.fencing(memberId, groupInstanceId)
    if (fenced !== 0) return fenced
    const member = this.members.get(memberId)
    if (member === undefined || this.state === 'Empty' || this.state === 'Dead') return ErrorCode.UNKNOWN_MEMBER_ID
    if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION
    this.scheduleSessionExpiry(member)
    return this.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE
  }

  /**
   * Removes members; the error code of each (0, UNKNOWN_MEMBER_ID, or
   * FENCED_INSTANCE_ID). A static member may leave by instance id alone.
   */
  leave(leaving: readonly { memberId: string; groupInstanceId: string | null }[]): number[] {
    const removed: string[] = []
    const codes = leaving.map(({ memberId, groupInstanceId }) => {
      let id = memberId
      if (groupInstanceId !== null) {
        const holder = this.staticMembers.get(groupInstanceId)
        if (holder === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
        if (memberId !== '' && memberId !== holder) return ErrorCode.FENCED_INSTANCE_ID
        id = holder
      }
      if (!this.members.has(id)) return ErrorCode.UNKNOWN_MEMBER_ID
      removed.push(id)
      return ErrorCode.NONE
    })
    if (removed.length > 0) this.removeMembers(removed)
    return codes
  }

  /** Checks a commit's generation and member; 0 when it may be stored. */
  checkCommit(memberId: string, groupInstanceId: string | null, generationId: number): number {
    const fenced = this.fencing(memberId, groupInstanceId)
    if (fenced !== 0) return fenced
    if (generationId < 0 && memberId === '') {
      // Commits from outside any generation (a consumer with manual assignment) are fine while nobody is a member.
      return this.members.size === 0 ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION
    }
    const member = this.members.get(memberId)
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION
    // Members may commit while a rebalance is being prepared (on revoke), but not before they have their assignment.
    if (this.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS
    this.scheduleSessionExpiry(member)
    return ErrorCode.NONE
  }

  /** Removes one member as if its session had expired. Returns false when it is not a member. */
  kick(memberId: string): boolean {
    if (!this.members.has(memberId)) return false
    this.removeMembers([memberId])
    return true
  }

  /** Starts a rebalance now, as a changed subscription or a new member would. Returns false when there is nobody to rebalance. */
  forceRebalance(): boolean {
    if (this.members.size === 0) return false
    if (this.state !== 'PreparingRebalance') this.prepareRebalance()
    return true
  }

  /** Answers every parked request with a connection loss: they are simply dropped (the client sees the connection error). */
  dropParkedRequests(): void {
    for (const m of this.members.values()) {
      m.awaitingJoin = undefined
      m.awaitingSync = undefined
    }
  }

  snapshot(): VirtualGroupSnapshot {
    return {
      groupId: this.groupId,
      state: this.state,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: this.leader,
      members: [...this.members.values()]
        .map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          assignment: m.assignment,
          protocols: m.protocols.map((p) => p.name),
        }))
        .sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0)),
    }
  }

  /** Cancels every timer (the cluster is closing). */
  dispose(): void {
    this.joinTimer?.unsubscribe()
    this.syncTimer?.unsubscribe()
    for (const m of this.members.values()) m.sessionTimer?.unsubscribe()
    for (const t of this.pendingMembers.values()) t.unsubscribe()
    this.pendingMembers.clear()
  }

  private removeMembers(memberIds: readonly string[]): void {
    for (const id of memberIds) {
      const member = this.members.get(id)
      if (member === undefined) continue
      member.sessionTimer?.unsubscribe()
      this.members.delete(id)
      this.pendingSync.delete(id)
      this.forgetInstance(member)
      const parkedJoin = member.awaitingJoin
      const parkedSync = member.awaitingSync
      member.awaitingJoin = undefined
      member.awaitingSync = undefined
      parkedJoin?.(this.joinError(ErrorCode.UNKNOWN_MEMBER_ID, id))
      parkedSync?.({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, protocolType: null, protocolName: null, assignment: NO_BYTES })
      if (this.leader === id) this.leader = null
    }
    if (this.state === 'PreparingRebalance') {
      this.maybeCompleteJoin()
      return
    }
    if (this.members.size === 0 && this.pendingMembers.size === 0) {
      this.toEmpty()
      return
    }
    this.prepareRebalance()
  }

  private forgetInstance(member: Member): void {
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === member.memberId) {
      this.staticMembers.delete(member.groupInstanceId)
    }
  }

  private toEmpty(): void {
    this.joinTimer?.unsubscribe()
    this.syncTimer?.unsubscribe()
    this.joinTimer = undefined
    this.syncTimer = undefined
    if (this.state !== 'Empty') this.generationId++
    this.state = 'Empty'
    this.protocolName = null
    this.leader = null
  }

  private prepareRebalance(): void {
    const wasEmpty = this.state === 'Empty'
    this.syncTimer?.unsubscribe()
    this.syncTimer = undefined
    this.pendingSync.clear()
    // Members parked in SyncGroup learn that their generation is over.
    for (const m of this.members.values()) {
      const waiting = m.awaitingSync
      if (waiting === undefined) continue
      m.awaitingSync = undefined
      waiting({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, protocolType: null, protocolName: null, assignment: NO_BYTES })
    }
    this.state = 'PreparingRebalance'
    this.joinTimer?.unsubscribe()
    this.initialDelay = wasEmpty && this.settings.initialRebalanceDelayMs > 0
    const waitMs = wasEmpty ? this.settings.initialRebalanceDelayMs : this.maxRebalanceTimeoutMs()
    if (wasEmpty && waitMs === 0) {
      this.joinTimer = undefined
      this.maybeCompleteJoin()
      return
    }
    this.joinTimer = this.scheduler.schedule(() => {
      this.joinTimer = undefined
      this.initialDelay = false
      this.completeJoin()
    }, waitMs)
    this.maybeCompleteJoin()
  }

  private maybeCompleteJoin(): void {
    if (this.state !== 'PreparingRebalance' || this.initialDelay) return
    for (const m of this.members.values()) if (m.awaitingJoin === undefined) return
    if (this.pendingMembers.size > 0 && this.members.size > 0) return
    this.joinTimer?.unsubscribe()
    this.joinTimer = undefined
    this.completeJoin()
  }

  private completeJoin(): void {
    // Members that did not rejoin within the rebalance timeout are out.
    for (const m of [...this.members.values()]) {
      if (m.awaitingJoin === undefined) {
        m.sessionTimer?.unsubscribe()
        this.members.delete(m.memberId)
        this.forgetInstance(m)
        if (this.leader === m.memberId) this.leader = null
      }
    }
    if (this.members.size === 0) {
      this.toEmpty()
      return
    }
    this.generationId++
    this.state = 'CompletingRebalance'
    this.protocolType = this.protocolTypeOfMembers()
    this.protocolName = this.selectProtocol()
    if (this.leader === null || !this.members.has(this.leader)) this.leader = this.members.keys().next().value!
    for (const m of this.members.values()) {
      m.assignment = NO_BYTES
      this.pendingSync.add(m.memberId)
      this.scheduleSessionExpiry(m)
    }
    // Members that never send SyncGroup would otherwise hold the group in CompletingRebalance forever.
    this.syncTimer = this.scheduler.schedule(() => {
      this.syncTimer = undefined
      const missing = [...this.pendingSync]
      this.pendingSync.clear()
      if (missing.length > 0) this.removeMembers(missing)
    }, this.maxRebalanceTimeoutMs())
    for (const m of [...this.members.values()]) {
      const waiting = m.awaitingJoin
      if (waiting === undefined) continue
      m.awaitingJoin = undefined
      waiting(this.joinAnswer(m))
    }
  }

  private joinAnswer(member: Member): JoinOutcome {
    const isLeader = member.memberId === this.leader
    return {
      errorCode: ErrorCode.NONE,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: this.leader ?? '',
      skipAssignment: false,
      memberId: member.memberId,
      members: isLeader
        ? [...this.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: m.protocols.find((p) => p.name === this.protocolName)?.metadata ?? NO_BYTES,
          }))
        : [],
    }
  }

  private joinError(errorCode: number, memberId: string): JoinOutcome {
    return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] }
  }

  private syncAnswer(member: Member): SyncOutcome {
    return { errorCode: ErrorCode.NONE, protocolType: this.protocolType, protocolName: this.protocolName, assignment: member.assignment }
  }

  private scheduleSessionExpiry(member: Member): void {
    member.sessionTimer?.unsubscribe()
    member.sessionTimer = this.scheduler.schedule(() => {
      member.sessionTimer = undefined
      if (this.members.get(member.memberId) !== member) return
      // A member parked in JoinGroup or SyncGroup is waiting on us, not silent.
      if (member.awaitingJoin !== undefined || member.awaitingSync !== undefined) {
        this.scheduleSessionExpiry(member)
        return
      }
      this.removeMembers([member.memberId])
    }, member.sessionTimeoutMs)
  }

  private maxRebalanceTimeoutMs(): number {
    let max = 0
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs)
    return max
  }

  private protocolTypeOfMembers(): string | null {
    const first = this.members.values().next().value
    return first === undefined ? null : first.protocolType
  }

  private supportsSomeCommonProtocol(facts: JoinRequestFacts): boolean {
    const offered = new Set(facts.protocols.map((p) => p.name))
    const common = this.commonProtocols().filter((name) => offered.has(name))
    return common.length > 0
  }

  private commonProtocols(): string[] {
    let common: string[] | undefined
    for (const m of this.members.values()) {
      const names = m.protocols.map((p) => p.name)
      common = common === undefined ? names : common.filter((n) => names.includes(n))
    }
    return common ?? []
  }

  /** Every member votes for its most preferred protocol that all support; most votes wins, ties go to the earlier candidate. */
  private selectProtocol(): string | null {
    const candidates = this.commonProtocols()
    if (candidates.length === 0) return null
    const votes = new Map<string, number>()
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.includes(p.name))!.name
      votes.set(choice, (votes.get(choice) ?? 0) + 1)
    }
    let best = candidates[0]!
    for (const c of candidates) if ((votes.get(c) ?? 0) > (votes.get(best) ?? 0)) best = c
    return best
  }
}

function sameProtocols(a: readonly { name: string; metadata: Buffer }[], b: readonly { name: string; metadata: Buffer }[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata))
}
