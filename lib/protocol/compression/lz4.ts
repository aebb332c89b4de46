/**
 * LZ4 (Kafka codec 3): the LZ4 frame format, as KIP-57 settled it for Kafka >=
 * 0.10 (a correct header checksum over the frame descriptor only).
 *
 * What we write is what Kafka's Java producer writes, because Java's reader
 * accepts little else: FLG 0x60 (version 1, independent blocks, no block or
 * content checksums, no content size), BD 0x40 (64 KiB maximum block size),
 * header checksum = second byte of xxHash32(FLG, BD); blocks that do not shrink
 * are stored raw (high bit of the block size set); a zero end mark.
 *
 * Why not lz4js's own frame functions (it supplies our xxHash32): its frame
 * writer declares *dependent* blocks with a 4 MiB maximum (FLG 0x40, BD 0x70),
 * which Java's Kafka reader rejects ("Dependent block stream is unsupported");
 * its block compressor may start a match within the last 12 bytes of a block,
 * which the LZ4 block format forbids; and its decoder neither verifies
 * checksums nor bounds its output loops. So blocks are compressed and
 * decompressed here, from the format spec. Interoperability with the reference
 * `lz4` tool (v1.9) was checked both ways, and its output is kept as fixtures.
 *
 * Reading is lenient where the format allows: dependent or independent blocks,
 * 64 KiB to 4 MiB blocks, optional content size, block checksums and content
 * checksum (verified when present), concatenated frames, and the broken header
 * checksum (xxHash32 over magic and descriptor) that Kafka < 0.10 wrote in
 * magic-0 message sets.
 */
import { hash as xxh32 } from 'lz4js/xxh32.js'
import { type CompressionCodec } from './codec.js'
import { backwardMatchLength, forwardMatchEnd, SHORT_LITERAL_COPY } from './match-extension.js'
import { CompressionError, DecompressedSizeExceededError } from '../../errors/index.js'

const NAME = 'lz4'
const FRAME_MAGIC = 0x184d2204
const FLG_VERSION_1 = 0x40
const FLG_BLOCK_INDEPENDENCE = 0x20
const FLG_BLOCK_CHECKSUM = 0x10
const FLG_CONTENT_SIZE = 0x08
const FLG_CONTENT_CHECKSUM = 0x04
const FLG_DICTIONARY_ID = 0x01
const BD_64KB = 4 << 4
const BLOCK_UNCOMPRESSED = 0x80000000
/** Java's Kafka producer uses 64 KiB blocks (BLOCKSIZE_64KB). */
export const LZ4_BLOCK_BYTES = 64 * 1024

const MIN_MATCH = 4
/** A match must start at least this many bytes before the end of a block. */
const MATCH_FIND_LIMIT = 12
/** The last bytes of a block are always literals. */
const LAST_LITERALS = 5
const HASH_BITS = 14
/** Below this many bytes a JS loop beats subarray + set / copyWithin (the decoder). */
const SHORT_COPY = 16

/**
 * Positions relative to the block start: a block is at most 64 KiB, so they fit
 * in 16 bits, and the table (32 KiB) stays in the L1 cache. The cleared table
 * maps every hash to the block's first byte, a real earlier position, so an
 * empty slot needs no marker: the four-byte comparison rejects it like any
 * other stale candidate.
 */
const hashTable = new Uint16Array(1 << HASH_BITS)

function read32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)
}

function writeLength(dst: Uint8Array, d: number, extra: number): number {
  while (extra >= 255) {
    dst[d++] = 255
    extra -= 255
  }
  dst[d++] = extra
  return d
}

/** The most one block of `length` bytes can take compressed (LZ4_compressBound): literals plus one length byte per 255. */
function blockBound(length: number): number {
  return length + ((length / 255) | 0) + 16
}

