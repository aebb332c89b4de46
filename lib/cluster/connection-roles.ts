/**
 * Which connection a request travels on, derived from its API, so no caller
 * passes a role by hand. A broker handles one request per connection at a
 * time, in order: Produce gets its own connection so acknowledgements never
 * wait behind a long-polling Fetch; Fetch its own for the long poll; the
 * group APIs that a broker may hold for a whole rebalance (JoinGroup,
 * SyncGroup) and the offset APIs of the group get `group`. Everything else
 * (Metadata, FindCoordinator, Heartbeat, LeaveGroup, ListOffsets,
 * InitProducerId, ...) shares `default`, so a heartbeat is never stuck behind
 * a parked JoinGroup.
 */
import type { ApiDefinition } from '../protocol/api.js'
import type { ConnectionRole } from '../connection/broker-transport.js'

/** Api key -> role, for the APIs that do not use `default`. */
const ROLE_BY_API_KEY: ReadonlyMap<number, ConnectionRole> = new Map<number, ConnectionRole>([
  [0, 'produce'], // Produce
  [1, 'fetch'], // Fetch
  [8, 'group'], // OffsetCommit
  [9, 'group'], // OffsetFetch
  [11, 'group'], // JoinGroup
  [14, 'group'], // SyncGroup
])

/**
 * The connection role of a request of `api`.
 *
 * @example
 * ```ts
 * roleOf(ProduceApi) // 'produce'
 * roleOf(HeartbeatApi) // 'default'
 * ```
 */
export function roleOf(api: ApiDefinition<unknown, unknown>): ConnectionRole {
  return ROLE_BY_API_KEY.get(api.apiKey) ?? 'default'
}
