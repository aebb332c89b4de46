/**
 * The client's half of KIP-227 incremental fetch sessions, one per broker:
 * what the broker remembers of the partitions a fetcher asks for, so that a
 * request names only what changed.
 */
/** One broker's fetch session (KIP-227), as diagnostics show it. */
export interface FetchSessionDiagnostics {
  /** The broker id. */
  broker: number
  /** 0 while the broker grants none. */
  sessionId: number
  /** The epoch the next incremental request carries. */
  epoch: number
  /** Incremental requests answered in this client's sessions with the broker. */
  incrementalFetches: number
}

/** What a fetch session remembers of one partition: what the last request that named it said. */
export interface SessionPartition {
  topic: string
  partition: number
  fetchOffset: bigint
  maxBytes: number
  leaderEpoch: number
}

/** One request's share of the session bookkeeping, applied when its answer comes. */
export interface SentFetch {
  sessionId: number
  sessionEpoch: number
  full: boolean
  wanted: Map<string, SessionPartition>
  toSend: SessionPartition[]
  forgotten: SessionPartition[]
}

/**
 * A KIP-227 fetch session with one broker. A full request (epoch 0) asks for a
 * session; once the broker grants one, each request names only the partitions
 * whose fetch offset, size or leader epoch changed, and lists those to drop
 * (paused, revoked, moved away) as forgotten. The broker answers only for
 * partitions with news. Without sessions every request is full (id 0, epoch -1).
 */
export class FetchSession {
  private id = 0
  private epoch = 0
  /** Answers to incremental requests (epoch > 0) of granted sessions, for diagnostics. */
  incrementalFetches = 0

  get sessionId(): number {
    return this.id
  }

  get sessionEpoch(): number {
    return this.epoch
  }
  private readonly partitions = new Map<string, SessionPartition>()

  prepare(wanted: Map<string, SessionPartition>, enabled: boolean): SentFetch {
    if (!enabled) return { sessionId: 0, sessionEpoch: -1, full: true, wanted, toSend: [...wanted.values()], forgotten: [] }
    if (this.id === 0) return { sessionId: 0, sessionEpoch: 0, full: true, wanted, toSend: [...wanted.values()], forgotten: [] }
    const toSend: SessionPartition[] = []
    for (const [key, p] of wanted) {
      const known = this.partitions.get(key)
      if (known === undefined || known.fetchOffset !== p.fetchOffset || known.maxBytes !== p.maxBytes || known.leaderEpoch !== p.leaderEpoch) toSend.push(p)
    }
    const forgotten: SessionPartition[] = []
    for (const [key, p] of this.partitions) if (!wanted.has(key)) forgotten.push(p)
    return { sessionId: this.id, sessionEpoch: this.epoch, full: false, wanted, toSend, forgotten }
  }

  answered(sent: SentFetch, sessionId: number): void {
    if (sent.sessionEpoch === -1) return
    if (sessionId === 0) {
      // The broker keeps no session (or closed ours): the next request is a full one asking again.
      this.reset()
      return
    }
    if (!sent.full) this.incrementalFetches++
    if (sent.full) {
      this.partitions.clear()
      for (const [key, p] of sent.wanted) this.partitions.set(key, p)
    } else {
      for (const p of sent.toSend) this.partitions.set(`${p.topic}\u0000${p.partition}`, p)
      for (const p of sent.forgotten) this.partitions.delete(`${p.topic}\u0000${p.partition}`)
    }
    this.id = sessionId
    // Epochs run 1..INT32_MAX and wrap to 1 (0 asks for a new session, -1 closes one).
    this.epoch = sent.full || this.epoch >= 0x7fffffff ? 1 : this.epoch + 1
  }

  reset(): void {
    this.id = 0
    this.epoch = 0
    this.partitions.clear()
  }
}