/**
 * Compresses `src[start, end)` (at most 64 KiB) as one independent LZ4 block
 * into `dst` at `d`, which has room for {@link blockBound} bytes; `view` is a
 * little-endian DataView over `src`. Returns the end offset in `dst`; the caller
 * stores the block raw when that is not smaller than the input.
 *
 * Four bytes are read as one unaligned little-endian word through the DataView
 * (one load where TurboFan inlines it, against four loads and three shifts), both
 * for the hashed sequence and, four at a time, when a match is extended.
 */
function compressBlock(src: Uint8Array, view: DataView, start: number, end: number, dst: Uint8Array, d: number): number {
  const table = hashTable
  table.fill(0)
  let anchor = start
  // Position `start` is in the cleared table already (every slot reads 0).
  let ip = start + 1
  const lastMatchStart = end - MATCH_FIND_LIMIT
  const matchEndLimit = end - LAST_LITERALS
  while (ip <= lastMatchStart) {
    const sequence = view.getInt32(ip, true)
    const h = Math.imul(sequence, -1640531535) >>> (32 - HASH_BITS) // 2654435761, Knuth's multiplicative hash
    const candidate = start + table[h]!
    table[h] = ip - start
    // candidate < ip always, and ip - candidate < 64 Ki: every offset fits in the format's 16 bits.
    if (view.getInt32(candidate, true) !== sequence) {
      ip += 1 + ((ip - anchor) >>> 6)
      continue
    }
    const back = backwardMatchLength(src, ip, candidate, anchor, start)
    const matchStart = ip - back
    const reference = candidate - back
    const matchEnd = forwardMatchEnd(src, view, ip + MIN_MATCH, candidate + MIN_MATCH, matchEndLimit)
    const literalLength = matchStart - anchor
    const matchExtra = matchEnd - matchStart - MIN_MATCH
    const tokenAt = d++
    let token: number
    if (literalLength >= 15) {
      token = 15 << 4
      d = writeLength(dst, d, literalLength - 15)
    } else {
      token = literalLength << 4
    }
    if (literalLength < SHORT_LITERAL_COPY) {
      for (let i = 0; i < literalLength; i++) dst[d + i] = src[anchor + i]!
    } else {
      dst.set(src.subarray(anchor, matchStart), d)
    }
    d += literalLength
    const offset = matchStart - reference
    dst[d++] = offset & 0xff
    dst[d++] = offset >>> 8
    if (matchExtra >= 15) {
      token |= 15
      d = writeLength(dst, d, matchExtra - 15)
    } else {
      token |= matchExtra
    }
    dst[tokenAt] = token
    ip = matchEnd
    anchor = ip
  }
  const literalLength = end - anchor
  if (literalLength >= 15) {
    dst[d++] = 15 << 4
    d = writeLength(dst, d, literalLength - 15)
  } else {
    dst[d++] = literalLength << 4
  }
  dst.set(src.subarray(anchor, end), d)
  return d + literalLength
}

/** A growable output with a hard ceiling. */
class BoundedOutput {
  buffer: Buffer
  length = 0
  constructor(
    initial: number,
    private readonly max: number,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.min(initial, max))
  }
  /** Makes room for `bytes` more, or throws when the ceiling would be crossed. */
  reserve(bytes: number): Buffer {
    const needed = this.length + bytes
    if (needed > this.max) throw new DecompressedSizeExceededError(NAME, this.max)
    if (needed > this.buffer.length) {
      let capacity = this.buffer.length * 2 || 1024
      while (capacity < needed) capacity *= 2
      const grown = Buffer.allocUnsafe(Math.min(capacity, this.max))
      this.buffer.copy(grown, 0, 0, this.length)
      this.buffer = grown
    }
    return this.buffer
  }
}

function corrupt(what: string): CompressionError {
  return new CompressionError(NAME, what)
}

