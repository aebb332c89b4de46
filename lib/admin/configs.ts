/**
 * Configs of topics, brokers and groups: DescribeConfigs and
 * IncrementalAlterConfigs (only the named keys change; AlterConfigs, which
 * replaces them all, is not offered). A broker's own configs are asked of that
 * broker; topic, group and cluster-wide broker defaults of any broker (the
 * alter is forwarded to the controller).
 */
import { forkJoin, map, type Observable } from 'rxjs'
import { AdminArgumentError } from '../errors/index.js'
import { DescribeConfigsApi, type DescribeConfigsResponse } from '../protocol/messages/DescribeConfigs.js'
import { IncrementalAlterConfigsApi, type IncrementalAlterConfigsResponse } from '../protocol/messages/IncrementalAlterConfigs.js'
import { settle, type AdminRouter, type ItemAnswers } from './admin-routing.js'
import type { AdminItem } from './admin-types.js'

/**
 * A resource that has configs. A broker is named by its id; `''` is the
 * cluster-wide broker default.
 *
 * @example
 * ```ts
 * const resources: ConfigResource[] = [{ type: 'topic', name: 'orders' }, { type: 'broker', name: '1' }]
 * ```
 */
export interface ConfigResource {
  /** What kind of resource. */
  type: ConfigResourceType
  /** The topic or group name, or the broker id as a string (`''`: the default of every broker). */
  name: string
}

/**
 * The kinds of resources with configs.
 *
 * @example
 * ```ts
 * const type: ConfigResourceType = 'topic'
 * ```
 */
export type ConfigResourceType = 'topic' | 'broker' | 'broker-logger' | 'group'

const RESOURCE_TYPE: Record<ConfigResourceType, number> = { topic: 2, broker: 4, 'broker-logger': 8, group: 32 }
const RESOURCE_NAME = new Map(Object.entries(RESOURCE_TYPE).map(([k, v]) => [v, k as ConfigResourceType]))

/**
 * Where a config value comes from, as DescribeConfigs says.
 *
 * @example
 * ```ts
 * if (entry.source === 'dynamic-topic') console.log(`${entry.name} was set on the topic`)
 * ```
 */
export type ConfigSource =
  | 'unknown'
  | 'dynamic-topic'
  | 'dynamic-broker'
  | 'dynamic-default-broker'
  | 'static-broker'
  | 'default'
  | 'dynamic-broker-logger'
  | 'client-metrics'
  | 'group'

const SOURCES: readonly ConfigSource[] = ['unknown', 'dynamic-topic', 'dynamic-broker', 'dynamic-default-broker', 'static-broker', 'default', 'dynamic-broker-logger', 'client-metrics', 'group']

/**
 * One config entry.
 *
 * @example
 * ```ts
 * const [r] = await kafka.admin.describeConfigs([{ type: 'topic', name: 'orders' }])
 * if (r.ok) console.log(r.configs.find((c) => c.name === 'retention.ms')?.value)
 * ```
 */
export interface ConfigEntry {
  /** The config key. */
  name: string
  /** Its value; null when sensitive or unset. */
  value: string | null
  /** Where the value comes from. */
  source: ConfigSource
  /** Whether it cannot be altered. */
  readOnly: boolean
  /** Whether the value is hidden (passwords). */
  sensitive: boolean
  /** Whether it is the default (no override anywhere). */
  isDefault: boolean
}

/**
 * A resource's configs, or why not.
 *
 * @example
 * ```ts
 * const [r] = await kafka.admin.describeConfigs([{ type: 'broker', name: '1' }])
 * ```
 */
export type ConfigDescription = AdminItem<ConfigResource, {
  /** Its configs, sorted by name. */
  configs: ConfigEntry[]
}>

/**
 * Changes to one resource's configs: keys to set, to delete (back to the
 * default), and list values to append to or subtract from.
 *
 * @example
 * ```ts
 * const change: ConfigChange = { type: 'topic', name: 'orders', set: { 'retention.ms': '3600000' }, delete: ['cleanup.policy'] }
 * ```
 */
export interface ConfigChange extends ConfigResource {
  /** Keys to set to these values. */
  set?: Readonly<Record<string, string>>
  /** Keys to remove (the value falls back to the next source). */
  delete?: readonly string[]
  /** List-valued keys to append these elements to. */
  append?: Readonly<Record<string, string>>
  /** List-valued keys to remove these elements from. */
  subtract?: Readonly<Record<string, string>>
}

/**
 * An altered resource, or why not (INVALID_CONFIG, POLICY_VIOLATION, ...).
 *
 * @example
 * ```ts
 * const [r] = await kafka.admin.alterConfigs([{ type: 'topic', name: 'orders', set: { 'retention.ms': '60000' } }])
 * ```
 */
export type AlterConfigResult = AdminItem<ConfigResource, object>

const keyOf = (r: ConfigResource): string => `${r.type}:${r.name}`

/** A broker's own configs live on that broker; everything else may be asked of any. */
function brokerOf(r: ConfigResource): number | 'any' {
  if ((r.type === 'broker' || r.type === 'broker-logger') && r.name !== '') return Number(r.name)
  return 'any'
}

