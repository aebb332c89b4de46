import { createRequire } from 'node:module'

const requireFromHere = createRequire(import.meta.url)

/**
 * Loads an optional dependency that only makes something faster (a native
 * checksum), or returns `undefined` when it is not installed or does not load
 * on this platform: the caller then keeps its pure-JavaScript path, which always
 * works. (Optional codecs, which a user asks for by name, throw instead: see
 * lib/codecs/load-optional.ts.)
 *
 * @example
 * ```ts
 * const native = requireIfPresent<{ crc32c(input: Uint8Array): number }>('@node-rs/crc32')
 * const crc = native !== undefined ? native.crc32c(bytes) : crc32cPortable(bytes)
 * ```
 */
export function requireIfPresent<T>(packageName: string): T | undefined {
  try {
    return requireFromHere(packageName) as T
  } catch {
    return undefined
  }
}
