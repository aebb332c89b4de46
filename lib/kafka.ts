/**
 * `createKafka`: one client object that binds the producer and consumer
 * operators to a cluster, so users write `kafka.produceTo('orders')` and
 * `kafka.consumeGroup({...})`. The standalone forms take the client in their
 * options instead.
 */
import { distinctUntilChanged, map, Observable, timer, type OperatorFunction } from 'rxjs'
import { createAdmin, type Admin } from './admin/admin.js'
import type { CloseOptions, ClusterClient } from './cluster/cluster-client.js'
import type { ClusterView } from './cluster/cluster-view.js'
import { KafkaCluster, type ClusterConfig, type ClusterDiagnostics } from './cluster/kafka-cluster.js'
import { consumeGroup } from './consume-group.js'
import { ConsumerGroup, consumerGroupDiagnostics } from './consumer/consume-group.js'
import { consumePartitions, type PartitionReader } from './consumer/consume-partitions.js'
import { consumeShareGroup, ShareGroupConsumer, type ConsumeShareGroupOptions } from './consumer/share-group/index.js'
import type { ConsumeGroupOptions, ConsumePartitionsOptions } from './consumer/consumer-options.js'
import type { GroupMemberDiagnostics } from './consumer/member-diagnostics.js'
import { producerDiagnostics, type ProducerDiagnostics } from './producer/diagnostics.js'
import { flushProducers } from './producer/flush.js'
import type { ProducerOptions, ProducerOptionsWithClient, ProducerSettings, RequiredSerializers } from './producer/options.js'
import { produce, produceTo } from './producer/produce-to.js'
import { send } from './producer/send.js'
import { checkInteger } from './kit/options.js'
import { ratesOf, type KafkaRates } from './kafka-rates.js'
import { toPrometheus } from './prometheus.js'
import type { ProducerMessage, ProducerResult, TopicProducerMessage } from './producer/types.js'
import type { TransactionalProducerOptions } from './producer/transaction-manager.js'
import { transaction, type TransactionContext } from './transactions/transaction.js'
import type { PartitionStream } from './consumer/partition-stream.js'
import { transactionalWindow, type TransactionalWindowOptions, type TransactionalWindowResult, type WindowTransform } from './transactions/transactionalWindow.js'

/**
 * Settings of a client: the bootstrap brokers and everything about connections.
 *
 * @example
 * ```ts
 * const kafka = createKafka({ brokers: ['localhost:9092'], clientId: 'billing' })
 * ```
 */
export type KafkaConfig = ClusterConfig

/** A client over any {@link ClusterClient}, such as the virtual cluster of `rxkafka/testing`. */
export interface KafkaOnClient {
  /** The cluster to use: a `ClusterClient` such as the virtual cluster of `rxkafka/testing`. */
  client: ClusterClient
}

/** Every long-lived part of a client, with its state: see "Reading diagnostics" in the README. */
export interface KafkaDiagnostics {
  /** Connections and the metadata refresher (a virtual cluster has them too; absent only for a ClusterClient that is not a KafkaCluster). */
  cluster: ClusterDiagnostics | undefined
  /** Each running producer: accumulators, per-broker senders, breakers, buffered bytes. */
  producers: ProducerDiagnostics[]
  /** Each running consumer-group member: state, generation, per-partition position, lag, un-done messages. */
  consumers: GroupMemberDiagnostics[]
}

/**
 * A Kafka client. Nothing connects until something is subscribed; when the
 * last stream ends, sockets and timers are released. `close()` ends it for good.
 */
