/**
 * A scripted ClusterClient for the consumer's unit specs: every request is
 * recorded and answered by a handler per API; time is a VirtualTimeScheduler
 * the spec advances by hand, so heartbeats, commits and fetch waits run in
 * virtual time.
 */
import { DiagnosticsRegistry } from '../../lib/kit/diagnostics-registry.js'
import { BehaviorSubject, defer, map, Observable, of, throwError, timer, VirtualTimeScheduler } from 'rxjs'
import type { ClusterClient, ClusterRequestBody, ClusterRequestOptions } from '../../lib/cluster/cluster-client.js'
import type { ClusterView, TopicInfo } from '../../lib/cluster/cluster-view.js'
import type { ApiDefinition } from '../../lib/protocol/api.js'
import { RecordBatchBuilder } from '../../lib/protocol/records/record-batch-builder.js'

/** Versions the fake "broker" speaks, within the caps the consumer sets. */
const VERSIONS: Record<string, number> = {
  JoinGroup: 5,
  SyncGroup: 3,
  Heartbeat: 3,
  LeaveGroup: 2,
  OffsetFetch: 6,
  OffsetCommit: 7,
  ListOffsets: 5,
  Fetch: 11,
}

export interface RecordedRequest {
  api: string
  broker: number | 'any'
  version: number
  body: any
  at: number
}

/** A handler answers a request body with a response, an Error to fail it, or an Observable for a delayed answer. */
export type Handler = (body: any, version: number) => unknown

export class FakeCluster implements ClusterClient {
  readonly clientId = 'fake'
  readonly parts = new DiagnosticsRegistry()
  readonly scheduler = new VirtualTimeScheduler()
  readonly requests: RecordedRequest[] = []
  readonly handlers: Record<string, Handler> = {}
  coordinator = 1
  invalidations = 0
  users = 0
  private readonly view: BehaviorSubject<ClusterView>
  readonly metadata$: Observable<ClusterView>

  constructor(topics: Record<string, number>) {
    const infos = new Map<string, TopicInfo>()
    for (const [name, count] of Object.entries(topics)) {
      infos.set(name, {
        name,
        topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        isInternal: false,
        errorCode: 0,
        partitions: Array.from({ length: count }, (_, partition) => ({
          partition, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1], offlineReplicas: [], errorCode: 0,
        })),
      })
    }
    this.view = new BehaviorSubject<ClusterView>({
      clusterId: 'fake',
      controllerId: 1,
      brokers: new Map([[1, { nodeId: 1, host: 'localhost', port: 9092, rack: null }]]),
      topics: infos,
      receivedAt: 0,
    })
    this.metadata$ = this.view.asObservable()
  }

  /** Runs every timer due up to `ms` from now. */
  advance(ms: number): void {
    const target = this.scheduler.frame + ms
    this.scheduler.maxFrames = target
    this.scheduler.flush()
    // The clock stops at the last action it ran; time passes even when nothing is due.
    this.scheduler.frame = target
  }

  /** Timers still scheduled (heartbeats, commit intervals, fetch waits). */
  pendingTimers(): number {
    return this.scheduler.actions.length
  }

  of(api: string): RecordedRequest[] {
    return this.requests.filter((r) => r.api === api)
  }

  currentView(): ClusterView {
    return this.view.value
  }

  refreshMetadata(): Observable<ClusterView> {
    return of(this.view.value)
  }

  ensureTopics(): Observable<ClusterView> {
    return of(this.view.value)
  }

  request<Request, Response>(
    broker: number | 'any',
    api: ApiDefinition<Request, Response>,
    body: ClusterRequestBody<Request>,
    options: ClusterRequestOptions = {},
  ): Observable<Response> {
    return this.use(() =>
      defer(() => {
        const version = Math.min(VERSIONS[api.name] ?? api.maxVersion, options.maxVersion ?? api.maxVersion)
        const shaped = typeof body === 'function' ? (body as (v: number) => Request)(version) : body
        this.requests.push({ api: api.name, broker, version, body: shaped, at: this.scheduler.now() })
        const handler = this.handlers[api.name]
        if (handler === undefined) return throwError(() => new Error(`FakeCluster: no handler for ${api.name}`))
        const answer = handler(shaped, version)
        if (answer instanceof Error) return throwError(() => answer)
        if (answer instanceof Observable) return answer as Observable<Response>
        return of(answer as Response)
      }),
    )
  }

  send(): Observable<void> {
    return throwError(() => new Error('FakeCluster: send is not used by the consumer'))
  }

  versionFor(): number | undefined {
    return undefined
  }

  findCoordinator(): Observable<number> {
    return defer(() => of(this.coordinator))
  }

  invalidateCoordinator(): void {
    this.invalidations++
  }

  use<T>(work: () => Observable<T>): Observable<T> {
    return new Observable<T>((subscriber) => {
      this.users++
      const subscription = work().subscribe(subscriber)
      return () => {
        subscription.unsubscribe()
        this.users--
      }
    })
  }

  async close(): Promise<void> {}

  /** An answer that arrives after `ms` of virtual time. */
  later<T>(ms: number, value: T): Observable<T> {
    return timer(ms, this.scheduler).pipe(map(() => value))
  }
}

/** A v2 record batch whose first record has offset `baseOffset`. */
export function batchBytes(baseOffset: bigint, values: string[], options: { timestamp?: number; transactional?: boolean; producerId?: bigint } = {}): Buffer {
  const builder = new RecordBatchBuilder()
  for (const value of values) builder.append({ key: null, value, timestamp: options.timestamp ?? 1_000 })
  const sealed = builder.seal({ transactional: options.transactional ?? false, producerId: options.producerId ?? -1n, producerEpoch: options.producerId === undefined ? -1 : 0 })
  const bytes = Buffer.from(sealed.bytes)
  // The base offset is outside the CRC: a broker stamps it on append, and so do we.
  bytes.writeBigInt64BE(baseOffset, 0)
  return bytes
}
