/**
 * ACLs (CreateAcls, DescribeAcls, DeleteAcls) and SCRAM credentials
 * (DescribeUserScramCredentials, AlterUserScramCredentials), all at the
 * controller. ACLs need an authorizer on the brokers (SECURITY_DISABLED
 * otherwise). The client salts and hashes a new SCRAM password itself
 * (PBKDF2, RFC 5802's Hi): the password never goes over the wire.
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { map, type Observable, of } from 'rxjs'
import { AdminArgumentError, brokerError } from '../errors/index.js'
import { AlterUserScramCredentialsApi } from '../protocol/messages/AlterUserScramCredentials.js'
import { CreateAclsApi } from '../protocol/messages/CreateAcls.js'
import { DeleteAclsApi } from '../protocol/messages/DeleteAcls.js'
import { DescribeAclsApi } from '../protocol/messages/DescribeAcls.js'
import { DescribeUserScramCredentialsApi } from '../protocol/messages/DescribeUserScramCredentials.js'
import { settle, type AdminRouter, type ItemAnswers } from './admin-routing.js'
import type { AdminItem } from './admin-types.js'

const RESOURCE_TYPES: readonly AclResourceType[] = ['unknown', 'any', 'topic', 'group', 'cluster', 'transactional-id', 'delegation-token', 'user'] as const
const PATTERN_TYPES: readonly AclPatternType[] = ['unknown', 'any', 'match', 'literal', 'prefixed'] as const
const OPERATIONS: readonly AclOperation[] = ['unknown', 'any', 'all', 'read', 'write', 'create', 'delete', 'alter', 'describe', 'cluster-action', 'describe-configs', 'alter-configs', 'idempotent-write', 'create-tokens', 'describe-tokens', 'two-phase-commit'] as const
const PERMISSIONS: readonly AclPermission[] = ['unknown', 'any', 'deny', 'allow']

/**
 * The kind of resource an ACL is on.
 *
 * @example
 * ```ts
 * const type: AclResourceType = 'topic'
 * ```
 */
export type AclResourceType = 'unknown' | 'any' | 'topic' | 'group' | 'cluster' | 'transactional-id' | 'delegation-token' | 'user'
/**
 * How an ACL's resource name matches: exactly (`literal`) or as a prefix; `any` and `match` only in filters.
 *
 * @example
 * ```ts
 * const pattern: AclPatternType = 'prefixed'
 * ```
 */
export type AclPatternType = 'unknown' | 'any' | 'match' | 'literal' | 'prefixed'
/**
 * What an ACL allows or denies.
 *
 * @example
 * ```ts
 * const operation: AclOperation = 'read'
 * ```
 */
export type AclOperation =
  | 'unknown'
  | 'any'
  | 'all'
  | 'read'
  | 'write'
  | 'create'
  | 'delete'
  | 'alter'
  | 'describe'
  | 'cluster-action'
  | 'describe-configs'
  | 'alter-configs'
  | 'idempotent-write'
  | 'create-tokens'
  | 'describe-tokens'
  | 'two-phase-commit'
/**
 * Allow or deny (`any` only in filters).
 *
 * @example
 * ```ts
 * const permission: AclPermission = 'allow'
 * ```
 */
export type AclPermission = 'unknown' | 'any' | 'deny' | 'allow'

/**
 * One ACL: who (`principal`, such as `User:alice`, from `host`, `*` for any)
 * may or may not do `operation` on a resource.
 *
 * @example
 * ```ts
 * const acl: Acl = { resourceType: 'topic', resourceName: 'orders', patternType: 'literal', principal: 'User:alice', host: '*', operation: 'read', permission: 'allow' }
 * ```
 */
export interface Acl {
  /** The kind of resource. */
  resourceType: AclResourceType
  /** Its name (`kafka-cluster` for the cluster). */
  resourceName: string
  /** How the name matches. */
  patternType: AclPatternType
  /** Such as `User:alice`. */
  principal: string
  /** The host, `*` for any. */
  host: string
  /** The operation. */
  operation: AclOperation
  /** Allow or deny. */
  permission: AclPermission
}

