/**
 * A raw snappy block compressor, written from the snappy format description
 * (a varint of the uncompressed length, then literal and copy elements).
 *
 * Why not snappyjs's compressor, which the codec used before: its hash is a
 * floating-point multiplication (`key * 0x1e35a7bd` exceeds 2^53 before `>>>`),
 * its four-byte loads add bytes as doubles, and it copies literals byte by byte;
 * together they made it half of the busy time of the produce-100B-snappy lane.
 * This one does what lz4.ts's compressor does: one unaligned little-endian
 * four-byte read through a DataView, `Math.imul` hashing into a 16-bit table of
 * block-relative positions, matches extended four bytes at a time, and writing
 * straight into an output sized to the worst case.
 */
import { backwardMatchLength, forwardMatchEnd, SHORT_LITERAL_COPY } from './match-extension.js'

const HASH_BITS = 14
/** Snappy's reference leaves the last 15 bytes of a block to literals when searching (kInputMarginBytes). */
const INPUT_MARGIN = 15
const MIN_MATCH = 4
/** A block is at most this long, so positions and offsets fit in 16 bits. */
export const SNAPPY_MAX_BLOCK_BYTES = 64 * 1024

/** Positions relative to the block start; the cleared table maps every hash to the block's first byte, a real earlier position. */
const hashTable = new Uint16Array(1 << HASH_BITS)

/** The most a block of `length` bytes can take compressed (snappy's MaxCompressedLength). */
export function snappyBlockBound(length: number): number {
  return 32 + length + ((length / 6) | 0)
}

function writeLiteral(src: Uint8Array, from: number, to: number, dst: Uint8Array, d: number): number {
  const length = to - from
  const n = length - 1
  if (n < 60) {
    dst[d++] = n << 2
  } else if (n < 0x100) {
    dst[d++] = 60 << 2
    dst[d++] = n
  } else if (n < 0x10000) {
    dst[d++] = 61 << 2
    dst[d++] = n & 0xff
    dst[d++] = n >>> 8
  } else {
    dst[d++] = 62 << 2
    dst[d++] = n & 0xff
    dst[d++] = (n >>> 8) & 0xff
    dst[d++] = n >>> 16
  }
  if (length < SHORT_LITERAL_COPY) {
    for (let i = 0; i < length; i++) dst[d + i] = src[from + i]!
  } else {
    dst.set(src.subarray(from, to), d)
  }
  return d + length
}

/** Copy elements for a match of `length` (>= 4) bytes at `offset` (< 64 Ki). */
function writeCopy(offset: number, length: number, dst: Uint8Array, d: number): number {
  while (length >= 68) {
    dst[d++] = 2 | (63 << 2) // copy with a 2-byte offset, 64 bytes
    dst[d++] = offset & 0xff
    dst[d++] = offset >>> 8
    length -= 64
  }
  if (length > 64) {
    dst[d++] = 2 | (59 << 2) // 60 bytes, leaving at least 4
    dst[d++] = offset & 0xff
    dst[d++] = offset >>> 8
    length -= 60
  }
  if (length < 12 && offset < 2048) {
    dst[d++] = 1 | ((length - 4) << 2) | ((offset >>> 8) << 5) // 1-byte offset form
    dst[d++] = offset & 0xff
  } else {
    dst[d++] = 2 | ((length - 1) << 2)
    dst[d++] = offset & 0xff
    dst[d++] = offset >>> 8
  }
  return d
}

/**
 * Compresses `src[start, end)` (at most {@link SNAPPY_MAX_BLOCK_BYTES}) as one
 * raw snappy block into `dst` at `d`, which has room for
 * {@link snappyBlockBound} bytes; `view` is a DataView over `src`. Returns the
 * end offset in `dst`.
 *
 * @example
 * ```ts
 * const out = Buffer.allocUnsafe(snappyBlockBound(input.length))
 * const end = compressSnappyBlock(input, new DataView(input.buffer, input.byteOffset, input.byteLength), 0, input.length, out, 0)
 * const block = out.subarray(0, end)
 * ```
 */
export function compressSnappyBlock(src: Uint8Array, view: DataView, start: number, end: number, dst: Uint8Array, d: number): number {
  let declared = end - start
  while (declared >= 0x80) {
    dst[d++] = (declared & 0x7f) | 0x80
    declared >>>= 7
  }
  dst[d++] = declared
  const table = hashTable
  table.fill(0)
  let anchor = start
  let ip = start + 1 // `start` is in the cleared table already
  const ipLimit = end - INPUT_MARGIN
  while (ip <= ipLimit) {
    const sequence = view.getInt32(ip, true)
    const h = Math.imul(sequence, 0x1e35a7bd) >>> (32 - HASH_BITS)
    const candidate = start + table[h]!
    table[h] = ip - start
    if (view.getInt32(candidate, true) !== sequence) {
      ip += 1 + ((ip - anchor) >>> 5)
      continue
    }
    const back = backwardMatchLength(src, ip, candidate, anchor, start)
    const matchStart = ip - back
    const reference = candidate - back
    const matchEnd = forwardMatchEnd(src, view, ip + MIN_MATCH, candidate + MIN_MATCH, end) // a snappy match may run to the block's end
    if (matchStart > anchor) d = writeLiteral(src, anchor, matchStart, dst, d)
    d = writeCopy(matchStart - reference, matchEnd - matchStart, dst, d)
    ip = matchEnd
    anchor = ip
  }
  if (end > anchor) d = writeLiteral(src, anchor, end, dst, d)
  return d
}
