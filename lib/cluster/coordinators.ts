/**
 * The cluster's group and transaction coordinators: looked up with
 * FindCoordinator (batched keys in v4+, KIP-699), retried with the shared
 * backoff while the answer is retriable, and cached until invalidated or
 * until a connection to that broker fails.
 */
import { defer, map, type Observable, of, retry, type SchedulerLike, throwError, timer } from 'rxjs'
import type { BrokerAddress } from '../connection/broker-transport.js'
import { brokerError, RxKafkaError } from '../errors/index.js'
import { backoffDelay } from '../kit/backoff.js'
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../protocol/messages/FindCoordinator.js'
import type { CoordinatorType } from './cluster-client.js'

/** A coordinator the client knows (cached), as its diagnostics show it. */
export interface CoordinatorDiagnostics {
  /** Whether it coordinates a group or a transactional id. */
  type: CoordinatorType
  /** The group id or transactional id. */
  key: string
  /** The coordinator's broker id. */
  nodeId: number
}

/** What the cache needs from its cluster. */
export interface CoordinatorLookup {
  /** Sends FindCoordinator to any broker. */
  ask(body: (version: number) => FindCoordinatorRequest): Observable<FindCoordinatorResponse>
  /** A coordinator's address, which metadata may not list yet. */
  learned(address: BrokerAddress): void
  scheduler: SchedulerLike
  retryBackoffMs: number
}

/** Lookups before a retriable error is given up. */
const LOOKUP_RETRIES = 10

export class Coordinators {
  private readonly cache = new Map<string, CoordinatorDiagnostics>()

  constructor(private readonly lookup: CoordinatorLookup) {}

  /** The coordinator's node id: cached, or looked up (retriable errors are retried after 100, 200, 400 ... ms, at most 5 s). */
  find(type: CoordinatorType, key: string): Observable<number> {
    return defer(() => {
      const cached = this.cache.get(`${type}:${key}`)
      if (cached !== undefined) return of(cached.nodeId)
      return this.ask(type, key).pipe(
        retry({
          count: LOOKUP_RETRIES,
          delay: (error: unknown, attempt) =>
            error instanceof RxKafkaError && error.retriable
              ? timer(backoffDelay(attempt - 1, { initialMs: this.lookup.retryBackoffMs, maxMs: 5_000, jitter: 0 }), this.lookup.scheduler)
              : throwError(() => error),
        }),
      )
    })
  }

  invalidate(type: CoordinatorType, key: string): void {
    this.cache.delete(`${type}:${key}`)
  }

  /** Forgets every coordinator on `broker`, as a client marks a coordinator unknown when its connection drops. */
  forgetAt(broker: number): void {
    for (const [key, entry] of this.cache) if (entry.nodeId === broker) this.cache.delete(key)
  }

  snapshot(): CoordinatorDiagnostics[] {
    return [...this.cache.values()]
  }

  private ask(type: CoordinatorType, key: string): Observable<number> {
    const keyType = type === 'group' ? 0 : 1
    // v4+ (KIP-699) looks up a list of keys; older versions one key.
    return this.lookup.ask((version) => (version >= 4 ? { keyType, coordinatorKeys: [key] } : { key, keyType })).pipe(
      map((response) => {
        const entry =
          response.coordinators !== undefined && response.coordinators.length > 0
            ? response.coordinators[0]!
            : {
                errorCode: response.errorCode ?? 0,
                errorMessage: response.errorMessage ?? null,
                nodeId: response.nodeId ?? -1,
                host: response.host ?? '',
                port: response.port ?? -1,
              }
        if (entry.errorCode !== 0) {
          throw brokerError(entry.errorCode, { api: 'FindCoordinator', errorMessage: entry.errorMessage })
        }
        this.lookup.learned({ nodeId: entry.nodeId, host: entry.host, port: entry.port })
        this.cache.set(`${type}:${key}`, { type, key, nodeId: entry.nodeId })
        return entry.nodeId
      }),
    )
  }
}

