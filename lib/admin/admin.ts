/**
 * The admin client: every family (topics, cluster, configs, groups, offsets,
 * records, ACLs and SCRAM, producers and transactions) as Promises over one
 * ClusterClient, plus the two Observables (`lag$`, `watchTopics$`). Each call
 * is a cold Observable underneath (lib/admin/<family>.ts), run while it holds
 * the client (`use`), so the client's sockets are released when it is done.
 * docs/admin.md lists every call with its routing and errors.
 */
import { lastValueFrom, type Observable } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { AdminRouter } from './admin-routing.js'
import type { AdminOptions, TopicPartition } from './admin-types.js'
import * as acls from './acls.js'
import * as cluster from './cluster.js'
import * as configs from './configs.js'
import * as groups from './groups.js'
import * as lag from './lag.js'
import * as offsets from './offsets.js'
import * as records from './records.js'
import * as shareGroups from './share-groups.js'
import * as topics from './topics.js'
import * as transactions from './transactions.js'
import * as watch from './watch-topics.js'

/**
 * The admin client. Calls that Kafka answers per item (topic, group,
 * partition, resource) resolve with one {@link AdminItem} per item, failed
 * ones included; they reject only when nothing could be asked (no broker, an
 * invalid argument, a whole-request error).
 *
 * @example
 * ```ts
 * const kafka = createKafka({ brokers: ['localhost:9092'] })
 * const [created] = await kafka.admin.createTopics([{ name: 'orders', partitions: 3 }])
 * if (!created.ok) console.error(created.error.message)
 * ```
 */
