/**
 * Where a group member (either protocol) is in the group protocol.
 */

/** Where the member is in the group protocol. */
export type MemberState = 'starting' | 'finding-coordinator' | 'joining' | 'syncing' | 'stable' | 'revoking' | 'leaving' | 'stopped'
