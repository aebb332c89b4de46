/**
 * What the Kafka-speaking layers (producer, consumer, admin) need from a
 * cluster. It has one implementation, `KafkaCluster`; what answers its
 * requests is a `BrokerTransport` underneath (real sockets, the virtual
 * cluster of `rxkafka/testing`, or a spec's script). Requests are typed
 * messages in and typed messages out; the cluster view is an Observable.
 */
import type { Observable, SchedulerLike } from 'rxjs'
import type { ConnectionRole } from '../connection/broker-transport.js'
import type { DiagnosticsRegistry } from '../kit/diagnostics-registry.js'
import type { ApiDefinition } from '../protocol/api.js'
import type { ClusterView } from './cluster-view.js'

export type { ConnectionRole } from '../connection/broker-transport.js'

/** Options of one request through the cluster. */
export interface ClusterRequestOptions {
  /** Default: the cluster's requestTimeoutMs. */
  timeoutMs?: number
  /** Lowest acceptable version; the request fails when the broker only offers less. */
  minVersion?: number
  /** Highest version to use. */
  maxVersion?: number
  /** About how many bytes the encoded request takes, so its frame is not grown by doubling (see RequestOptions.sizeHint). */
  sizeHint?: number
  /**
   * Overrides the connection role, which the cluster otherwise derives from
   * the API (Produce on `produce`, Fetch on `fetch`, JoinGroup, SyncGroup,
   * OffsetCommit and OffsetFetch on `group`, the rest on `default`).
   */
  role?: ConnectionRole
  /**
   * Gives the request its own connection within the role, shared only by requests
   * with the same key. Two group members of one client must not share a `group`
   * connection: the broker answers one request per connection at a time, so one
   * member's SyncGroup, waiting for the other member, would hold back that
   * member's JoinGroup forever.
   */
  connectionKey?: string
}

/** A body, or a function that shapes it for the version chosen for this broker. */
export type ClusterRequestBody<Request> = Request | ((version: number) => Request)

/** Options of {@link ClusterClient.ensureTopics}. */
export interface EnsureTopicsOptions {
  /**
   * Scheduler time until which a failed Metadata request (no broker answered:
   * brokers still starting, a restart) is retried with backoff; the caller's
   * own deadline, such as a message's delivery timeout. Default: the start
   * plus the cluster's `topicWaitMs`.
   */
  retryUntil?: number
  /** Whether every partition must have a leader (default true); false: the topic and its partition count are enough. */
  requireLeaders?: boolean
}

/** The kind of coordinator FindCoordinator looks up. */
export type CoordinatorType = 'group' | 'transaction'

/** What producer, consumer and admin code needs from a cluster. */
export interface ClusterClient {
  /** The client id every request carries. */
  readonly clientId: string
  /** Time source for every timer of the client and the layers above; a TestScheduler in marble tests. */
  readonly scheduler: SchedulerLike
  /** The long-lived parts running on this client (producers, group members), for diagnostics. */
  readonly parts: DiagnosticsRegistry
  /**
   * The current view, then every new one. Subscribing bootstraps the cluster if
   * nothing has yet.
   */
  readonly metadata$: Observable<ClusterView>
  /** The latest view, without waiting (empty before bootstrap). */
  currentView(): ClusterView
  /**
   * Fetches metadata now, adding `topics` to the topics this client follows;
   * concurrent refreshes are coalesced. Emits the new view and completes.
   */
  refreshMetadata(topics?: readonly string[]): Observable<ClusterView>
  /**
   * Emits a view in which every topic exists and every partition has a leader
   * (with `requireLeaders: false`: has its partitions), refreshing (and letting
   * the broker auto-create where it allows) until then; errors with a typed
   * error after the topic wait time. A Metadata request no broker answered is
   * retried with backoff until `retryUntil` (default: the topic wait).
   */
  ensureTopics(topics: readonly string[], options?: EnsureTopicsOptions): Observable<ClusterView>
  /** Sends a request to a broker by node id (`'any'`: whichever broker is least busy). Emits the response once. */
  request<Request, Response>(
    broker: number | 'any',
    api: ApiDefinition<Request, Response>,
    body: ClusterRequestBody<Request>,
    options?: ClusterRequestOptions,
  ): Observable<Response>
  /** Sends a request that gets no answer (Produce with acks 0); emits once when written. */
  send<Request>(
    broker: number,
    api: ApiDefinition<Request, unknown>,
    body: ClusterRequestBody<Request>,
    options?: ClusterRequestOptions,
  ): Observable<void>
  /** The version a request of `api` to `broker` would use, once that broker's versions are known. */
  versionFor(broker: number, api: ApiDefinition<unknown, unknown>): number | undefined
  /**
   * The cluster's finalized features as `broker` announced them in ApiVersions
   * (name -> finalized max version level, e.g. `transaction.version` -> 2), once
   * a connection to it has negotiated; undefined before. Empty: none announced.
   */
  finalizedFeatures(broker: number): ReadonlyMap<string, number> | undefined
  /** The node id of the coordinator for a group or transactional id (cached until invalidated). */
  findCoordinator(type: CoordinatorType, key: string): Observable<number>
  /** Forgets a cached coordinator (after NOT_COORDINATOR or a connection error). */
  invalidateCoordinator(type: CoordinatorType, key: string): void
  /**
   * Keeps the cluster's sockets and timers alive while the returned Observable
   * is subscribed; when the last user unsubscribes they are released.
   */
  use<T>(work: () => Observable<T>): Observable<T>
  /**
   * Registers the graceful stop of a long-lived part (a group member's final
   * commit and LeaveGroup). `close()` runs every registered stop and waits for
   * them, bounded by its timeout, before it releases the sockets. Returns the
   * function that unregisters it (a part that stopped by itself calls it).
   */
  onClose(stop: () => Promise<void>): () => void
  /**
   * Stops every registered part gracefully (bounded by `timeoutMs`), then
   * releases every socket and timer. The client cannot be used afterwards.
   */
  close(options?: CloseOptions): Promise<void>
}

/** Options of `close()`. */
export interface CloseOptions {
  /**
   * How long to wait for the registered parts (group members committing and
   * leaving) before closing the sockets anyway. Default: the client's
   * `closeTimeoutMs` (10 000).
   */
  timeoutMs?: number
}
