/**
 * Options of `consumeGroup` and `consumePartitions`, their defaults, and the
 * checks that run when the Observable is created, so a typo fails at the line
 * that wrote it rather than in the middle of a rebalance.
 */
import type { ClusterClient } from '../cluster/cluster-client.js'
import { ConsumerOptionError } from '../errors/index.js'
import { CONSUMER_OPTIONS, checkFunction, checkInteger, checkName } from '../kit/options.js'
import type { GroupAssignor } from './assignors.js'
import type { SidechannelSettings, SidechannelWriter } from './sidechannel.js'

/** Where a partition starts when there is no committed offset to resume from. */
export type OffsetSpec = bigint | 'earliest' | 'latest'

/** Fetch settings shared by group and group-less consumers. Durations in milliseconds. */
export interface FetchOptions {
  /** Bytes a broker should gather before answering a fetch. Default 1. */
  minBytes?: number
  /** Bytes a broker may return per fetch, over all partitions. Default 52 428 800 (50 MiB). */
  maxBytes?: number
  /** Bytes a broker may return per partition per fetch. Default 1 048 576 (1 MiB). */
  maxPartitionBytes?: number
  /** How long a broker may hold a fetch waiting for `minBytes`. Default 500. */
  maxWaitMs?: number
  /**
   * A partition is fetched only while fewer than this many of its delivered
   * messages are un-done. Default 2 000 (a fetch also asks for no more than that leaves room for).
   */
  maxUndoneMessages?: number
  /** A partition is fetched only while its un-done messages hold fewer bytes (keys plus values) than this. Default 16 MiB. */
  maxUndoneBytes?: number
  /** `'read_committed'` skips aborted transactional data. Default `'read_uncommitted'`. */
  isolationLevel?: 'read_uncommitted' | 'read_committed'
  /**
   * Where to go when a partition's position is out of range (deleted by
   * retention, or a position from the future). Default: `'latest'`.
   */
  offsetOutOfRange?: (topic: string, partition: number) => OffsetSpec
  /**
   * Messages older than this (by their timestamp) are handled as if the
   * position were out of range: the partition restarts where
   * `offsetOutOfRange` says. `undefined` or 0 disables it for the topic.
   */
  maxMessageAge?: (topic: string) => number | undefined
  /** Pause between retries after a fetch error. Default 100. */
  retryBackoffMs?: number
  /** Rack of this consumer, sent with fetches (KIP-392). Default ''. */
  rackId?: string
  /**
   * Incremental fetch sessions (KIP-227): requests name only partitions whose
   * position changed, and answers carry only partitions with news. Default
   * true, as in the Java client; a broker that grants no session (it answers
   * session id 0) gets full requests.
   */
  fetchSessions?: boolean
}

/** Options of {@link consumeGroup}. Durations in milliseconds. */
export interface ConsumeGroupOptions extends FetchOptions {
  /** The cluster client to use (the bound `kafka.consumeGroup` fills it in). */
  client: ClusterClient
  /** The consumer group to join (Kafka's `group.id`). */
  groupId: string
  /** The topics to subscribe to. */
  topics: readonly string[]
  /** The coordinator removes this member when it hears no heartbeat for this long. Default 30 000. */
  sessionTimeoutMs?: number
  /** How long a rebalance waits for members to rejoin; also how long revoked partitions may take to finish in-flight messages. Default 60 000. */
  rebalanceTimeoutMs?: number
  /** Default 3 000; keep it below a third of `sessionTimeoutMs`. */
  heartbeatIntervalMs?: number
  /** Assignors in order of preference. Default `[rangeAssignor, roundRobinAssignor]`. */
  assignors?: readonly GroupAssignor[]
  /** Static membership (KIP-345): a stable id that survives restarts without a rebalance. */
  groupInstanceId?: string
  /** Commit done offsets this often. Default 5 000. 0 commits only on revoke, on unsubscribe and on `commit()`. */
  commitIntervalMs?: number
  /** Without a committed offset, start from the earliest offset (`true`) or the latest (`false`). Default false. */
  fromBeginning?: boolean
  /**
   * Chooses where an assigned partition starts. `committed` is the group's
   * committed offset, or null when there is none. Default: `committed`, else
   * `fromBeginning ? 'earliest' : 'latest'`.
   */
  startingOffset?: (topic: string, partition: number, committed: bigint | null) => OffsetSpec
  /** `done()` on a message also marks every earlier message of its partition done. Default false. */
  inOrderDone?: boolean
  /**
   * Take part in the group, emit substreams, assignments and start offsets, but
   * fetch nothing: the caller fetches and reports progress with
   * `PartitionStream.markDoneUpTo`. Default false.
   */
  noMessages?: boolean
  /**
   * Side-channel offset topic (off by default). A member that gives up
   * partitions also publishes their commit points here, and a member that
   * starts partitions reads them, taking the newer of committed and
   * published. It helps where the coordinator refuses commits during a
   * rebalance (some brokers do), which would otherwise rewind the
   * hand-over to the last periodic commit. The topic should exist (or be
   * auto-created) and is shared by every group that names it.
   */
  sidechannelTopic?: string
}