export interface Admin {
  /**
   * Creates topics (controller). Per-topic errors: TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR,
   * INVALID_PARTITIONS, INVALID_CONFIG, POLICY_VIOLATION, INVALID_TOPIC_EXCEPTION.
   *
   * @example
   * ```ts
   * await kafka.admin.createTopics([{ name: 'orders', partitions: 6, replicationFactor: 3, configs: { 'retention.ms': '86400000' } }])
   * ```
   */
  createTopics(topics: readonly topics.NewTopic[], options?: topics.CreateTopicsOptions): Promise<topics.CreateTopicResult[]>
  /**
   * Deletes topics by name (controller). Per-topic errors: UNKNOWN_TOPIC_OR_PARTITION.
   *
   * @example
   * ```ts
   * await kafka.admin.deleteTopics(['orders'])
   * ```
   */
  deleteTopics(names: readonly string[]): Promise<topics.DeleteTopicResult[]>
  /**
   * Every topic's name, sorted (Metadata, any broker, never auto-creating).
   *
   * @example
   * ```ts
   * const names = await kafka.admin.listTopics()
   * ```
   */
  listTopics(options?: topics.ListTopicsOptions): Promise<string[]>
  /**
   * Partitions, leaders, replicas, ISR, offline replicas and topic id (Metadata, any broker, never
   * auto-creating; null: every topic). Per-topic errors: UNKNOWN_TOPIC_OR_PARTITION.
   *
   * @example
   * ```ts
   * const [orders] = await kafka.admin.describeTopics(['orders'])
   * ```
   */
  describeTopics(names: readonly string[] | null): Promise<topics.TopicDescription[]>
  /**
   * Raises partition counts (controller). Per-topic errors: INVALID_PARTITIONS, UNKNOWN_TOPIC_OR_PARTITION.
   *
   * @example
   * ```ts
   * await kafka.admin.createPartitions([{ name: 'orders', count: 12 }])
   * ```
   */
  createPartitions(topics: readonly topics.NewPartitions[], options?: topics.CreateTopicsOptions): Promise<topics.CreatePartitionsResult[]>
  /**
   * Cluster id, controller and brokers (DescribeCluster, any broker).
   *
   * @example
   * ```ts
   * const { brokers } = await kafka.admin.describeCluster()
   * ```
   */
  describeCluster(): Promise<cluster.ClusterDescription>
  /**
   * The API versions of every broker (ApiVersions to each).
   *
   * @example
   * ```ts
   * const versions = await kafka.admin.apiVersions()
   * ```
   */
  apiVersions(): Promise<cluster.BrokerApiVersions[]>
  /**
   * Configs of topics, brokers, broker loggers, groups (a broker's at that broker, others at any).
   * Per-resource errors: UNKNOWN_TOPIC_OR_PARTITION, INVALID_REQUEST.
   *
   * @example
   * ```ts
   * const [orders] = await kafka.admin.describeConfigs([{ type: 'topic', name: 'orders' }])
   * ```
   */
  describeConfigs(resources: readonly configs.ConfigResource[], options?: { keys?: readonly string[] }): Promise<configs.ConfigDescription[]>
  /**
   * Sets, deletes, appends to or subtracts from config keys (IncrementalAlterConfigs). Per-resource
   * errors: INVALID_CONFIG, POLICY_VIOLATION, UNKNOWN_TOPIC_OR_PARTITION.
   *
   * @example
   * ```ts
   * await kafka.admin.alterConfigs([{ type: 'topic', name: 'orders', set: { 'retention.ms': '3600000' } }])
   * ```
   */
  alterConfigs(changes: readonly configs.ConfigChange[], options?: { validateOnly?: boolean }): Promise<configs.AlterConfigResult[]>
  /**
   * Groups of every broker, with state and type.
   *
   * @example
   * ```ts
   * const empty = await kafka.admin.listGroups({ states: ['Empty'] })
   * ```
   */
  listGroups(options?: groups.ListGroupsOptions): Promise<groups.GroupListing[]>
  /**
   * Groups with their members and decoded assignments (coordinator). Per-group errors: GROUP_ID_NOT_FOUND.
   *
   * @example
   * ```ts
   * const [billing] = await kafka.admin.describeGroups(['billing'])
   * ```
   */
  describeGroups(groupIds: readonly string[]): Promise<groups.GroupDescription[]>
  /**
   * Deletes empty groups (coordinator). Per-group errors: NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND.
   *
   * @example
   * ```ts
   * await kafka.admin.deleteGroups(['old-billing'])
   * ```
   */
  deleteGroups(groupIds: readonly string[]): Promise<groups.DeleteGroupResult[]>
  /**
   * The share-partition start offsets and lag of a share group (KIP-932), for the given partitions or every one it
   * has state for. (Share groups are listed with `listGroups({ types: ['share'] })` and described by `describeGroups`.)
   *
   * @example
   * ```ts
   * for (const p of await kafka.admin.describeShareGroupOffsets('mailers')) if (p.ok) console.log(p.partition, p.lag)
   * ```
   */
  describeShareGroupOffsets(groupId: string, partitions?: readonly TopicPartition[]): Promise<shareGroups.ShareGroupOffset[]>
  /**
   * A group's committed offsets (coordinator), of `topics`' partitions or of all it has.
   *
   * @example
   * ```ts
   * const committed = await kafka.admin.fetchOffsets('billing', ['orders'])
   * ```
   */
  fetchOffsets(groupId: string, topics?: readonly string[]): Promise<offsets.GroupCommittedOffset[]>
  /**
   * Commits offsets for an empty group (coordinator). Per-partition errors: UNKNOWN_MEMBER_ID (members are active).
   *
   * @example
   * ```ts
   * await kafka.admin.alterOffsets('billing', [{ topic: 'orders', partition: 0, offset: 100n }])
   * ```
   */
  alterOffsets(groupId: string, offsets: readonly (TopicPartition & { offset: bigint; metadata?: string })[]): Promise<offsets.OffsetChangeResult[]>
  /**
   * Deletes a group's offsets (coordinator). Per-partition errors: GROUP_SUBSCRIBED_TO_TOPIC; GROUP_ID_NOT_FOUND on all.
   *
   * @example
   * ```ts
   * await kafka.admin.deleteOffsets('billing', [{ topic: 'orders', partition: 0 }])
   * ```
   */
  deleteOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<offsets.OffsetChangeResult[]>
  /**
   * The offsets a reset would commit, without changing anything; apply them with `alterOffsets`.
   *
   * @example
   * ```ts
   * const plan = await kafka.admin.planOffsetReset('billing', ['orders'], { shiftBy: -10n })
   * await kafka.admin.alterOffsets('billing', plan.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.target })))
   * ```
   */
  planOffsetReset(groupId: string, topics: readonly string[], to: offsets.ResetSpec): Promise<offsets.PlannedOffset[]>
  /**
   * Offsets of partitions by spec (ListOffsets, each leader). Per-partition errors: UNKNOWN_TOPIC_OR_PARTITION.
   *
   * @example
   * ```ts
   * const [end] = await kafka.admin.listOffsets([{ topic: 'orders', partition: 0, spec: 'latest' }])
   * ```
   */
  listOffsets(partitions: readonly (TopicPartition & { spec: offsets.OffsetQuery })[], options?: offsets.ListOffsetsOptions): Promise<offsets.ListedOffset[]>
  /**
   * Deletes records before an offset (DeleteRecords, each leader). Per-partition errors: OFFSET_OUT_OF_RANGE.
   *
   * @example
   * ```ts
   * await kafka.admin.deleteRecords([{ topic: 'orders', partition: 0, before: 1000n }])
   * ```
   */
  deleteRecords(partitions: readonly (TopicPartition & { before: bigint })[]): Promise<records.DeleteRecordsResult[]>
  /**
   * Creates ACLs (controller; needs an authorizer, else SECURITY_DISABLED per ACL).
   *
   * @example
   * ```ts
   * await kafka.admin.createAcls([{ resourceType: 'topic', resourceName: 'orders', patternType: 'literal', principal: 'User:alice', host: '*', operation: 'read', permission: 'allow' }])
   * ```
   */
  createAcls(acls: readonly acls.Acl[]): Promise<acls.CreateAclResult[]>
  /**
   * ACLs matching a filter (controller).
   *
   * @example
   * ```ts
   * const aliceCan = await kafka.admin.describeAcls({ principal: 'User:alice' })
   * ```
   */
  describeAcls(filter?: acls.AclFilter): Promise<acls.Acl[]>
  /**
   * Deletes the ACLs matching each filter (controller).
   *
   * @example
   * ```ts
   * await kafka.admin.deleteAcls([{ resourceType: 'topic', resourceName: 'orders' }])
   * ```
   */
  deleteAcls(filters: readonly acls.AclFilter[]): Promise<acls.DeleteAclsResult[]>
  /**
   * Users' SCRAM mechanisms and iterations (controller; null: every user). Per-user errors: RESOURCE_NOT_FOUND.
   *
   * @example
   * ```ts
   * const [alice] = await kafka.admin.describeScramCredentials(['alice'])
   * ```
   */
  describeScramCredentials(users: readonly string[] | null): Promise<acls.ScramCredentialDescription[]>
  /**
   * Sets or deletes SCRAM credentials (controller; salted and hashed here).
   *
   * @example
   * ```ts
   * await kafka.admin.alterScramCredentials([{ user: 'carol', mechanism: 'SCRAM-SHA-512', password: 'carol-secret' }])
   * ```
   */
  alterScramCredentials(changes: readonly acls.ScramCredentialChange[]): Promise<acls.AlterScramResult[]>
  /**
   * Producers with state on partitions (each leader).
   *
   * @example
   * ```ts
   * const [p0] = await kafka.admin.describeProducers([{ topic: 'orders', partition: 0 }])
   * ```
   */
  describeProducers(partitions: readonly TopicPartition[]): Promise<transactions.PartitionProducers[]>
  /**
   * Transactional ids of every broker.
   *
   * @example
   * ```ts
   * const ongoing = await kafka.admin.listTransactions({ states: ['Ongoing'] })
   * ```
   */
  listTransactions(options?: transactions.ListTransactionsOptions): Promise<transactions.TransactionListing[]>
  /**
   * Transactions by transactional id (transaction coordinator). Per-id errors: TRANSACTIONAL_ID_NOT_FOUND.
   *
   * @example
   * ```ts
   * const [t] = await kafka.admin.describeTransactions(['payments-1'])
   * ```
   */
  describeTransactions(transactionalIds: readonly string[]): Promise<transactions.TransactionDescription[]>
  /**
   * A group's lag per partition, once.
   *
   * @example
   * ```ts
   * const rows = await kafka.admin.groupLag('billing', ['orders'])
   * ```
   */
  groupLag(groupId: string, topics?: readonly string[]): Promise<lag.PartitionLag[]>
  /**
   * A group's lag per partition, now and every `every` ms while subscribed.
   *
   * @example
   * ```ts
   * kafka.admin.lag$('billing', { every: 5_000 }).subscribe((rows) => console.table(rows))
   * ```
   */
  lag$(groupId: string, options?: lag.LagOptions): Observable<lag.PartitionLag[]>
  /**
   * Topics added, removed or repartitioned, polled from metadata every `every` ms while subscribed.
   *
   * @example
   * ```ts
   * kafka.admin.watchTopics$({ every: 5_000 }).subscribe((c) => console.log(c.added, c.removed))
   * ```
   */
  watchTopics$(options?: watch.WatchTopicsOptions): Observable<watch.TopicChanges>
}

