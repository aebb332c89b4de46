/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of
 * RecordBatch v2. Slicing-by-16: sixteen 256-entry tables let the loop consume
 * sixteen bytes per iteration. Measured against slicing-by-8 on Node 20 here
 * (1 MiB input, interleaved runs, median): by-16 ~1000 MB/s, by-8 ~700-900 MB/s,
 * so by-16 it is. Reading the sixteen bytes as four aligned 32-bit words through
 * an Int32Array view (little-endian hosts) nearly doubles that again (~1400
 * MB/s vs ~750 MB/s byte by byte in the same run), so large inputs take that path.
 *
 * Where the optional dependency `@node-rs/crc32` is installed (SSE 4.2 / ARMv8
 * CRC instructions; prebuilt per platform as npm packages, nothing downloaded at
 * install) inputs of 256 bytes and more go to it: measured here with a 61-byte
 * offset as in a batch (`npm run bench:crc32c`), it is 1.9x this code at 1 KiB and
 * 3x at 16 KiB, while below ~200 bytes the call into native code costs more than
 * it saves. Without it, or where it does not load, this code serves every input.
 */
import { endianness } from 'node:os'
import { requireIfPresent } from '../../kit/require-if-present.js'

const POLYNOMIAL = 0x82f63b78
const SLICES = 16
/** Below this many bytes, creating a word view costs more than it saves. */
const WORD_PATH_MIN_BYTES = 256
const LITTLE_ENDIAN = endianness() === 'LE'

/** `TABLES[k * 256 + b]`: the CRC contribution of byte `b` followed by `k` zero bytes. */
const TABLES: Int32Array = buildTables()

function buildTables(): Int32Array {
  const tables = new Int32Array(SLICES * 256)
  for (let b = 0; b < 256; b++) {
    let crc = b
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1
    tables[b] = crc
  }
  for (let b = 0; b < 256; b++) {
    let crc = tables[b]!
    for (let k = 1; k < SLICES; k++) {
      crc = tables[crc & 0xff]! ^ (crc >>> 8)
      tables[k * 256 + b] = crc
    }
  }
  return tables
}

/** Below this many bytes the portable code beats the call into native code. */
const NATIVE_MIN_BYTES = 256

/** `@node-rs/crc32`'s surface that we use: `crc32c(input, previous)` continues from a previous result, as ours does. */
interface NativeCrc32 {
  crc32c(input: Uint8Array, initialState?: number): number
}

/** Loaded on the first input long enough to use it; `null` once it turned out absent. */
let native: NativeCrc32 | null | undefined

function loadNative(): NativeCrc32 | null {
  native = requireIfPresent<NativeCrc32>('@node-rs/crc32') ?? null
  return native
}

/**
 * Which implementation serves inputs of 256 bytes and more: `'native'`
 * (`@node-rs/crc32`, an optional dependency) or `'javascript'` (the built-in
 * slicing-by-16 code, which always serves shorter inputs).
 *
 * @example
 * ```ts
 * crc32cImplementation() // 'native' where @node-rs/crc32 is installed
 * ```
 */
export function crc32cImplementation(): 'native' | 'javascript' {
  return (native === undefined ? loadNative() : native) === null ? 'javascript' : 'native'
}

/**
 * CRC-32C of `bytes[start, end)`, continuing from `initial` (the unsigned
 * result of a previous call over the preceding bytes; 0 to start afresh).
 * Inputs of 256 bytes and more go to `@node-rs/crc32` where it is installed;
 * the result is the same either way.
 *
 * @returns the checksum as an unsigned 32-bit integer.
 *
 * @example
 * ```ts
 * crc32c(Buffer.from('123456789')) // 0xe3069283
 * const whole = crc32c(bytes)
 * const resumed = crc32c(bytes, 10, bytes.length, crc32c(bytes, 0, 10)) // === whole
 * ```
 */
export function crc32c(bytes: Uint8Array, start = 0, end: number = bytes.length, initial = 0): number {
  if (end - start >= NATIVE_MIN_BYTES) {
    const library = native === undefined ? loadNative() : native
    if (library !== null) return library.crc32c(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), initial)
  }
  return crc32cPortable(bytes, start, end, initial)
}

/**
 * {@link crc32c} in JavaScript only (slicing-by-16), whatever is installed:
 * what {@link crc32c} falls back to, exported so that both paths can be checked
 * and measured.
 *
 * @example
 * ```ts
 * crc32cPortable(Buffer.from('123456789')) === crc32c(Buffer.from('123456789')) // true
 * ```
 */