/** Options of {@link consumePartitions}. */
export interface ConsumePartitionsOptions extends FetchOptions {
  /** The cluster client to use (the bound `kafka.consumePartitions` fills it in). */
  client: ClusterClient
  /** The topic to read. */
  topic: string
  /** Default: every partition of the topic. */
  partitions?: readonly number[]
  /** Where every partition starts. Default `'latest'`. A function chooses per partition. */
  from?: OffsetSpec | ((partition: number) => OffsetSpec)
}

/** Fetch options with every default filled in. */
export interface ResolvedFetchOptions {
  minBytes: number
  maxBytes: number
  maxPartitionBytes: number
  maxWaitMs: number
  maxUndoneMessages: number
  maxUndoneBytes: number
  isolationLevel: 0 | 1
  offsetOutOfRange: (topic: string, partition: number) => OffsetSpec
  maxMessageAge: ((topic: string) => number | undefined) | undefined
  retryBackoffMs: number
  rackId: string
  fetchSessions: boolean
}

const INT32_MAX = 0x7fffffff

/** Checks fetch options and fills in defaults. */
export function resolveFetchOptions(options: FetchOptions): ResolvedFetchOptions {
  checkInteger(CONSUMER_OPTIONS, 'minBytes', options.minBytes, 0, INT32_MAX)
  checkInteger(CONSUMER_OPTIONS, 'maxBytes', options.maxBytes, 1, INT32_MAX)
  checkInteger(CONSUMER_OPTIONS, 'maxPartitionBytes', options.maxPartitionBytes, 1, INT32_MAX)
  checkInteger(CONSUMER_OPTIONS, 'maxWaitMs', options.maxWaitMs, 0, INT32_MAX)
  checkInteger(CONSUMER_OPTIONS, 'maxUndoneMessages', options.maxUndoneMessages, 1)
  checkInteger(CONSUMER_OPTIONS, 'maxUndoneBytes', options.maxUndoneBytes, 1)
  checkInteger(CONSUMER_OPTIONS, 'retryBackoffMs', options.retryBackoffMs, 0, INT32_MAX)
  checkFunction(CONSUMER_OPTIONS, 'offsetOutOfRange', options.offsetOutOfRange)
  checkFunction(CONSUMER_OPTIONS, 'maxMessageAge', options.maxMessageAge)
  const isolation = options.isolationLevel ?? 'read_uncommitted'
  if (isolation !== 'read_uncommitted' && isolation !== 'read_committed') {
    throw new ConsumerOptionError('isolationLevel', `must be 'read_uncommitted' or 'read_committed', got ${JSON.stringify(isolation)}`, 'use one of the two Kafka isolation levels')
  }
  return {
    minBytes: options.minBytes ?? 1,
    maxBytes: options.maxBytes ?? 52_428_800,
    maxPartitionBytes: options.maxPartitionBytes ?? 1_048_576,
    maxWaitMs: options.maxWaitMs ?? 500,
    maxUndoneMessages: options.maxUndoneMessages ?? 2_000,
    maxUndoneBytes: options.maxUndoneBytes ?? 16 * 1024 * 1024,
    isolationLevel: isolation === 'read_committed' ? 1 : 0,
    offsetOutOfRange: options.offsetOutOfRange ?? (() => 'latest'),
    maxMessageAge: options.maxMessageAge,
    retryBackoffMs: options.retryBackoffMs ?? 100,
    rackId: options.rackId ?? '',
    fetchSessions: options.fetchSessions ?? true,
  }
}