function checkResources(call: string, resources: readonly ConfigResource[]): void {
  if (resources.length === 0) throw new AdminArgumentError(call, 'resources', 'is empty', 'name at least one resource')
  resources.forEach((r, i) => {
    if (!(r.type in RESOURCE_TYPE)) throw new AdminArgumentError(call, `resources[${i}].type`, `is ${JSON.stringify(r.type)}`, "use 'topic', 'broker', 'broker-logger' or 'group'")
    if ((r.type === 'broker' || r.type === 'broker-logger') && r.name !== '' && !/^\d+$/.test(r.name)) {
      throw new AdminArgumentError(call, `resources[${i}].name`, `is ${JSON.stringify(r.name)}, not a broker id`, "name a broker by its id, such as '1' ('' for the cluster-wide default)")
    }
  })
}

/** Resources grouped by the broker to ask. */
function byBroker<R extends ConfigResource>(resources: readonly R[]): Map<number | 'any', R[]> {
  const groups = new Map<number | 'any', R[]>()
  for (const r of resources) {
    const list = groups.get(brokerOf(r)) ?? []
    list.push(r)
    groups.set(brokerOf(r), list)
  }
  return groups
}

/**
 * Describes the configs of topics, brokers, broker loggers or groups; `keys`
 * limits the answer to those config names.
 *
 * @example
 * ```ts
 * describeConfigs(router, [{ type: 'topic', name: 'orders' }], { keys: ['retention.ms'] }).subscribe(console.log)
 * ```
 */
export function describeConfigs(router: AdminRouter, resources: readonly ConfigResource[], options: { keys?: readonly string[] } = {}): Observable<ConfigDescription[]> {
  checkResources('describeConfigs', resources)
  return router
    .rounds<ConfigResource, { configs: ConfigEntry[] }>(resources, keyOf, (pending, round) =>
      forkJoin(
        [...byBroker(pending)].map(([broker, list]) =>
          router.toBroker(broker, DescribeConfigsApi, {
            resources: list.map((r) => ({ resourceType: RESOURCE_TYPE[r.type], resourceName: r.name, configurationKeys: options.keys === undefined ? null : [...options.keys] })),
            includeSynonyms: false,
            includeDocumentation: false,
          }, round),
        ),
      ).pipe(map((responses) => describeAnswers(responses))),
    )
    .pipe(map((answers) => resources.map((r) => settle({ type: r.type, name: r.name }, answers.get(keyOf(r)), { api: 'DescribeConfigs' }))))
}

function describeAnswers(responses: DescribeConfigsResponse[]): ItemAnswers<{ configs: ConfigEntry[] }> {
  const answers: ItemAnswers<{ configs: ConfigEntry[] }> = new Map()
  for (const response of responses) {
    for (const r of response.results) {
      const type = RESOURCE_NAME.get(r.resourceType) ?? 'topic'
      answers.set(keyOf({ type, name: r.resourceName }), {
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        value: {
          configs: r.configs
            .map((c) => {
              const source = SOURCES[c.configSource ?? 0] ?? 'unknown'
              // v0 says isDefault; later versions say where the value comes from instead.
              const isDefault = c.configSource === undefined ? c.isDefault === true : source === 'default'
              return { name: c.name, value: c.value, source, readOnly: c.readOnly, sensitive: c.isSensitive, isDefault }
            })
            .sort((a, b) => (a.name < b.name ? -1 : 1)),
        },
      })
    }
  }
  return answers
}

/**
 * Alters configs key by key (IncrementalAlterConfigs); one result per resource.
 *
 * @example
 * ```ts
 * alterConfigs(router, [{ type: 'topic', name: 'orders', set: { 'retention.ms': '60000' } }]).subscribe(console.log)
 * ```
 */
export function alterConfigs(router: AdminRouter, changes: readonly ConfigChange[], options: { validateOnly?: boolean } = {}): Observable<AlterConfigResult[]> {
  checkResources('alterConfigs', changes)
  changes.forEach((c, i) => {
    const count = Object.keys(c.set ?? {}).length + (c.delete?.length ?? 0) + Object.keys(c.append ?? {}).length + Object.keys(c.subtract ?? {}).length
    if (count === 0) throw new AdminArgumentError('alterConfigs', `changes[${i}]`, 'changes nothing', 'give set, delete, append or subtract')
  })
  return router
    .rounds<ConfigChange, object>(changes, keyOf, (pending, round) =>
      forkJoin(
        [...byBroker(pending)].map(([broker, list]) =>
          router.toBroker(broker, IncrementalAlterConfigsApi, {
            resources: list.map((c) => ({
              resourceType: RESOURCE_TYPE[c.type],
              resourceName: c.name,
              configs: [
                ...Object.entries(c.set ?? {}).map(([name, value]) => ({ name, configOperation: 0, value })),
                ...(c.delete ?? []).map((name) => ({ name, configOperation: 1, value: null })),
                ...Object.entries(c.append ?? {}).map(([name, value]) => ({ name, configOperation: 2, value })),
                ...Object.entries(c.subtract ?? {}).map(([name, value]) => ({ name, configOperation: 3, value })),
              ],
            })),
            validateOnly: options.validateOnly ?? false,
          }, round),
        ),
      ).pipe(map((responses) => alterAnswers(responses))),
    )
    .pipe(map((answers) => changes.map((c) => settle({ type: c.type, name: c.name }, answers.get(keyOf(c)), { api: 'IncrementalAlterConfigs' }))))
}

function alterAnswers(responses: IncrementalAlterConfigsResponse[]): ItemAnswers<object> {
  const answers: ItemAnswers<object> = new Map()
  for (const response of responses) {
    for (const r of response.responses) {
      answers.set(keyOf({ type: RESOURCE_NAME.get(r.resourceType) ?? 'topic', name: r.resourceName }), { errorCode: r.errorCode, errorMessage: r.errorMessage, value: {} })
    }
  }
  return answers
}