/**
 * A filter of ACLs: every field left out matches anything.
 *
 * @example
 * ```ts
 * await kafka.admin.describeAcls({ resourceType: 'topic', principal: 'User:alice' })
 * ```
 */
export type AclFilter = Partial<Acl>

/**
 * A created ACL, or why not.
 *
 * @example
 * ```ts
 * const [r] = await kafka.admin.createAcls([acl])
 * ```
 */
export type CreateAclResult = AdminItem<{
  /** The ACL asked for. */
  acl: Acl
}, object>

/**
 * The ACLs one filter deleted, or why not.
 *
 * @example
 * ```ts
 * const [r] = await kafka.admin.deleteAcls([{ principal: 'User:alice' }])
 * if (r.ok) console.log(r.deleted.length)
 * ```
 */
export type DeleteAclsResult = AdminItem<{
  /** The filter asked with. */
  filter: AclFilter
}, {
  /** The ACLs it deleted. */
  deleted: Acl[]
}>

function code<T extends string>(table: readonly T[], value: T, call: string, argument: string): number {
  const index = table.indexOf(value)
  if (index < 0) throw new AdminArgumentError(call, argument, `is ${JSON.stringify(value)}`, `use one of ${table.slice(1).join(', ')}`)
  return index
}

/** What only a filter may say: an ACL itself names one type, pattern, operation and permission (the broker fails the whole request otherwise). */
function checkConcrete(acl: Acl, call: string, i: number): void {
  const loose = (['resourceType', 'patternType', 'operation', 'permission'] as const).find((field) => {
    const value: string = acl[field]
    return value === 'any' || value === 'unknown' || value === 'match'
  })
  if (loose !== undefined) {
    throw new AdminArgumentError(call, `acls[${i}].${loose}`, `is ${JSON.stringify(acl[loose])}, which only a filter may be`, 'name a concrete value, such as patternType literal or prefixed')
  }
}

function aclBody(acl: Acl, call: string, i: number) {
  checkConcrete(acl, call, i)
  return {
    resourceType: code(RESOURCE_TYPES, acl.resourceType, call, `acls[${i}].resourceType`),
    resourceName: acl.resourceName,
    resourcePatternType: code(PATTERN_TYPES, acl.patternType, call, `acls[${i}].patternType`),
    principal: acl.principal,
    host: acl.host,
    operation: code(OPERATIONS, acl.operation, call, `acls[${i}].operation`),
    permissionType: code(PERMISSIONS, acl.permission, call, `acls[${i}].permission`),
  }
}

function filterBody(filter: AclFilter, call: string, i: number) {
  return {
    resourceTypeFilter: code(RESOURCE_TYPES, filter.resourceType ?? 'any', call, `filters[${i}].resourceType`),
    resourceNameFilter: filter.resourceName ?? null,
    patternTypeFilter: code(PATTERN_TYPES, filter.patternType ?? 'any', call, `filters[${i}].patternType`),
    principalFilter: filter.principal ?? null,
    hostFilter: filter.host ?? null,
    operation: code(OPERATIONS, filter.operation ?? 'any', call, `filters[${i}].operation`),
    permissionType: code(PERMISSIONS, filter.permission ?? 'any', call, `filters[${i}].permission`),
  }
}

function aclFrom(a: { resourceType: number; resourceName: string; patternType?: number; principal: string; host: string; operation: number; permissionType: number }): Acl {
  return {
    resourceType: RESOURCE_TYPES[a.resourceType] ?? 'unknown',
    resourceName: a.resourceName,
    patternType: PATTERN_TYPES[a.patternType ?? 3] ?? 'unknown',
    principal: a.principal,
    host: a.host,
    operation: OPERATIONS[a.operation] ?? 'unknown',
    permission: PERMISSIONS[a.permissionType] ?? 'unknown',
  }
}

/**
 * Creates ACLs at the controller; one result per ACL, in order.
 *
 * @example
 * ```ts
 * createAcls(router, [acl]).subscribe(console.log)
 * ```
 */