export interface Kafka {
  /** The cluster underneath: metadata, requests, coordinators. */
  readonly cluster: ClusterClient
  /** The cluster view, refreshed on a period and on errors. Subscribing bootstraps. */
  readonly metadata$: Observable<ClusterView>
  /**
   * The admin client on this client's cluster: topics, configs, groups, offsets, records, ACLs (docs/admin.md).
   *
   * @example
   * ```ts
   * await kafka.admin.createTopics([{ name: 'orders', partitions: 3 }])
   * ```
   */
  readonly admin: Admin
  /**
   * Produces every message of the source to `topic`; emits one result per message.
   * Keys and values are Buffer, string or null, or any type for which the
   * options give a `keySerializer`/`valueSerializer` ({@link RequiredSerializers}).
   *
   * @example
   * ```ts
   * orders$.pipe(
   *   map(o => ({ key: o.customerId, value: JSON.stringify(o) })),
   *   kafka.produceTo('orders', { acks: 'all', compression: 'lz4', lingerMs: 5 }),
   * ).subscribe(r => console.log(r.partition, r.offset))
   *
   * orders$.pipe(
   *   map(o => ({ key: o.customerId, value: o })),
   *   kafka.produceTo('orders', { valueSerializer: (o: Order) => JSON.stringify(o) }),
   * ).subscribe()
   * ```
   */
  produceTo<M = unknown, K = Buffer | string | null, V = Buffer | string | null>(
    topic: string,
    options: ProducerOptions<K, V>,
  ): OperatorFunction<ProducerMessage<M, K, V>, ProducerResult<M>>
  /**
   * {@link Kafka.produceTo} for keys and values that are already Buffer, string or null; options are optional.
   *
   * @example
   * ```ts
   * lines$.pipe(map(line => ({ value: line })), kafka.produceTo('lines')).subscribe()
   * ```
   */
  produceTo<M = unknown>(topic: string, options?: ProducerOptions): OperatorFunction<ProducerMessage<M>, ProducerResult<M>>
  /**
   * Like `produceTo`, for messages that each name their topic.
   *
   * @example
   * ```ts
   * events$.pipe(map(e => ({ topic: `events.${e.kind}`, value: e })), kafka.produce({ valueSerializer: (e: Event) => JSON.stringify(e) })).subscribe()
   * ```
   */
  produce<M = unknown, K = Buffer | string | null, V = Buffer | string | null>(
    options: ProducerOptions<K, V>,
  ): OperatorFunction<TopicProducerMessage<M, K, V>, ProducerResult<M>>
  /**
   * {@link Kafka.produce} for keys and values that are already Buffer, string or null; options are optional.
   *
   * @example
   * ```ts
   * events$.pipe(map(e => ({ topic: `events.${e.kind}`, value: JSON.stringify(e) })), kafka.produce()).subscribe()
   * ```
   */
  produce<M = unknown>(options?: ProducerOptions): OperatorFunction<TopicProducerMessage<M>, ProducerResult<M>>
  /**
   * Sends one message and resolves with its result, or rejects if it was not
   * delivered. Sends in flight together, or awaited one after another, share
   * one producer (and one producer id).
   *
   * @example
   * ```ts
   * const { offset } = await kafka.send('audit', { key: user.id, value: event }, { valueSerializer: (e: AuditEvent) => JSON.stringify(e) })
   * ```
   */
  send<M = unknown, K = Buffer | string | null, V = Buffer | string | null>(
    topic: string,
    message: ProducerMessage<M, K, V>,
    options: ProducerOptions<K, V>,
  ): Promise<ProducerResult<M>>
  /**
   * {@link Kafka.send} of a message whose key and value are already Buffer, string or null; options are optional.
   *
   * @example
   * ```ts
   * const { partition, offset } = await kafka.send('audit', { key: user.id, value: JSON.stringify(event) })
   * ```
   */
  send<M = unknown>(topic: string, message: ProducerMessage<M>, options?: ProducerOptions): Promise<ProducerResult<M>>
  /**
   * Joins a consumer group: an Observable of partition substreams.
   *
   * @example
   * ```ts
   * kafka.consumeGroup({ groupId: 'billing', topics: ['orders'] }).pipe(
   *   mergeMap(partition$ => partition$.pipe(concatMap(msg => handle(msg).pipe(map(() => msg))), map(msg => msg.done()))),
   * ).subscribe()
   * ```
   */
  consumeGroup(options: Omit<ConsumeGroupOptions, 'client'>): ConsumerGroup
  /**
   * Reads partitions without a group (tools, replays).
   *
   * @example
   * ```ts
   * kafka.consumePartitions({ topic: 'orders', partitions: [0, 1], from: 'earliest' }).pipe(mergeAll()).subscribe(m => console.log(m.offset))
   * ```
   */
  consumePartitions(options: Omit<ConsumePartitionsOptions, 'client'>): PartitionReader
  /**
   * Flushes every running producer of this client without ending its stream:
   * open batches go at once, and the Promise resolves when every message
   * accepted before the call has its result (see {@link flushProducers}).
   *
   * @example
   * ```ts
   * events$.pipe(kafka.produceTo('events', { lingerMs: 1_000 })).subscribe()
   * await kafka.flush() // everything accepted so far is acknowledged
   * ```
   */
  flush(): Promise<void>
  /**
   * Joins a share group (KIP-932): an Observable of records, each settled on its own with accept, release or reject.
   *
   * @example
   * ```ts
   * kafka.consumeShareGroup({ groupId: 'mailers', topics: ['emails'] }).subscribe(record => sendMail(record.value))
   * ```
   */
  consumeShareGroup(options: Omit<ConsumeShareGroupOptions, 'client'>): ShareGroupConsumer
  /**
   * Runs `work` in one transaction: what it sends commits together when it
   * resolves, and is aborted when it throws (docs/transactions.md).
   *
   * @example
   * ```ts
   * await kafka.transaction({ transactionalId: 'ledger-1' }, async (tx) => {
   *   await tx.send('debits', [{ key: 'acct-1', value: '-10' }])
   *   await tx.send('credits', [{ key: 'acct-2', value: '+10' }])
   * })
   * ```
   */
  transaction<T>(options: TransactionalProducerOptions, work: (tx: TransactionContext) => Promise<T> | T): Promise<T>
  /**
   * Exactly-once consume-transform-produce over a consumer group: each window
   * of messages is transformed and committed, records and offsets, in one
   * transaction (docs/transactions.md).
   *
   * @example
   * ```ts
   * kafka.consumeGroup({ groupId: 'enrich', topics: ['in'] }).pipe(
   *   kafka.transactionalWindow({ transactionalId: 'enrich-1', count: 500, timeMs: 100 }, (messages) =>
   *     messages.map((m) => ({ topic: 'out', key: m.key, value: m.value })),
   *   ),
   * ).subscribe()
   * ```
   */
  transactionalWindow(options: TransactionalWindowOptions, transform: WindowTransform): OperatorFunction<PartitionStream, TransactionalWindowResult>
  /** A snapshot of every long-lived part. */
  diagnostics(): KafkaDiagnostics
  /**
   * Snapshots while subscribed, every `intervalMs` (default 1000), emitted only when something changed.
   *
   * @example
   * ```ts
   * kafka.diagnostics$().subscribe(d => console.log(JSON.stringify(d, (k, v) => typeof v === 'bigint' ? String(v) : v)))
   * ```
   */
  diagnostics$(intervalMs?: number): Observable<KafkaDiagnostics>
  /**
   * Rates per second from the diagnostics counters (messages, bytes and requests, per broker too, failed
   * deliveries, rebalances): one sample every `everyMs` (default 1000) while subscribed, on the client's
   * scheduler, each over the interval since the previous one. See docs/observability.md.
   *
   * @example
   * ```ts
   * kafka.metrics$(10_000).subscribe((r) => console.log(`${r.messagesSentPerSecond} msg/s, ${r.bytesSentPerSecond} B/s out`))
   * ```
   */
  metrics$(everyMs?: number): Observable<KafkaRates>
  /**
   * The diagnostics snapshot now in the Prometheus text format, for a `/metrics` endpoint.
   *
   * @example
   * ```ts
   * createServer((_req, res) => res.setHeader('content-type', 'text/plain; version=0.0.4').end(kafka.toPrometheus())).listen(9464)
   * ```
   */
  toPrometheus(): string
  /**
   * Stops every consumer group of the client (each commits what is done and
   * leaves its group), waits for that (bounded: `timeoutMs`, default the
   * config's `closeTimeoutMs`, 10 000), then releases every socket and timer;
   * the client cannot be used afterwards.
   *
   * @example
   * ```ts
   * process.once('SIGINT', () => void kafka.close())
   * ```
   */
  close(options?: CloseOptions): Promise<void>
}