/**
 * An admin client over any {@link ClusterClient} (a `KafkaCluster`, the
 * virtual cluster of `rxkafka/testing`); `kafka.admin` is one over the client's cluster.
 *
 * @example
 * ```ts
 * import { createAdmin, KafkaCluster } from 'rxkafka'
 * const admin = createAdmin(new KafkaCluster({ brokers: ['localhost:9092'] }))
 * console.log(await admin.listTopics())
 * ```
 */
export function createAdmin(client: ClusterClient, options: AdminOptions = {}): Admin {
  const router = new AdminRouter(client, options)
  // Each call holds the client while it runs, so its connections outlive no call.
  const run = <T>(work: () => Observable<T>): Promise<T> => lastValueFrom(client.use(work))
  return {
    createTopics: (list, o) => run(() => topics.createTopics(router, list, o)),
    deleteTopics: (names) => run(() => topics.deleteTopics(router, names)),
    listTopics: (o) => run(() => topics.listTopics(router, o)),
    describeTopics: (names) => run(() => topics.describeTopics(router, names)),
    createPartitions: (list, o) => run(() => topics.createPartitions(router, list, o)),
    describeCluster: () => run(() => cluster.describeCluster(router)),
    apiVersions: () => run(() => cluster.apiVersions(router)),
    describeConfigs: (resources, o) => run(() => configs.describeConfigs(router, resources, o)),
    alterConfigs: (changes, o) => run(() => configs.alterConfigs(router, changes, o)),
    listGroups: (o) => run(() => groups.listGroups(router, o)),
    describeGroups: (ids) => run(() => groups.describeGroups(router, ids)),
    deleteGroups: (ids) => run(() => groups.deleteGroups(router, ids)),
    describeShareGroupOffsets: (groupId, partitions) => run(() => shareGroups.describeShareGroupOffsets(router, groupId, partitions)),
    fetchOffsets: (groupId, t) => run(() => offsets.fetchOffsets(router, groupId, t)),
    alterOffsets: (groupId, list) => run(() => offsets.alterOffsets(router, groupId, list)),
    deleteOffsets: (groupId, list) => run(() => offsets.deleteOffsets(router, groupId, list)),
    planOffsetReset: (groupId, t, to) => run(() => offsets.planOffsetReset(router, groupId, t, to)),
    listOffsets: (list, o) => run(() => offsets.listOffsets(router, list, o)),
    deleteRecords: (list) => run(() => records.deleteRecords(router, list)),
    createAcls: (list) => run(() => acls.createAcls(router, list)),
    describeAcls: (filter) => run(() => acls.describeAcls(router, filter)),
    deleteAcls: (filters) => run(() => acls.deleteAcls(router, filters)),
    describeScramCredentials: (users) => run(() => acls.describeScramCredentials(router, users)),
    alterScramCredentials: (changes) => run(() => acls.alterScramCredentials(router, changes)),
    describeProducers: (list) => run(() => transactions.describeProducers(router, list)),
    listTransactions: (o) => run(() => transactions.listTransactions(router, o)),
    describeTransactions: (ids) => run(() => transactions.describeTransactions(router, ids)),
    groupLag: (groupId, t) => run(() => lag.groupLag(router, groupId, t)),
    lag$: (groupId, o) => lag.lag$(router, groupId, o),
    watchTopics$: (o) => watch.watchTopics$(router, o),
  }
}
