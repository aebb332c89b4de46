/**
 * The table the virtual brokers dispatch by: api key -> the API that serves it
 * (its name, versions, handler and error shape), in the order ApiVersions
 * lists them. The handlers live in the file of their subject.
 */
import type { ApiVersionsRequest, ApiVersionsResponse } from '../protocol/messages/ApiVersions.js'
import type { VersionRange } from '../protocol/versions.js'
import { VIRTUAL_ADMIN_APIS } from './virtual-admin.js'
import {
  CONSUMER_GROUP_HEARTBEAT_API,
  HEARTBEAT_API,
  JOIN_GROUP_API,
  LEAVE_GROUP_API,
  OFFSET_COMMIT_API,
  OFFSET_FETCH_API,
  SHARE_ACKNOWLEDGE_API,
  SHARE_FETCH_API,
  SHARE_GROUP_HEARTBEAT_API,
  SYNC_GROUP_API,
} from './virtual-group-apis.js'
import { answering, virtualApi, type VirtualApi } from './virtual-handler.js'
import { FIND_COORDINATOR_API, METADATA_API } from './virtual-metadata.js'
import { FETCH_API, LIST_OFFSETS_API, PRODUCE_API } from './virtual-produce-fetch.js'
import { INIT_PRODUCER_ID_API } from './virtual-producer-ids.js'
import { ADD_OFFSETS_TO_TXN_API, ADD_PARTITIONS_TO_TXN_API, END_TXN_API, TXN_OFFSET_COMMIT_API } from './virtual-transactions.js'

const API_VERSIONS_API = virtualApi<ApiVersionsRequest>({
  apiKey: 18,
  name: 'ApiVersions',
  versions: { minVersion: 0, maxVersion: 4 },
  handle: answering(
    (): ApiVersionsResponse => ({
      errorCode: 0,
      apiKeys: [...VIRTUAL_API_VERSIONS].map(([apiKey, r]) => ({ apiKey, minVersion: r.minVersion, maxVersion: r.maxVersion })),
      throttleTimeMs: 0,
    }),
  ),
  failed: (_request, _version, errorCode): ApiVersionsResponse => ({ errorCode, apiKeys: [], throttleTimeMs: 0 }),
})

/** Every API served, in the order ApiVersions lists them (and hints name them); the imports say which file serves which. */
const SERVED: readonly VirtualApi[] = [
  PRODUCE_API,
  FETCH_API,
  LIST_OFFSETS_API,
  METADATA_API,
  OFFSET_COMMIT_API,
  OFFSET_FETCH_API,
  FIND_COORDINATOR_API,
  JOIN_GROUP_API,
  HEARTBEAT_API,
  LEAVE_GROUP_API,
  SYNC_GROUP_API,
  API_VERSIONS_API,
  INIT_PRODUCER_ID_API,
  ...VIRTUAL_ADMIN_APIS,
  // Transaction version 1 (no finalized features, so clients speak TV1).
  ADD_PARTITIONS_TO_TXN_API,
  ADD_OFFSETS_TO_TXN_API,
  END_TXN_API,
  TXN_OFFSET_COMMIT_API,
  // KIP-848's consumer group protocol, then share groups (KIP-932).
  CONSUMER_GROUP_HEARTBEAT_API,
  SHARE_GROUP_HEARTBEAT_API,
  SHARE_FETCH_API,
  SHARE_ACKNOWLEDGE_API,
]

/** Api key -> the API the virtual brokers serve under it. */
export const VIRTUAL_APIS: ReadonlyMap<number, VirtualApi> = new Map(SERVED.map((api) => [api.apiKey, api]))

/** Api key -> the versions the virtual brokers implement: the recent ones a Kafka 3.7+/4.x broker speaks. */
export const VIRTUAL_API_VERSIONS: ReadonlyMap<number, VersionRange> = new Map(SERVED.map((api) => [api.apiKey, api.versions]))

/** The API names the virtual brokers serve, by api key, as the protocol spells them. */
export const VIRTUAL_API_NAMES: ReadonlyMap<number, string> = new Map(SERVED.map((api) => [api.apiKey, api.name]))