/** Decodes one LZ4 block `src[s, sEnd)` onto `out`, producing at most `blockMax` bytes. */
function decompressBlock(src: Uint8Array, s: number, sEnd: number, out: BoundedOutput, blockMax: number): void {
  // The output position lives in a local and is written back to `out` only when the
  // buffer must grow and at the end: this loop runs once per LZ4 sequence.
  const blockLimit = out.length + blockMax
  let dst = out.buffer
  let o = out.length
  for (;;) {
    if (s >= sEnd) throw corrupt('block ends without final literals')
    const token = src[s++]!
    let literalLength = token >>> 4
    if (literalLength === 15) {
      let more: number
      do {
        if (s >= sEnd) throw corrupt('truncated literal length')
        more = src[s++]!
        literalLength += more
      } while (more === 255)
    }
    if (literalLength > sEnd - s) throw corrupt('literals run past the end of the block')
    if (o + literalLength > blockLimit) throw corrupt(`block decodes to more than its maximum of ${blockMax} bytes`)
    if (o + literalLength > dst.length) {
      out.length = o
      dst = out.reserve(literalLength)
    }
    if (literalLength < SHORT_COPY) {
      for (let i = 0; i < literalLength; i++) dst[o + i] = src[s + i]!
    } else {
      dst.set(src.subarray(s, s + literalLength), o)
    }
    o += literalLength
    s += literalLength
    if (s === sEnd) break
    if (s + 2 > sEnd) throw corrupt('truncated match offset')
    const offset = src[s]! | (src[s + 1]! << 8)
    s += 2
    if (offset === 0 || offset > o) throw corrupt(`match offset ${offset} points before the output`)
    let matchLength = token & 15
    if (matchLength === 15) {
      let more: number
      do {
        if (s >= sEnd) throw corrupt('truncated match length')
        more = src[s++]!
        matchLength += more
      } while (more === 255)
    }
    matchLength += MIN_MATCH
    if (o + matchLength > blockLimit) throw corrupt(`block decodes to more than its maximum of ${blockMax} bytes`)
    if (o + matchLength > dst.length) {
      out.length = o
      dst = out.reserve(matchLength)
    }
    let from = o - offset
    if (offset >= matchLength && matchLength >= SHORT_COPY) {
      dst.copyWithin(o, from, from + matchLength)
      o += matchLength
    } else {
      const stop = o + matchLength
      while (o < stop) dst[o++] = dst[from++]!
    }
  }
  out.length = o
}

function readU32LE(b: Uint8Array, i: number): number {
  return read32(b, i) >>> 0
}

/** Decodes one frame starting at `pos`; returns the position after it. */
function decompressFrame(bytes: Uint8Array, pos: number, out: BoundedOutput): number {
  const frameStart = pos
  if (bytes.length - pos < 7) throw corrupt('truncated frame header')
  const magic = readU32LE(bytes, pos)
  if (magic !== FRAME_MAGIC) throw corrupt(`bad frame magic 0x${magic.toString(16)}, expected 0x${FRAME_MAGIC.toString(16)}`)
  pos += 4
  const flg = bytes[pos]!
  const bd = bytes[pos + 1]!
  if ((flg & 0xc0) !== FLG_VERSION_1) throw corrupt(`unsupported frame version ${flg >>> 6}`)
  if ((flg & FLG_DICTIONARY_ID) !== 0) throw corrupt('frames with a dictionary id are not supported')
  const blockSizeCode = (bd >>> 4) & 7
  if (blockSizeCode < 4) throw corrupt(`invalid block maximum size code ${blockSizeCode}`)
  const blockMax = 1 << (2 * blockSizeCode + 8)
  const hasBlockChecksum = (flg & FLG_BLOCK_CHECKSUM) !== 0
  const hasContentChecksum = (flg & FLG_CONTENT_CHECKSUM) !== 0
  let descriptorEnd = pos + 2
  if ((flg & FLG_CONTENT_SIZE) !== 0) descriptorEnd += 8
  if (descriptorEnd >= bytes.length) throw corrupt('truncated frame descriptor')
  const headerChecksum = bytes[descriptorEnd]!
  const correct = (xxh32(0, bytes, pos, descriptorEnd - pos) >>> 8) & 0xff
  if (headerChecksum !== correct) {
    const kafkaPre010 = (xxh32(0, bytes, frameStart, descriptorEnd - frameStart) >>> 8) & 0xff
    if (headerChecksum !== kafkaPre010) throw corrupt(`frame header checksum mismatch (0x${headerChecksum.toString(16)} != 0x${correct.toString(16)})`)
  }
  pos = descriptorEnd + 1
  const contentStart = out.length
  for (;;) {
    if (bytes.length - pos < 4) throw corrupt('truncated block size (missing end mark?)')
    const word = readU32LE(bytes, pos)
    pos += 4
    if (word === 0) break
    const raw = (word & BLOCK_UNCOMPRESSED) !== 0
    const size = word & 0x7fffffff
    if (size > blockMax) throw corrupt(`block of ${size} bytes exceeds the frame's maximum of ${blockMax}`)
    if (bytes.length - pos < size + (hasBlockChecksum ? 4 : 0)) throw corrupt('truncated block')
    if (hasBlockChecksum) {
      const expected = readU32LE(bytes, pos + size)
      if (xxh32(0, bytes, pos, size) >>> 0 !== expected) throw corrupt('block checksum mismatch')
    }
    if (raw) {
      const dst = out.reserve(size)
      dst.set(bytes.subarray(pos, pos + size), out.length)
      out.length += size
    } else {
      decompressBlock(bytes, pos, pos + size, out, blockMax)
    }
    pos += size + (hasBlockChecksum ? 4 : 0)
  }
  if (hasContentChecksum) {
    if (bytes.length - pos < 4) throw corrupt('truncated content checksum')
    const expected = readU32LE(bytes, pos)
    if (xxh32(0, out.buffer, contentStart, out.length - contentStart) >>> 0 !== expected) throw corrupt('content checksum mismatch')
    pos += 4
  }
  return pos
}

