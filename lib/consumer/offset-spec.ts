/**
 * Where a partition starts or jumps to: an offset, an end, or a time
 * (ListOffsets by timestamp, KIP-79), and the hooks' answers that may come
 * later (a Promise or an Observable). A plain JS number where a bigint offset
 * belongs is refused with a clear error: it is not guessed to be an offset or a
 * timestamp.
 */
import { defer, from, isObservable, map, of, take, type Observable } from 'rxjs'
import { ConsumerOptionError } from '../errors/index.js'

/** The first offset whose timestamp is at or after `timestamp` (ms since the epoch); the end of the partition when there is none. */
export interface OffsetAtTime {
  /** Milliseconds since the epoch, as `Date.now()` gives them. */
  timestamp: number
}

/** Where a partition starts (or jumps to): an offset, an end, or a time. */
export type OffsetSpec = bigint | 'earliest' | 'latest' | OffsetAtTime

/** A hook's answer: a spec now, or later (a Promise, or an Observable whose first value counts). */
export type OffsetChoice = OffsetSpec | PromiseLike<OffsetSpec> | Observable<OffsetSpec>

/** What ListOffsets is asked for: an end or a time. */
export type OffsetLookup = 'earliest' | 'latest' | OffsetAtTime

/**
 * Checks that `value` is an OffsetSpec; throws a ConsumerOptionError naming
 * `option` otherwise.
 *
 * @example
 * ```ts
 * checkOffsetSpec('from', 300) // throws: a number is not an offset; write 300n
 * ```
 */
export function checkOffsetSpec(option: string, value: unknown): OffsetSpec {
  if (typeof value === 'bigint') {
    if (value < 0n) throw new ConsumerOptionError(option, `must not be a negative offset, got ${value}n`, "use an offset >= 0n, 'earliest', 'latest' or { timestamp: ms }")
    return value
  }
  if (value === 'earliest' || value === 'latest') return value
  if (typeof value === 'number') {
    throw new ConsumerOptionError(
      option,
      `got the number ${value}, which could be an offset or a time`,
      Number.isInteger(value) && value >= 0 ? `write ${value}n for the offset, or { timestamp: ${value} } for a time in ms` : "use a bigint offset (300n), 'earliest', 'latest' or { timestamp: ms }",
    )
  }
  if (typeof value === 'object' && value !== null && 'timestamp' in value) {
    const timestamp = (value as { timestamp: unknown }).timestamp
    if (typeof timestamp === 'number' && Number.isSafeInteger(timestamp) && timestamp >= 0) return { timestamp }
    throw new ConsumerOptionError(option, `timestamp must be whole milliseconds since the epoch (>= 0), got ${String(timestamp)}`, 'pass { timestamp: Date.parse("2026-01-01T00:00:00Z") } or { timestamp: Date.now() - 3_600_000 }')
  }
  throw new ConsumerOptionError(option, `must be a bigint offset, 'earliest', 'latest' or { timestamp: ms }, got ${describe(value)}`, "use e.g. 300n, 'earliest' or { timestamp: Date.now() - 60_000 }")
}

/** A hook's answer as an Observable of one checked spec (errors with a ConsumerOptionError when it is not one). */
export function offsetChoice$(option: string, choice: () => OffsetChoice): Observable<OffsetSpec> {
  return defer(() => {
    const value = choice()
    const later: Observable<unknown> = isObservable(value) ? value : isPromiseLike(value) ? from(value) : of(value)
    return later.pipe(
      take(1),
      map((v) => checkOffsetSpec(option, v)),
    )
  })
}

/** A key for grouping look-ups of the same kind (one ListOffsets per leader, topic and lookup). */
export function lookupKey(lookup: OffsetLookup): string {
  return typeof lookup === 'string' ? lookup : `t${lookup.timestamp}`
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === null) return 'null'
  return typeof value
}
