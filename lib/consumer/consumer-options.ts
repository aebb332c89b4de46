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

import type { OffsetChoice, OffsetSpec } from './offset-spec.js'
import { statelessPattern, type TopicSelector } from './topic-subscription.js'

export type { OffsetAtTime, OffsetChoice, OffsetSpec } from './offset-spec.js'

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
   * A partition's substream emits at most this many messages ahead of
   * `done()`: the rest of a fetch answer waits in the partition's delivery
   * cursor, and the partition is fetched again only when the window has room
   * and the cursor runs low (below half of this). Default 500 (a fetch also
   * asks for no more than the window leaves room for); see docs/consumer.md,
   * "Backpressure and memory".
   */
  maxUndoneMessages?: number
  /** A partition is fetched only while its un-done messages hold fewer bytes (keys plus values) than this. Default 16 MiB. */
  maxUndoneBytes?: number
  /** `'read_committed'` skips aborted transactional data. Default `'read_uncommitted'`. */
  isolationLevel?: 'read_uncommitted' | 'read_committed'
  /**
   * Where to go when a partition's position is out of range (deleted by
   * retention, or a position from the future). Default: `'latest'`. May
   * answer later: a Promise or an Observable (its first value).
   */
  offsetOutOfRange?: (topic: string, partition: number) => OffsetChoice
  /**
   * Messages older than this (by their timestamp) are handled as if the
   * position were out of range: the partition restarts where
   * `offsetOutOfRange` says. `undefined` or 0 disables it for the topic.
   */
  maxMessageAge?: (topic: string) => number | undefined
  /**
   * A batch whose records cannot be decompressed or decoded: `'error'`
   * (default) errors the partition's substream with a CorruptRecordError naming
   * topic, partition and offset; `'skip'` reports it on `errors$` (a
   * CORRUPT_RECORD error naming the offsets skipped) and reads on after it. A
   * batch whose header itself does not decode has no known end and always
   * errors the substream.
   */
  undecodableBatch?: 'error' | 'skip'
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

/** The two group protocols: classic (JoinGroup/SyncGroup) and consumer (KIP-848). */
export type GroupProtocol = 'classic' | 'consumer'

/** The server-side assignors of Apache Kafka's consumer group protocol. */
export type ServerAssignor = 'uniform' | 'range'