/**
 * Creates a client. Nothing connects until the first subscription.
 *
 * @example
 * ```ts
 * import { createKafka } from 'rxkafka'
 * const kafka = createKafka({ brokers: ['localhost:9092'], clientId: 'billing' })
 * kafka.consumeGroup({ groupId: 'billing', topics: ['orders'] }).subscribe(partition$ => ...)
 * ```
 */
export function createKafka(config: KafkaConfig | KafkaOnClient): Kafka {
  const client: ClusterClient = 'client' in config ? config.client : new KafkaCluster(config)

  const diagnostics = (): KafkaDiagnostics => ({
    cluster: client instanceof KafkaCluster ? client.diagnostics() : undefined,
    producers: producerDiagnostics(client),
    consumers: consumerGroupDiagnostics(client),
  })

  return {
    cluster: client,
    metadata$: client.metadata$,
    admin: createAdmin(client),
    // The overloads above checked the serializers; here every form is the same call.
    produceTo: ((topic: string, options: ProducerSettings<never, never> = {}) =>
      produceTo(topic, { ...options, client } as ProducerOptionsWithClient)) as Kafka['produceTo'],
    produce: ((options: ProducerSettings<never, never> = {}) => produce({ ...options, client } as ProducerOptionsWithClient)) as Kafka['produce'],
    send: ((topic: string, message: ProducerMessage, options?: ProducerSettings<never, never>) =>
      send(client, topic, message, options as ProducerOptions)) as Kafka['send'],
    consumeGroup: (options) => consumeGroup({ ...options, client }),
    consumePartitions: (options) => consumePartitions({ ...options, client }),
    flush: () => flushProducers(client),
    consumeShareGroup: (options) => consumeShareGroup({ ...options, client }),
    transaction: (options, work) => transaction(client, options, work),
    transactionalWindow: (options, transform) => transactionalWindow({ ...options, client }, transform),
    diagnostics,
    diagnostics$: (intervalMs = 1000) =>
      timer(0, intervalMs, client.scheduler).pipe(
        map(diagnostics),
        distinctUntilChanged((a, b) => stableJson(a) === stableJson(b)),
      ),
    metrics$: (everyMs = 1000) => {
      checkInteger('metrics$', 'everyMs', everyMs, 1)
      return ratesOf(diagnostics, everyMs, client.scheduler)
    },
    toPrometheus: () => toPrometheus(diagnostics(), client.clientId),
    close: (options) => client.close(options),
  }
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
}
