/**
 * The one place that keeps the client from negotiating versions its own code
 * does not fill in. The generated modules know every version Kafka defines;
 * the producer, consumer, cluster and CLI build request bodies and read
 * responses for fewer. Where a newer version needs work from the caller (new
 * required fields, topic ids instead of names, a new error to check), the API
 * is capped here at the highest version that code handles, and whoever adds
 * that support lifts the cap in the same change.
 *
 * Every request negotiated by a {@link BrokerConnection} or the virtual
 * cluster goes through {@link clientVersionLimits}. Code that encodes with a
 * generated definition directly (`ProduceApi.encodeRequest(w, 13, ...)`) is
 * not capped.
 */
import type { ApiDefinition } from '../protocol/api.js'
import { MetadataApi } from '../protocol/messages/Metadata.js'
import { OffsetCommitApi } from '../protocol/messages/OffsetCommit.js'
import { OffsetFetchApi } from '../protocol/messages/OffsetFetch.js'
import { ProduceApi } from '../protocol/messages/Produce.js'
import type { VersionLimits } from '../protocol/versions.js'

/** The highest version of one API the client's own code handles, and why not higher. */
export interface ClientVersionCap {
  readonly api: string
  readonly maxVersion: number
  readonly reason: string
}

// Produce v12 and TxnOffsetCommit v5 mean "this client speaks transaction version 2" (KIP-890 part 2) only for
// transactional writes; the transactional producer picks v11 / v4 itself where the cluster finalized no
// transaction.version 2. A non-transactional (idempotent) Produce v12 is read exactly as v11, so the general
// producer keeps negotiating up to 12. EndTxn v5 is sent by the transactional producer alone, for TV2 only.
const CAPS: readonly [Pick<ApiDefinition<unknown, unknown>, 'apiKey' | 'name'>, number, string][] = [
  [ProduceApi, 12, 'v13 names topics by id (KIP-516); the producer sends and matches topic names'],
  [MetadataApi, 12, 'v13 adds a top-level error code (REBOOTSTRAP_REQUIRED, KIP-1102) the cluster does not check yet'],
  [OffsetCommitApi, 9, 'v10 names topics by id (KIP-848); the committer sends and matches topic names'],
  [OffsetFetchApi, 9, 'v10 names topics by id (KIP-848); the consumer and the CLI send and match topic names'],
]

/**
 * Api key -> the cap. APIs not listed are negotiated up to the highest stable
 * version the generated module has (`ApiDefinition.maxVersion`).
 *
 * @example
 * ```ts
 * CLIENT_VERSION_CAPS.get(ProduceApi.apiKey)?.maxVersion // 12
 * ```
 */
export const CLIENT_VERSION_CAPS: ReadonlyMap<number, ClientVersionCap> = new Map(
  CAPS.map(([api, maxVersion, reason]) => [api.apiKey, { api: api.name, maxVersion, reason }]),
)

/**
 * The version limits of one request: the caller's own `minVersion`/`maxVersion`
 * with the client's cap for the API applied on top.
 *
 * @example
 * ```ts
 * const version = chooseVersion(api, brokerRange, clientVersionLimits(api, { maxVersion: 12 }))
 * ```
 */
export function clientVersionLimits(
  api: Pick<ApiDefinition<unknown, unknown>, 'apiKey'>,
  options: { minVersion?: number | undefined; maxVersion?: number | undefined },
): VersionLimits {
  const cap = CLIENT_VERSION_CAPS.get(api.apiKey)?.maxVersion
  const max = cap === undefined ? options.maxVersion : Math.min(cap, options.maxVersion ?? cap)
  return { min: options.minVersion, max }
}