export function createAcls(router: AdminRouter, acls: readonly Acl[]): Observable<CreateAclResult[]> {
  if (acls.length === 0) return of([])
  const creations = acls.map((a, i) => aclBody(a, 'createAcls', i))
  return router
    .once((round) => router.toController(CreateAclsApi, { creations }, round))
    .pipe(map((response) => acls.map((acl, i) => settle({ acl }, response.results[i] === undefined ? undefined : { ...response.results[i]!, value: {} }, { api: 'CreateAcls' }))))
}

/**
 * The ACLs that match a filter.
 *
 * @example
 * ```ts
 * describeAcls(router, { resourceName: 'orders' }).subscribe(console.log)
 * ```
 */
export function describeAcls(router: AdminRouter, filter: AclFilter = {}): Observable<Acl[]> {
  const body = filterBody(filter, 'describeAcls', 0)
  return router.once((round) => router.toController(DescribeAclsApi, body, round)).pipe(
    map((response) => {
      if (response.errorCode !== 0) throw brokerError(response.errorCode, { api: 'DescribeAcls', errorMessage: response.errorMessage })
      return response.resources.flatMap((r) => r.acls.map((a) => aclFrom({ ...a, resourceType: r.resourceType, resourceName: r.resourceName, ...(r.patternType === undefined ? {} : { patternType: r.patternType }) })))
    }),
  )
}

/**
 * Deletes the ACLs matching each filter; one result per filter with the ACLs it deleted.
 *
 * @example
 * ```ts
 * deleteAcls(router, [{ principal: 'User:alice' }]).subscribe(console.log)
 * ```
 */
export function deleteAcls(router: AdminRouter, filters: readonly AclFilter[]): Observable<DeleteAclsResult[]> {
  if (filters.length === 0) return of([])
  const body = { filters: filters.map((f, i) => filterBody(f, 'deleteAcls', i)) }
  return router.once((round) => router.toController(DeleteAclsApi, body, round)).pipe(
    map((response) =>
      filters.map((filter, i) => {
        const r = response.filterResults[i]
        return settle({ filter }, r === undefined ? undefined : { errorCode: r.errorCode, errorMessage: r.errorMessage, value: { deleted: r.matchingAcls.map(aclFrom) } }, { api: 'DeleteAcls' })
      }),
    ),
  )
}

/**
 * A SCRAM mechanism.
 *
 * @example
 * ```ts
 * const mechanism: ScramMechanism = 'SCRAM-SHA-512'
 * ```
 */
