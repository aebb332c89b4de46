/**
 * Where each admin request goes, and what happens when it went to the wrong
 * place. Four routes, as Kafka's own admin client has them:
 *
 * - the controller (CreateTopics, DeleteTopics, CreatePartitions, ACLs, SCRAM,
 *   IncrementalAlterConfigs of topics): the `controllerId` of the latest
 *   metadata. In KRaft any broker forwards these to the active controller and
 *   metadata names a live broker, so NOT_CONTROLLER only means the view is old;
 * - a group's coordinator (DescribeGroups, DeleteGroups, OffsetFetch,
 *   OffsetCommit, OffsetDelete) or a transactional id's (DescribeTransactions):
 *   lib/cluster/coordinators.ts, invalidated on NOT_COORDINATOR and the like;
 * - each partition's leader (ListOffsets, DeleteRecords, DescribeProducers):
 *   one request per leader, from metadata asked without auto-creation;
 * - any broker (Metadata, DescribeCluster, DescribeConfigs of topics) or every
 *   broker (ListGroups, ListTransactions, ApiVersions).
 *
 * Items whose answer is a routing error are sent again (only they), after a
 * backoff from lib/kit and fresh metadata; a whole request that fails on the
 * connection or times out is sent again the same way. Everything else is the
 * item's answer: the caller gets it as a per-item error.
 */
import { catchError, defer, forkJoin, map, type Observable, of, switchMap, throwError, timer } from 'rxjs'
import type { ClusterClient, ClusterRequestBody, CoordinatorType } from '../cluster/cluster-client.js'
import type { ClusterView } from '../cluster/cluster-view.js'
import { brokerError, KafkaBrokerError, RxKafkaError } from '../errors/index.js'
import { backoffDelay } from '../kit/backoff.js'
import type { ApiDefinition } from '../protocol/api.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { MetadataApi, type MetadataResponse } from '../protocol/messages/Metadata.js'
import { ZERO_UUID } from '../protocol/primitives.js'
import type { AdminItemFailed, AdminItemOk, AdminOptions, TopicPartition } from './admin-types.js'

/** Broker error codes that mean "ask again, elsewhere or a little later", not "this item failed". */
export const ROUTING_ERROR_CODES: ReadonlySet<number> = new Set([
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.NOT_CONTROLLER,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.THROTTLING_QUOTA_EXCEEDED,
])

/** Codes after which the coordinator must be looked up again. */
const COORDINATOR_MOVED: ReadonlySet<number> = new Set([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE])

/** Whether a thrown error is worth sending the same request again for. */
export function isRoutingFailure(error: unknown): boolean {
  if (error instanceof KafkaBrokerError) return ROUTING_ERROR_CODES.has(error.errorCode)
  return error instanceof RxKafkaError && (error.code === 'CONNECTION' || error.code === 'REQUEST_TIMEOUT')
}

/** One item's answer: an error code (0: none) and, when it succeeded, what the caller reads. */
export interface ItemAnswer<Out> {
  errorCode: number
  errorMessage?: string | null | undefined
  value?: Out
}

/** The settled answer of every item, by its key. */
export type ItemAnswers<Out> = Map<string, ItemAnswer<Out>>

