/**
 * Version negotiation: the client knows a range of versions for each API (from
 * the generated definitions), the broker announces its own range in its
 * ApiVersions response, and every request uses the highest version both know.
 */
import type { ApiDefinition } from './api.js'
import { UnsupportedVersionError } from '../errors/index.js'
import type { ApiVersionsResponse } from './messages/ApiVersions.js'

/** An inclusive range of versions of one API. */
export interface VersionRange {
  /** The lowest version supported. */
  minVersion: number
  /** The highest version supported. */
  maxVersion: number
}

/** Extra limits the caller puts on the version, such as "at least 3 because I need transactional ids". */
export interface VersionLimits {
  /** The lowest version the caller accepts. */
  min?: number | undefined
  /** The highest version the caller accepts. */
  max?: number | undefined
  /**
   * Also consider the API's {@link ApiDefinition.unstableVersions}, for a broker
   * run with `unstable.api.versions.enable` (development and tests only). Default false.
   */
  allowUnstable?: boolean | undefined
}

/** What version negotiation needs of an API: its name, key and version ranges (any {@link ApiDefinition} has them). */
export type Negotiable = Pick<ApiDefinition<unknown, unknown>, 'name' | 'apiKey' | 'minVersion' | 'maxVersion' | 'unstableVersions'>

/**
 * The highest version of `api` that this client, the broker and `limits` all allow.
 *
 * Only the API's stable versions (`minVersion` to `maxVersion`) take part
 * unless `limits.allowUnstable` is set.
 *
 * @param broker the broker's range for this API from its ApiVersions response;
 *   `undefined` means the broker does not support the API at all.
 * @throws UnsupportedVersionError naming the API and every range involved when
 *   the ranges do not overlap.
 *
 * @example
 * ```ts
 * const table = ApiVersionsTable.fromResponse(apiVersionsResponse)
 * const version = chooseVersion(ProduceApi, table.get(ProduceApi.apiKey))
 * ProduceApi.encodeRequest(writer, version, request)
 * ```
 */
export function chooseVersion(api: Negotiable, broker: VersionRange | undefined, limits: VersionLimits = {}): number {
  const unstable = limits.allowUnstable === true ? api.unstableVersions : []
  const clientMin = Math.min(api.minVersion, ...unstable)
  const clientMax = Math.max(api.maxVersion, ...unstable)
  const client = `client supports ${clientMin}-${clientMax}`
  const asked = limits.min !== undefined || limits.max !== undefined ? `, caller allows ${limits.min ?? 0}-${limits.max ?? '∞'}` : ''
  if (broker === undefined) {
    throw new UnsupportedVersionError(`the broker does not support ${api.name} (api key ${api.apiKey}) at all (${client}${asked})`, {
      api: api.name,
      hint: 'Use a broker version that has this API, or avoid the feature that needs it',
    })
  }
  const low = Math.max(clientMin, broker.minVersion, limits.min ?? 0)
  const high = Math.min(clientMax, broker.maxVersion, limits.max ?? Number.POSITIVE_INFINITY)
  if (low > high) {
    throw new UnsupportedVersionError(
      `no version of ${api.name} (api key ${api.apiKey}) is supported by both sides: ${client}, broker supports ${broker.minVersion}-${broker.maxVersion}${asked}`,
      { api: api.name, hint: 'Upgrade the side with the older range, or relax the version limits' },
    )
  }
  return high
}

/**
 * The broker's supported version range for each api key, as its ApiVersions response lists them.
 *
 * @example
 * ```ts
 * const table = ApiVersionsTable.fromResponse(ApiVersionsApi.decodeResponse(reader, 3))
 * const version = table.choose(MetadataApi)
 * ```
 */
export class ApiVersionsTable {
  private readonly ranges: ReadonlyMap<number, VersionRange>

  constructor(ranges: Iterable<readonly [number, VersionRange]>) {
    this.ranges = new Map(ranges)
  }

  /** Builds the table from a decoded ApiVersions response (whatever its error code: the caller checks that). */
  static fromResponse(response: Pick<ApiVersionsResponse, 'apiKeys'>): ApiVersionsTable {
    return new ApiVersionsTable(
      response.apiKeys.map((key) => [key.apiKey, { minVersion: key.minVersion, maxVersion: key.maxVersion }] as const),
    )
  }

  /** The broker's range for `apiKey`, or undefined when the broker does not support it. */
  get(apiKey: number): VersionRange | undefined {
    return this.ranges.get(apiKey)
  }

  /** Every api key with its range, in api-key order. */
  entries(): [number, VersionRange][] {
    return [...this.ranges].sort((a, b) => a[0] - b[0])
  }

  /** {@link chooseVersion} against this broker's range for `api`. */
  choose(api: Negotiable, limits?: VersionLimits): number {
    return chooseVersion(api, this.get(api.apiKey), limits)
  }
}