/** One frame of `bytes`, written after `headroom` bytes left for the caller (a batch header). */
function compressFrame(bytes: Uint8Array, headroom: number): Buffer {
  const blocks = Math.ceil(bytes.length / LZ4_BLOCK_BYTES)
  const out = Buffer.allocUnsafe(headroom + 7 + blocks * (4 + blockBound(LZ4_BLOCK_BYTES)) + 4)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  out.writeUInt32LE(FRAME_MAGIC, headroom)
  out[headroom + 4] = FLG_VERSION_1 | FLG_BLOCK_INDEPENDENCE
  out[headroom + 5] = BD_64KB
  out[headroom + 6] = (xxh32(0, out, headroom + 4, 2) >>> 8) & 0xff
  let d = headroom + 7
  for (let start = 0; start < bytes.length; start += LZ4_BLOCK_BYTES) {
    const end = Math.min(start + LZ4_BLOCK_BYTES, bytes.length)
    const blockEnd = compressBlock(bytes, view, start, end, out, d + 4)
    if (blockEnd - d - 4 >= end - start) {
      out.writeUInt32LE((BLOCK_UNCOMPRESSED | (end - start)) >>> 0, d)
      out.set(bytes.subarray(start, end), d + 4)
      d += 4 + end - start
    } else {
      out.writeUInt32LE(blockEnd - d - 4, d)
      d = blockEnd
    }
  }
  out.writeUInt32LE(0, d)
  d += 4
  return out.subarray(0, d)
}

/**
 * The lz4 codec (Kafka's LZ4 frame format).
 *
 * @example
 * ```ts
 * const packed = lz4Codec.compress(Buffer.from('hello'))
 * lz4Codec.decompress(packed, 1024).toString() // 'hello'
 * ```
 */
export const lz4Codec: CompressionCodec = {
  id: 3,
  name: NAME,
  compress(bytes: Uint8Array): Buffer {
    return compressFrame(bytes, 0)
  },
  compressWithHeadroom(bytes: Uint8Array, headroom: number): Buffer {
    return compressFrame(bytes, headroom)
  },
  decompress(bytes: Uint8Array, maxOutputBytes: number): Buffer {
    const out = new BoundedOutput(Math.max(1024, bytes.length * 4), maxOutputBytes)
    let pos = 0
    do pos = decompressFrame(bytes, pos, out)
    while (pos < bytes.length)
    return out.buffer.subarray(0, out.length)
  },
}
