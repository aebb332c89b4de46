/** The admin client: `createAdmin(cluster)` (and `kafka.admin`), its result types and its Observables. */
export { createAdmin } from './admin.js'
export type { Admin } from './admin.js'
export { failedItems } from './admin-types.js'
export type { AdminItem, AdminItemFailed, AdminItemOk, AdminOptions, TopicPartition } from './admin-types.js'
export type { CreatedTopic, CreatePartitionsResult, CreateTopicResult, CreateTopicsOptions, DeleteTopicResult, DescribedPartition, DescribedTopic, ListTopicsOptions, NewPartitions, NewTopic, TopicDescription, TopicName } from './topics.js'
export type { BrokerApiVersions, ClusterDescription } from './cluster.js'
export type { AlterConfigResult, ConfigChange, ConfigDescription, ConfigEntry, ConfigResource, ConfigResourceType, ConfigSource } from './configs.js'
export type { DeleteGroupResult, DescribedGroup, GroupDescription, GroupListing, GroupMember, GroupType, ListGroupsOptions } from './groups.js'
export type { AtTimestamp, GroupCommittedOffset, ListedOffset, ListOffsetsOptions, OffsetChangeResult, OffsetQuery, PlannedOffset, ResetSpec } from './offsets.js'
export type { DeleteRecordsResult } from './records.js'
export type {
  Acl,
  AclFilter,
  AclOperation,
  AclPatternType,
  AclPermission,
  AclResourceType,
  AlterScramResult,
  CreateAclResult,
  DeleteAclsResult,
  ScramCredentialChange,
  ScramCredentialDescription,
  ScramMechanism,
  ScramUser,
} from './acls.js'
export type { ActiveProducer, ListTransactionsOptions, PartitionProducers, TransactionDescription, TransactionListing } from './transactions.js'
export type { LagOptions, PartitionLag } from './lag.js'
export type { TopicChanges, WatchTopicsOptions } from './watch-topics.js'
export type { ShareGroupOffset } from './share-groups.js'