/** Group options with every default filled in. */
export interface ResolvedGroupOptions {
  groupId: string
  topics: readonly string[]
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  heartbeatIntervalMs: number
  assignors: readonly GroupAssignor[]
  groupInstanceId: string | null
  commitIntervalMs: number
  startingOffset: (topic: string, partition: number, committed: bigint | null) => OffsetSpec
  inOrderDone: boolean
  noMessages: boolean
  /** The side channel, when `sidechannelTopic` is set and a writer was given. */
  sidechannel: SidechannelSettings | null
}

/** Checks group options and fills in defaults. */
export function resolveGroupOptions(
  options: ConsumeGroupOptions,
  defaultAssignors: readonly GroupAssignor[],
  sidechannelWriter?: SidechannelWriter,
): ResolvedGroupOptions {
  if (typeof options.groupId !== 'string' || options.groupId.length === 0) {
    throw new ConsumerOptionError('groupId', 'must be a non-empty string', 'name the consumer group, such as groupId: "billing"')
  }
  if (!Array.isArray(options.topics) || options.topics.length === 0 || options.topics.some((t) => typeof t !== 'string' || t.length === 0)) {
    throw new ConsumerOptionError('topics', 'must be a non-empty array of topic names', 'pass topics: ["orders", ...]')
  }
  checkInteger(CONSUMER_OPTIONS, 'sessionTimeoutMs', options.sessionTimeoutMs, 1, INT32_MAX)
  checkInteger(CONSUMER_OPTIONS, 'rebalanceTimeoutMs', options.rebalanceTimeoutMs, 1, INT32_MAX)
  checkInteger(CONSUMER_OPTIONS, 'heartbeatIntervalMs', options.heartbeatIntervalMs, 1, INT32_MAX)
  checkInteger(CONSUMER_OPTIONS, 'commitIntervalMs', options.commitIntervalMs, 0, INT32_MAX)
  checkFunction(CONSUMER_OPTIONS, 'startingOffset', options.startingOffset)
  const sessionTimeoutMs = options.sessionTimeoutMs ?? 30_000
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? Math.min(3_000, Math.floor(sessionTimeoutMs / 3))
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    throw new ConsumerOptionError(
      'heartbeatIntervalMs',
      `(${heartbeatIntervalMs}) must be below sessionTimeoutMs (${sessionTimeoutMs})`,
      'keep heartbeatIntervalMs at most a third of sessionTimeoutMs so a lost heartbeat or two does not end the session',
    )
  }
  const assignors = options.assignors ?? defaultAssignors
  if (assignors.length === 0 || assignors.some((a) => typeof a?.name !== 'string' || typeof a.assign !== 'function')) {
    throw new ConsumerOptionError('assignors', 'must be a non-empty array of assignors ({ name, assign })', 'pass e.g. [rangeAssignor] or leave it out')
  }
  checkName(CONSUMER_OPTIONS, 'groupInstanceId', options.groupInstanceId, 'use a name stable across restarts of this member, such as the host name')
  checkName(CONSUMER_OPTIONS, 'sidechannelTopic', options.sidechannelTopic, 'name the topic, or leave it out to turn the side channel off')
  if (options.sidechannelTopic !== undefined && sidechannelWriter === undefined) {
    throw new ConsumerOptionError('sidechannelTopic', 'needs a way to write to the topic, and this ConsumerGroup was made without one', "use consumeGroup from 'rxkafka', which writes the side channel with the producer")
  }
  const fromBeginning = options.fromBeginning ?? false
  const fallback: OffsetSpec = fromBeginning ? 'earliest' : 'latest'
  return {
    groupId: options.groupId,
    topics: [...new Set(options.topics)],
    sessionTimeoutMs,
    rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 60_000,
    heartbeatIntervalMs,
    assignors,
    groupInstanceId: options.groupInstanceId ?? null,
    commitIntervalMs: options.commitIntervalMs ?? 5_000,
    startingOffset: options.startingOffset ?? ((_t, _p, committed) => committed ?? fallback),
    inOrderDone: options.inOrderDone ?? false,
    noMessages: options.noMessages ?? false,
    sidechannel: options.sidechannelTopic === undefined ? null : { topic: options.sidechannelTopic, write: sidechannelWriter! },
  }
}
