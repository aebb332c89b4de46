/**
 * The LeaveGroup request of a classic group member that goes (stop() or a
 * fatal error): version 3 and later name the member in a list, with its
 * instance id (KIP-345), older versions by member id alone. The member decides
 * whether to send it (static members stay) and what its error costs.
 */
import { Observable, of, switchMap } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { observeLeave } from '../observability/consumer-events.js'
import { LeaveGroupApi, type LeaveGroupRequest } from '../protocol/messages/LeaveGroup.js'

/** Who leaves, and from which group. */
export interface LeavingMember {
  readonly groupId: string
  readonly groupInstanceId: string | null
  readonly memberId: string
  /** The generation it leaves (for the leave event). */
  readonly generationId: number
}

/**
 * Sends LeaveGroup for `member` to `coordinator`; emits once when answered.
 *
 * @example
 * ```ts
 * leaveGroup(client, coordinator, { groupId: 'g', groupInstanceId: null, memberId, generationId }).subscribe()
 * ```
 */
export function leaveGroup(client: ClusterClient, coordinator: number, member: LeavingMember): Observable<void> {
  const { groupId, groupInstanceId, memberId } = member
  const body = (version: number): LeaveGroupRequest =>
    version >= 3 ? { groupId, members: [{ memberId, groupInstanceId }] } : { groupId, memberId }
  return client.request(coordinator, LeaveGroupApi, body, { timeoutMs: 5_000 }).pipe(observeLeave(client.clientId, groupId, memberId, member.generationId), switchMap(() => of(undefined)))
}