export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512'
const MECHANISMS: Record<ScramMechanism, { code: number; hash: 'sha256' | 'sha512'; bytes: number }> = {
  'SCRAM-SHA-256': { code: 1, hash: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { code: 2, hash: 'sha512', bytes: 64 },
}

/**
 * A user's SCRAM credentials (mechanisms and iterations; never the secrets), or why not (RESOURCE_NOT_FOUND).
 *
 * @example
 * ```ts
 * const [alice] = await kafka.admin.describeScramCredentials(['alice'])
 * if (alice.ok) console.log(alice.credentials)
 * ```
 */
export type ScramCredentialDescription = AdminItem<ScramUser, {
  /** Its credentials. */
  credentials: {
    /** The mechanism. */
    mechanism: ScramMechanism | 'unknown'
    /** PBKDF2 iterations. */
    iterations: number
  }[]
}>

/**
 * Names the user of a per-user SCRAM result.
 *
 * @example
 * ```ts
 * const key: ScramUser = { user: 'alice' }
 * ```
 */
export interface ScramUser {
  /** The user name. */
  user: string
}

/**
 * A change to a user's SCRAM credentials: set a password for a mechanism, or delete the mechanism.
 *
 * @example
 * ```ts
 * const change: ScramCredentialChange = { user: 'carol', mechanism: 'SCRAM-SHA-256', password: 'carol-secret', iterations: 8192 }
 * ```
 */
export type ScramCredentialChange =
  | {
      /** The user. */
      user: string
      /** The mechanism to set. */
      mechanism: ScramMechanism
      /** The new password (salted and hashed here; never sent). */
      password: string
      /** PBKDF2 iterations, 4096 to 16384. Default 4096. */
      iterations?: number
    }
  | {
      /** The user. */
      user: string
      /** The mechanism to remove. */
      mechanism: ScramMechanism
      /** Removes the credential. */
      delete: true
    }

/**
 * An altered user, or why not.
 *
 * @example
 * ```ts
 * const [r] = await kafka.admin.alterScramCredentials([{ user: 'carol', mechanism: 'SCRAM-SHA-256', delete: true }])
 * ```
 */
export type AlterScramResult = AdminItem<ScramUser, object>

/**
 * SCRAM credentials of users (null: every user that has some).
 *
 * @example
 * ```ts
 * describeScramCredentials(router, ['alice']).subscribe(console.log)
 * ```
 */
export function describeScramCredentials(router: AdminRouter, users: readonly string[] | null): Observable<ScramCredentialDescription[]> {
  return router
    .once((round) => router.toController(DescribeUserScramCredentialsApi, { users: users === null ? null : users.map((name) => ({ name })) }, round))
    .pipe(
      map((response) => {
        if (response.errorCode !== 0) throw brokerError(response.errorCode, { api: 'DescribeUserScramCredentials', errorMessage: response.errorMessage })
        return response.results.map((r) =>
          settle(
            { user: r.user },
            {
              errorCode: r.errorCode,
              errorMessage: r.errorMessage,
              value: { credentials: r.credentialInfos.map((c) => ({ mechanism: c.mechanism === 1 ? 'SCRAM-SHA-256' as const : c.mechanism === 2 ? 'SCRAM-SHA-512' as const : 'unknown' as const, iterations: c.iterations })) },
            },
            { api: 'DescribeUserScramCredentials' },
          ),
        )
      }),
    )
}

/**
 * Sets or deletes SCRAM credentials; one result per user named.
 *
 * @example
 * ```ts
 * alterScramCredentials(router, [{ user: 'carol', mechanism: 'SCRAM-SHA-256', password: 'secret' }]).subscribe(console.log)
 * ```
 */
export function alterScramCredentials(router: AdminRouter, changes: readonly ScramCredentialChange[]): Observable<AlterScramResult[]> {
  if (changes.length === 0) return of([])
  const deletions: { name: string; mechanism: number }[] = []
  const upsertions: { name: string; mechanism: number; iterations: number; salt: Buffer; saltedPassword: Buffer }[] = []
  changes.forEach((c, i) => {
    const mechanism = MECHANISMS[c.mechanism]
    if (mechanism === undefined) throw new AdminArgumentError('alterScramCredentials', `changes[${i}].mechanism`, `is ${JSON.stringify(c.mechanism)}`, "use 'SCRAM-SHA-256' or 'SCRAM-SHA-512'")
    if ('delete' in c) {
      deletions.push({ name: c.user, mechanism: mechanism.code })
      return
    }
    const iterations = c.iterations ?? 4096
    if (!Number.isInteger(iterations) || iterations < 4096 || iterations > 16384) {
      throw new AdminArgumentError('alterScramCredentials', `changes[${i}].iterations`, `is ${iterations}`, 'Kafka accepts 4096 to 16384 iterations')
    }
    const salt = randomBytes(32)
    upsertions.push({ name: c.user, mechanism: mechanism.code, iterations, salt, saltedPassword: pbkdf2Sync(c.password, salt, iterations, mechanism.bytes, mechanism.hash) })
  })
  const users = [...new Set(changes.map((c) => c.user))]
  return router
    .once((round) => router.toController(AlterUserScramCredentialsApi, { deletions, upsertions }, round))
    .pipe(
      map((response) => {
        const answers: ItemAnswers<object> = new Map(response.results.map((r) => [r.user, { errorCode: r.errorCode, errorMessage: r.errorMessage, value: {} }]))
        return users.map((user) => settle({ user }, answers.get(user), { api: 'AlterUserScramCredentials' }))
      }),
    )
}