export function crc32cPortable(bytes: Uint8Array, start = 0, end: number = bytes.length, initial = 0): number {
  const t = TABLES
  let crc = ~initial
  let i = start
  if (LITTLE_ENDIAN && end - start >= WORD_PATH_MIN_BYTES) {
    while (((bytes.byteOffset + i) & 3) !== 0) crc = t[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8)
    const wordCount = ((end - i) >>> 4) << 2
    const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, wordCount)
    for (let w = 0; w < wordCount; w += 4) {
      const a = crc ^ words[w]!
      const b = words[w + 1]!
      const c = words[w + 2]!
      const d = words[w + 3]!
      crc =
        t[3840 + (a & 0xff)]! ^
        t[3584 + ((a >>> 8) & 0xff)]! ^
        t[3328 + ((a >>> 16) & 0xff)]! ^
        t[3072 + (a >>> 24)]! ^
        t[2816 + (b & 0xff)]! ^
        t[2560 + ((b >>> 8) & 0xff)]! ^
        t[2304 + ((b >>> 16) & 0xff)]! ^
        t[2048 + (b >>> 24)]! ^
        t[1792 + (c & 0xff)]! ^
        t[1536 + ((c >>> 8) & 0xff)]! ^
        t[1280 + ((c >>> 16) & 0xff)]! ^
        t[1024 + (c >>> 24)]! ^
        t[768 + (d & 0xff)]! ^
        t[512 + ((d >>> 8) & 0xff)]! ^
        t[256 + ((d >>> 16) & 0xff)]! ^
        t[d >>> 24]!
    }
    i += wordCount * 4
  }
  const blockEnd = i + ((end - i) & ~15)
  while (i < blockEnd) {
    const first = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))
    crc =
      t[3840 + (first & 0xff)]! ^
      t[3584 + ((first >>> 8) & 0xff)]! ^
      t[3328 + ((first >>> 16) & 0xff)]! ^
      t[3072 + (first >>> 24)]! ^
      t[2816 + bytes[i + 4]!]! ^
      t[2560 + bytes[i + 5]!]! ^
      t[2304 + bytes[i + 6]!]! ^
      t[2048 + bytes[i + 7]!]! ^
      t[1792 + bytes[i + 8]!]! ^
      t[1536 + bytes[i + 9]!]! ^
      t[1280 + bytes[i + 10]!]! ^
      t[1024 + bytes[i + 11]!]! ^
      t[768 + bytes[i + 12]!]! ^
      t[512 + bytes[i + 13]!]! ^
      t[256 + bytes[i + 14]!]! ^
      t[bytes[i + 15]!]!
    i += 16
  }
  while (i < end) crc = t[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8)
  return ~crc >>> 0
}

/** (a · b) mod P over GF(2), bit-reflected as the CRC is. */
function multiplyModP(a: number, b: number): number {
  let m = 0x80000000
  let product = 0
  for (;;) {
    if ((a & m) !== 0) {
      product ^= b
      if ((a & (m - 1)) === 0) break
    }
    m >>>= 1
    b = (b & 1) !== 0 ? (b >>> 1) ^ POLYNOMIAL : b >>> 1
  }
  return product >>> 0
}

/** `POWERS[k]`: x^(2^k) mod P, so that x^n mod P is a product of at most 32 of them. */
const POWERS: number[] = (() => {
  const powers: number[] = []
  let p = 0x40000000 // x^1
  for (let k = 0; k < 32; k++) {
    powers.push(p)
    p = multiplyModP(p, p)
  }
  return powers
})()

/**
 * CRC-32C of `A ‖ B` from `crc32c(A)`, `crc32c(B)` and the length of B, in
 * O(log length) steps and without the bytes (zlib's crc32_combine, for the
 * Castagnoli polynomial). A worker can checksum the compressed records of a
 * batch while the main thread checksums only the 40 header bytes it stamps.
 *
 * @example
 * ```ts
 * crc32cCombine(crc32c(a), crc32c(b), b.length) === crc32c(Buffer.concat([a, b])) // true
 * ```
 */
export function crc32cCombine(crcA: number, crcB: number, lengthB: number): number {
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) throw new RangeError(`length must be a non-negative integer, got ${lengthB}`)
  // x^(8 · lengthB) mod P, by the binary digits of lengthB (k starts at 3: 8 = 2^3).
  let shift = 0x80000000 // x^0
  let n = lengthB
  for (let k = 3; n > 0; k++, n = Math.floor(n / 2)) if (n % 2 === 1) shift = multiplyModP(POWERS[k & 31]!, shift)
  return (multiplyModP(shift, crcA) ^ crcB) >>> 0
}