/** Options of {@link consumeGroup}. Durations in milliseconds. */
export interface ConsumeGroupOptions extends FetchOptions {
  /** The cluster client to use (the bound `kafka.consumeGroup` fills it in). */
  client: ClusterClient
  /** The consumer group to join (Kafka's `group.id`). */
  groupId: string
  /**
   * The topics to subscribe to: names, regular expressions, or both (a lone
   * RegExp is a list of one). A name must exist (the member waits for it and
   * fails when it does not come). A RegExp subscribes to every topic whose
   * name it matches (`test`, so anchor it with `^`/`$` for a whole-name
   * match), checked when the member starts and again every `topicRefreshMs`;
   * when the matched set changes the member rejoins and the leader assigns
   * the new subscription. A pattern never matches internal topics
   * (`__consumer_offsets`, `__transaction_state`, any name starting with
   * `__`): name them to read them. With `groupProtocol: 'consumer'` the
   * broker matches instead (see `topicRegex`): RegExps there must all be
   * patterns (no names beside them), without flags other than `u`, `g`, `y`,
   * and in the syntax RE2/J shares with JavaScript (no lookaround, no
   * backreferences); or leave `topics` out (or empty) and pass `topicRegex`.
   *
   * @example
   * ```ts
   * // Every topic named orders-<region>, including regions added later, plus 'refunds'.
   * kafka.consumeGroup({ groupId: 'billing', topics: [/^orders-[a-z]+$/, 'refunds'], topicRefreshMs: 10_000 })
   * ```
   */
  topics: RegExp | readonly (string | RegExp)[]
  /**
   * With a RegExp in `topics` (classic protocol): how often the member lists
   * the cluster's topics to match them again. Default 30 000 (the Java client
   * checks every `metadata.max.age.ms`, 5 minutes; a topic created for a
   * running pattern consumer should not wait that long). 0 matches only at
   * start.
   */
  topicRefreshMs?: number
  /**
   * The group protocol. `'classic'` (the default): JoinGroup/SyncGroup, the
   * assignment computed by a member with `assignors`. `'consumer'`: the
   * protocol of KIP-848 (Apache Kafka 4.0+), the broker assigns with
   * `serverAssignor`, members heartbeat with ConsumerGroupHeartbeat, and a
   * rebalance moves only the partitions that change owner while everyone else
   * goes on reading. Under `'consumer'` the broker decides the session timeout
   * and heartbeat interval (`group.consumer.*` settings); `sessionTimeoutMs`
   * only bounds how long the member goes on without a successful heartbeat
   * before it gives up its partitions and rejoins, and `assignors` is not used.
   */
  groupProtocol?: GroupProtocol
  /** With `groupProtocol: 'consumer'`: the broker's assignor, `'uniform'` or `'range'`. Default: the broker's default (`uniform` in Kafka 4). */
  serverAssignor?: ServerAssignor
  /**
   * With `groupProtocol: 'consumer'`: subscribe to every topic whose name
   * matches this regular expression, evaluated by the broker (RE2/J syntax,
   * KIP-848), instead of `topics`. Topics created later that match are
   * assigned as well.
   */
  topicRegex?: string
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
   * `fromBeginning ? 'earliest' : 'latest'`. `{ timestamp: ms }` starts at
   * the first message at or after that time (ListOffsets by time). May answer
   * later: a Promise or an Observable (its first value); the partition starts
   * when it does.
   */
  startingOffset?: (topic: string, partition: number, committed: bigint | null) => OffsetChoice
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
  /**
   * Where every partition starts: a bigint offset, `'earliest'`, `'latest'`
   * (default) or `{ timestamp: ms }`. A function chooses per partition (and
   * may answer with a Promise or an Observable).
   */
  from?: OffsetSpec | ((partition: number) => OffsetChoice)
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
  offsetOutOfRange: (topic: string, partition: number) => OffsetChoice
  maxMessageAge: ((topic: string) => number | undefined) | undefined
  undecodableBatch: 'error' | 'skip'
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
  const undecodableBatch = options.undecodableBatch ?? 'error'
  if (undecodableBatch !== 'error' && undecodableBatch !== 'skip') {
    throw new ConsumerOptionError('undecodableBatch', `must be 'error' or 'skip', got ${JSON.stringify(undecodableBatch)}`, "leave it out to stop at such a batch, or pass 'skip' to step past it with a warning on errors$")
  }
  const isolation = options.isolationLevel ?? 'read_uncommitted'
  if (isolation !== 'read_uncommitted' && isolation !== 'read_committed') {
    throw new ConsumerOptionError('isolationLevel', `must be 'read_uncommitted' or 'read_committed', got ${JSON.stringify(isolation)}`, 'use one of the two Kafka isolation levels')
  }
  return {
    minBytes: options.minBytes ?? 1,
    maxBytes: options.maxBytes ?? 52_428_800,
    maxPartitionBytes: options.maxPartitionBytes ?? 1_048_576,
    maxWaitMs: options.maxWaitMs ?? 500,
    maxUndoneMessages: options.maxUndoneMessages ?? 500,
    maxUndoneBytes: options.maxUndoneBytes ?? 16 * 1024 * 1024,
    isolationLevel: isolation === 'read_committed' ? 1 : 0,
    offsetOutOfRange: options.offsetOutOfRange ?? (() => 'latest'),
    maxMessageAge: options.maxMessageAge,
    undecodableBatch,
    retryBackoffMs: options.retryBackoffMs ?? 100,
    rackId: options.rackId ?? '',
    fetchSessions: options.fetchSessions ?? true,
  }
}