/** The key of a topic-partition in item maps. */
export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`

export class AdminRouter {
  readonly retries: number
  readonly retryBackoffMs: number
  readonly timeoutMs: number

  constructor(
    readonly client: ClusterClient,
    options: AdminOptions = {},
  ) {
    this.retries = options.retries ?? 5
    this.retryBackoffMs = options.retryBackoffMs ?? 100
    this.timeoutMs = options.timeoutMs ?? 30_000
  }

  /** The delay before retry round `round` (1 for the first retry). */
  delay(round: number): Observable<0> {
    return timer(backoffDelay(round - 1, { initialMs: this.retryBackoffMs, maxMs: 5_000, jitter: 0.2 }), this.client.scheduler)
  }

  /**
   * Sends `items` in rounds. Each round `send(pending, round)` answers per item
   * (by `keyOf`); items answered with a routing error, and every item of a
   * round whose request failed on the connection, go again in the next round,
   * up to `retries` rounds. Items the broker did not mention are answered
   * UNKNOWN_SERVER_ERROR, so no item is ever missing from the result.
   */
  rounds<Item, Out>(
    items: readonly Item[],
    keyOf: (item: Item) => string,
    send: (pending: readonly Item[], round: number) => Observable<ItemAnswers<Out>>,
  ): Observable<ItemAnswers<Out>> {
    return defer(() => {
      const settled: ItemAnswers<Out> = new Map()
      const round = (pending: readonly Item[], n: number): Observable<ItemAnswers<Out>> =>
        send(pending, n).pipe(
          catchError((error: unknown) => (isRoutingFailure(error) && n < this.retries ? of(undefined) : throwError(() => error))),
          switchMap((answers) => {
            const again: Item[] = []
            for (const item of pending) {
              const key = keyOf(item)
              const answer = answers?.get(key)
              if (answers === undefined || (answer !== undefined && ROUTING_ERROR_CODES.has(answer.errorCode) && n < this.retries)) {
                again.push(item)
              } else {
                settled.set(key, answer ?? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'the answer did not mention it' })
              }
            }
            if (again.length === 0) return of(settled)
            return this.delay(n + 1).pipe(switchMap(() => round(again, n + 1)))
          }),
        )
      return items.length === 0 ? of(settled) : round(items, 0)
    })
  }

  /** One request whose answer is one thing; sent again after routing failures (thrown by `read`, or by the connection). */
  once<T>(attempt: (round: number) => Observable<T>): Observable<T> {
    const run = (n: number): Observable<T> =>
      defer(() => attempt(n)).pipe(
        catchError((error: unknown) =>
          isRoutingFailure(error) && n < this.retries ? this.delay(n + 1).pipe(switchMap(() => run(n + 1))) : throwError(() => error),
        ),
      )
    return run(0)
  }

  /** The cluster view with brokers in it: the current one, or fresh when asked to or when none is known yet. */
  view(fresh: boolean): Observable<ClusterView> {
    const current = this.client.currentView()
    return fresh || current.brokers.size === 0 ? this.client.refreshMetadata() : of(current)
  }

  /** A request to the controller; from round 1 on, the controller comes from fresh metadata. */
  toController<Request, Response>(api: ApiDefinition<Request, Response>, body: ClusterRequestBody<Request>, round: number): Observable<Response> {
    return this.view(round > 0).pipe(
      switchMap((view) => this.client.request(view.controllerId >= 0 ? view.controllerId : 'any', api, body)),
    )
  }

  /** A request to one broker by id (or any); the cluster view is fetched first when it has no brokers yet, or fresh from round 1 on. */
  toBroker<Request, Response>(broker: number | 'any', api: ApiDefinition<Request, Response>, body: ClusterRequestBody<Request>, round: number): Observable<Response> {
    return this.view(round > 0).pipe(switchMap(() => this.client.request(broker, api, body)))
  }

  /** A request to any broker (the least busy one). */
  toAny<Request, Response>(api: ApiDefinition<Request, Response>, body: ClusterRequestBody<Request>): Observable<Response> {
    return this.client.request('any', api, body)
  }

  /** One request to every broker of the cluster, answers by broker id. */
  toEveryBroker<Request, Response>(api: ApiDefinition<Request, Response>, body: ClusterRequestBody<Request>): Observable<Map<number, Response>> {
    return this.view(false).pipe(
      switchMap((view) => {
        const ids = [...view.brokers.keys()].sort((a, b) => a - b)
        return forkJoin(ids.map((id) => this.once(() => this.client.request(id, api, body)).pipe(map((r) => [id, r] as const))))
      }),
      map((pairs) => new Map(pairs)),
    )
  }

  /**
   * A request to the coordinator of a group or transactional id. `errorOf`
   * reads the answer's error for `key`: a coordinator error invalidates the
   * cached coordinator and is thrown, so `once` or `rounds` asks again.
   */
  toCoordinator<Request, Response>(
    type: CoordinatorType,
    key: string,
    api: ApiDefinition<Request, Response>,
    body: ClusterRequestBody<Request>,
    errorOf: (response: Response) => number,
  ): Observable<Response> {
    return this.client.findCoordinator(type, key).pipe(
      switchMap((coordinator) =>
        this.client.request(coordinator, api, body).pipe(
          catchError((error: unknown) => {
            if (error instanceof RxKafkaError && error.code === 'CONNECTION') this.client.invalidateCoordinator(type, key)
            return throwError(() => error)
          }),
        ),
      ),
      map((response) => {
        const code = errorOf(response)
        if (ROUTING_ERROR_CODES.has(code)) {
          if (COORDINATOR_MOVED.has(code)) this.client.invalidateCoordinator(type, key)
          throw brokerError(code, { api: api.name })
        }
        return response
      }),
    )
  }

  /**
   * Metadata of `topics` (null: every topic), asked of any broker with
   * auto-creation off: admin calls and read-only commands never create a
   * topic by looking at it.
   */
  metadata(topics: readonly string[] | null): Observable<MetadataResponse> {
    return this.view(false).pipe(
      switchMap(() =>
        this.once(() =>
          this.toAny(MetadataApi, () => ({
            topics: topics === null ? null : topics.map((name) => ({ name, topicId: ZERO_UUID })),
            allowAutoTopicCreation: false,
            includeTopicAuthorizedOperations: false,
          })),
        ),
      ),
    )
  }

  /**
   * Sends partition items to their leaders, one request per leader, in rounds
   * (a partition whose leader moved is asked of the new one). Partitions of
   * topics the cluster does not have are answered UNKNOWN_TOPIC_OR_PARTITION
   * without a request.
   */
  toLeaders<Item extends TopicPartition, Out>(
    items: readonly Item[],
    send: (leader: number, items: readonly Item[]) => Observable<ItemAnswers<Out>>,
  ): Observable<ItemAnswers<Out>> {
    return this.rounds(items, (i) => tpKey(i.topic, i.partition), (pending, round) =>
      (round > 0 ? this.client.refreshMetadata() : this.view(false)).pipe(
        switchMap(() => this.metadata([...new Set(pending.map((i) => i.topic))])),
        switchMap((metadata) => {
          const answers: ItemAnswers<Out> = new Map()
          const byLeader = new Map<number, Item[]>()
          for (const item of pending) {
            const topic = metadata.topics.find((t) => t.name === item.topic)
            const partition = topic?.partitions.find((p) => p.partitionIndex === item.partition)
            if (topic === undefined || topic.errorCode !== 0 || partition === undefined) {
              const code = topic !== undefined && topic.errorCode !== 0 ? topic.errorCode : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
              answers.set(tpKey(item.topic, item.partition), { errorCode: code })
            } else if (partition.leaderId < 0) {
              answers.set(tpKey(item.topic, item.partition), { errorCode: ErrorCode.LEADER_NOT_AVAILABLE })
            } else {
              const list = byLeader.get(partition.leaderId) ?? []
              list.push(item)
              byLeader.set(partition.leaderId, list)
            }
          }
          if (byLeader.size === 0) return of(answers)
          return forkJoin(
            [...byLeader].map(([leader, list]) =>
              send(leader, list).pipe(
                // A leader that cannot be reached: its partitions go again, the other leaders' answers stand.
                catchError((error: unknown) =>
                  isRoutingFailure(error)
                    ? of(new Map(list.map((i) => [tpKey(i.topic, i.partition), { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER } as ItemAnswer<Out>])))
                    : throwError(() => error),
                ),
              ),
            ),
          ).pipe(
            map((perLeader) => {
              for (const part of perLeader) for (const [k, v] of part) answers.set(k, v)
              return answers
            }),
          )
        }),
      ),
    )
  }
}

/** An item's answer as the caller sees it: its facts, or its typed error. */
export function settle<Key extends object, Value extends object>(
  key: Key,
  answer: ItemAnswer<Value> | undefined,
  where: { api: string; topic?: string; partition?: number },
): (Key & AdminItemOk & Value) | (Key & AdminItemFailed) {
  if (answer !== undefined && answer.errorCode === 0 && answer.value !== undefined) return { ...key, ok: true, ...answer.value }
  const code = answer === undefined ? ErrorCode.UNKNOWN_SERVER_ERROR : answer.errorCode === 0 ? ErrorCode.UNKNOWN_SERVER_ERROR : answer.errorCode
  return { ...key, ok: false, error: brokerError(code, { ...where, errorMessage: answer?.errorMessage ?? null }) }
}

