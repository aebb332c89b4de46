/**
 * Options of `consumeShareGroup`, their defaults, and the checks that run when
 * the Observable is made.
 */
import type { ClusterClient } from '../../cluster/cluster-client.js'
import { ConsumerOptionError } from '../../errors/index.js'
import { CONSUMER_OPTIONS, checkInteger } from '../../kit/options.js'

/**
 * When a share record counts as handled. `'on-handled'`: a record the
 * subscriber did not settle by the time its `next` call returned is accepted
 * then (synchronous handlers need do nothing). `'explicit'`: the handler
 * calls `accept()`, `release()` or `reject()` on every record, which is what
 * asynchronous handling (mergeMap, concatMap) needs.
 */
export type ShareAcknowledgeMode = 'on-handled' | 'explicit'

/** Options of {@link consumeShareGroup}. Durations in milliseconds. */
export interface ConsumeShareGroupOptions {
  /** The cluster client to use (the bound `kafka.consumeShareGroup` fills it in). */
  client: ClusterClient
  /** The share group to join. */
  groupId: string
  /** The topics to read. */
  topics: readonly string[]
  /** Default `'on-handled'`; see {@link ShareAcknowledgeMode}. */
  acknowledge?: ShareAcknowledgeMode
  /** The member fetches only while it holds fewer un-settled records than this. Default 500. */
  maxUnacknowledged?: number
  /** How long a broker may hold a ShareFetch waiting for records. Default 500. */
  maxWaitMs?: number
  /** Bytes a broker may return per ShareFetch. Default 52 428 800 (50 MiB). */
  maxBytes?: number
  /** Pause before retrying after an error (doubling, at most 10 s). Default 100. */
  retryBackoffMs?: number
  /** Rack of this member, sent with heartbeats. Default none. */
  rackId?: string
}

/** Share-group options with every default filled in. */
export interface ResolvedShareGroupOptions {
  groupId: string
  topics: readonly string[]
  acknowledge: ShareAcknowledgeMode
  maxUnacknowledged: number
  maxWaitMs: number
  maxBytes: number
  retryBackoffMs: number
  rackId: string | null
}

/** Checks the options and fills in defaults. */
export function resolveShareGroupOptions(options: ConsumeShareGroupOptions): ResolvedShareGroupOptions {
  if (typeof options.groupId !== 'string' || options.groupId.length === 0) {
    throw new ConsumerOptionError('groupId', 'must be a non-empty string', 'name the share group, such as groupId: "work-queue"')
  }
  if (!Array.isArray(options.topics) || options.topics.length === 0 || options.topics.some((t) => typeof t !== 'string' || t.length === 0)) {
    throw new ConsumerOptionError('topics', 'must be a non-empty array of topic names', 'pass topics: ["jobs", ...]')
  }
  const acknowledge = options.acknowledge ?? 'on-handled'
  if (acknowledge !== 'on-handled' && acknowledge !== 'explicit') {
    throw new ConsumerOptionError('acknowledge', `must be 'on-handled' or 'explicit', got ${JSON.stringify(acknowledge)}`, "use 'explicit' when records are handled asynchronously")
  }
  checkInteger(CONSUMER_OPTIONS, 'maxUnacknowledged', options.maxUnacknowledged, 1, 0x7fffffff)
  checkInteger(CONSUMER_OPTIONS, 'maxWaitMs', options.maxWaitMs, 0, 0x7fffffff)
  checkInteger(CONSUMER_OPTIONS, 'maxBytes', options.maxBytes, 1, 0x7fffffff)
  checkInteger(CONSUMER_OPTIONS, 'retryBackoffMs', options.retryBackoffMs, 0, 0x7fffffff)
  return {
    groupId: options.groupId,
    topics: [...new Set(options.topics)],
    acknowledge,
    maxUnacknowledged: options.maxUnacknowledged ?? 500,
    maxWaitMs: options.maxWaitMs ?? 500,
    maxBytes: options.maxBytes ?? 52_428_800,
    retryBackoffMs: options.retryBackoffMs ?? 100,
    rackId: options.rackId ?? null,
  }
}