/** Group options with every default filled in. */
export interface ResolvedGroupOptions {
  groupId: string
  /** The named topics (with `topicPatterns`: only the names; the member matches the rest). */
  topics: readonly string[]
  /** The RegExps of `topics` (classic protocol; under 'consumer' they become `topicRegex`), made stateless. */
  topicPatterns: readonly RegExp[]
  /** How often a member with `topicPatterns` matches them again; 0: only at start. */
  topicRefreshMs: number
  protocol: GroupProtocol
  /** The server-side assignor to ask for (consumer protocol), null for the broker's default. */
  serverAssignor: ServerAssignor | null
  /** The server-side subscription regex (consumer protocol), null when subscribing by `topics`. */
  topicRegex: string | null
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  heartbeatIntervalMs: number
  assignors: readonly GroupAssignor[]
  groupInstanceId: string | null
  commitIntervalMs: number
  startingOffset: (topic: string, partition: number, committed: bigint | null) => OffsetChoice
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
  const protocol = resolveGroupProtocol(options)
  const selectors: unknown = options.topics instanceof RegExp ? [options.topics] : options.topics
  const explicitRegex = protocol === 'consumer' ? options.topicRegex ?? null : null
  const noTopics = explicitRegex !== null && (selectors === undefined || (Array.isArray(selectors) && selectors.length === 0))
  if (!noTopics && (!Array.isArray(selectors) || selectors.length === 0 || selectors.some((t) => !(t instanceof RegExp) && (typeof t !== 'string' || t.length === 0)))) {
    throw new ConsumerOptionError('topics', 'must be a non-empty array of topic names or RegExps (or one RegExp)', 'pass topics: ["orders", ...] or topics: /^orders-/')
  }
  const list = noTopics ? [] : (selectors as readonly TopicSelector[])
  const names = list.filter((t): t is string => typeof t === 'string')
  const patterns = list.filter((t): t is RegExp => t instanceof RegExp).map(statelessPattern)
  checkInteger(CONSUMER_OPTIONS, 'topicRefreshMs', options.topicRefreshMs, 0, INT32_MAX)
  const topicRegex = protocol === 'consumer' && patterns.length > 0 ? serverSideRegex(names, patterns) : explicitRegex
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
    topics: protocol === 'consumer' && patterns.length > 0 ? [] : [...new Set(names)],
    topicPatterns: protocol === 'consumer' ? [] : patterns,
    topicRefreshMs: options.topicRefreshMs ?? 30_000,
    protocol,
    serverAssignor: options.serverAssignor ?? null,
    topicRegex,
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

/** Checks `groupProtocol`, `serverAssignor` and `topicRegex`, which belong together. */
function resolveGroupProtocol(options: ConsumeGroupOptions): GroupProtocol {
  const protocol = options.groupProtocol ?? 'classic'
  if (protocol !== 'classic' && protocol !== 'consumer') {
    throw new ConsumerOptionError('groupProtocol', `must be 'classic' or 'consumer', got ${JSON.stringify(protocol)}`, "leave it out for the classic protocol, or pass 'consumer' for KIP-848 (Kafka 4.0+)")
  }
  const assignor = options.serverAssignor
  if (assignor !== undefined && assignor !== 'uniform' && assignor !== 'range') {
    throw new ConsumerOptionError('serverAssignor', `must be 'uniform' or 'range', got ${JSON.stringify(assignor)}`, 'use one of the assignors Apache Kafka ships, or leave it out for the broker default')
  }
  const regex = options.topicRegex
  if (regex !== undefined && (typeof regex !== 'string' || regex.length === 0)) {
    throw new ConsumerOptionError('topicRegex', 'must be a non-empty string', 'pass a regular expression in RE2/J syntax, such as topicRegex: "orders-.*"')
  }
  if (protocol === 'classic' && (assignor !== undefined || regex !== undefined)) {
    const name = assignor !== undefined ? 'serverAssignor' : 'topicRegex'
    throw new ConsumerOptionError(name, "works only with groupProtocol: 'consumer' (the broker assigns and matches topics there)", "add groupProtocol: 'consumer', or use assignors and topics with the classic protocol")
  }
  if (regex !== undefined && (options.topics instanceof RegExp || (Array.isArray(options.topics) && options.topics.length > 0))) {
    throw new ConsumerOptionError('topicRegex', 'cannot be combined with topics: a member subscribes either by names or by a regular expression', 'pass one of the two')
  }
  return protocol
}

/**
 * RegExps of `topics` under the consumer protocol, as the one RE2/J pattern
 * the broker matches. The broker matches whole names (Java's `matches`) where
 * JavaScript's `test` finds, so each pattern is wrapped in `.*(?:...).*`.
 * Only what both syntaxes read alike passes: no flags that change matching,
 * no lookaround, no backreferences, no named groups; names beside patterns
 * are refused (the broker would treat a missing name as an empty match, the
 * classic member fails on it).
 */
function serverSideRegex(names: readonly string[], patterns: readonly RegExp[]): string {
  if (names.length > 0) {
    throw new ConsumerOptionError('topics', `mixes names (${names.join(', ')}) and RegExps, which groupProtocol 'consumer' cannot send together`, 'fold the names into the RegExp (such as /^(orders|refunds)$/), or use the classic protocol')
  }
  for (const p of patterns) {
    const flags = p.flags.replace(/[guy]/g, '')
    if (flags !== '') {
      throw new ConsumerOptionError('topics', `RegExp /${p.source}/${p.flags} has flags (${flags}) the broker's RE2/J matching cannot honour`, "drop the flags (write case-insensitivity as [Oo]rders), or use the classic protocol, which matches in the client")
    }
    if (/\(\?(?:[=!]|<[=!]|<[A-Za-z])|\\[1-9]|\\k<|\\[cu]/.test(p.source)) {
      throw new ConsumerOptionError('topics', `RegExp /${p.source}/ uses lookaround, backreferences, named groups or \\c/\\u escapes, which the broker's RE2/J matching does not read as JavaScript does`, 'write it with plain groups, classes and alternation, or use the classic protocol, which matches in the client')
    }
  }
  return patterns.map((p) => `.*(?:${p.source}).*`).join('|')
}
