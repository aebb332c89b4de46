/**
 * snappy (Kafka codec 2). The Java client writes snappy-java's stream framing
 * ("xerial" framing): the 8-byte magic 0x82 'SNAPPY' 0x00, then int32 version 1
 * and int32 minimum-compatible version 1 (big-endian), then blocks of
 * [int32 big-endian compressed length][raw snappy], each block compressing at
 * most 32 KiB of input (SnappyOutputStream's default block size). librdkafka and
 * some other clients write plain raw snappy; readers accept both, and so do we.
 *
 * Compression is our own block compressor (snappy-block-compressor.ts, which
 * says why not snappyjs's), writing every block straight into one output.
 * Decompression is our own bounded decoder: snappyjs's
 * decoder does not check that the output matches the declared length, and a
 * hostile literal length can send its read position backwards and spin for
 * billions of iterations, which a client fed by the network cannot afford.
 */
import { type CompressionCodec } from './codec.js'
import { compressSnappyBlock, snappyBlockBound } from './snappy-block-compressor.js'
import { CompressionError, DecompressedSizeExceededError } from '../../errors/index.js'

const NAME = 'snappy'
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER_BYTES = 16
const XERIAL_VERSION = 1
const XERIAL_COMPATIBLE_VERSION = 1
/** snappy-java's SnappyOutputStream default block size, which Kafka's Java producer uses. */
export const XERIAL_BLOCK_BYTES = 32 * 1024
/** Below this many bytes a JS loop beats subarray + set / copyWithin. */
const SHORT_COPY = 16

function hasXerialHeader(bytes: Uint8Array): boolean {
  if (bytes.length < XERIAL_HEADER_BYTES) return false
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (bytes[i] !== XERIAL_MAGIC[i]) return false
  return true
}

/**
 * The uncompressed length a raw snappy block declares in its leading varint, and
 * where its elements start. Refuses a length above `maxOutputBytes` or one the
 * block's size makes impossible, before anything is allocated.
 */
function declaredLength(bytes: Uint8Array, start: number, end: number, maxOutputBytes: number): [length: number, elementsAt: number] {
  let pos = start
  let declared = 0
  let shift = 0
  for (;;) {
    if (pos >= end) throw new CompressionError(NAME, 'truncated uncompressed-length varint')
    const byte = bytes[pos++]!
    declared += (byte & 0x7f) * 2 ** shift
    if (byte < 0x80) break
    shift += 7
    if (shift > 28) throw new CompressionError(NAME, 'uncompressed-length varint longer than 5 bytes')
  }
  if (declared > 0xffffffff) throw new CompressionError(NAME, `uncompressed length ${declared} exceeds 32 bits`)
  if (declared > maxOutputBytes) throw new DecompressedSizeExceededError(NAME, maxOutputBytes)
  // Each element (at least 2 bytes in) emits at most 64 bytes, so a declared length
  // far beyond that ratio is corrupt: refuse before allocating.
  if (declared > (end - pos) * 64 + 64) {
    throw new CompressionError(NAME, `declared length ${declared} is impossible for ${end - pos} input bytes`)
  }
  return [declared, pos]
}

/**
 * Decodes the elements `bytes[pos, end)` of one raw snappy block into
 * `out[outStart, outStart + length)`, which they must fill exactly.
 *
 * Every position, length and offset here stays a small integer (int32): a single
 * value computed as a double (`2 ** n`, or `>>> 0` above 2^31) turns the indices of
 * the whole loop into doubles, which once made this decoder four times slower.
 */
function decodeElements(bytes: Uint8Array, pos: number, end: number, out: Buffer, outStart: number, length: number): void {
  let outPos = outStart
  const outEnd = outStart + length
  while (pos < end) {
    const tag = bytes[pos++]!
    const kind = tag & 3
    if (kind === 0) {
      let literalLength = (tag >>> 2) + 1
      if (literalLength > 60) {
        const lengthBytes = literalLength - 60
        if (pos + lengthBytes > end) throw new CompressionError(NAME, 'truncated literal length')
        literalLength = 0
        for (let i = 0; i < lengthBytes; i++) literalLength |= bytes[pos++]! << (8 * i)
        // A four-byte length of 2^31 or more reads as negative here; no block is that long.
        if (literalLength < 0 || literalLength === 0x7fffffff) throw new CompressionError(NAME, 'literal longer than 2 GiB')
        literalLength += 1
      }
      if (literalLength > end - pos) throw new CompressionError(NAME, 'literal runs past the end of the input')
      if (literalLength > outEnd - outPos) throw new CompressionError(NAME, 'literal runs past the declared length')
      if (literalLength < SHORT_COPY) {
        for (let i = 0; i < literalLength; i++) out[outPos + i] = bytes[pos + i]!
      } else {
        out.set(bytes.subarray(pos, pos + literalLength), outPos)
      }
      pos += literalLength
      outPos += literalLength
      continue
    }
    let copyLength: number
    let copyOffset: number
    if (kind === 1) {
      if (pos >= end) throw new CompressionError(NAME, 'truncated copy')
      copyLength = ((tag >>> 2) & 7) + 4
      copyOffset = ((tag >>> 5) << 8) | bytes[pos++]!
    } else if (kind === 2) {
      if (pos + 2 > end) throw new CompressionError(NAME, 'truncated copy')
      copyLength = (tag >>> 2) + 1
      copyOffset = bytes[pos]! | (bytes[pos + 1]! << 8)
      pos += 2
    } else {
      if (pos + 4 > end) throw new CompressionError(NAME, 'truncated copy')
      copyLength = (tag >>> 2) + 1
      // int32, not `>>> 0`: an offset of 2^31 or more reads as negative and is refused below.
      copyOffset = bytes[pos]! | (bytes[pos + 1]! << 8) | (bytes[pos + 2]! << 16) | (bytes[pos + 3]! << 24)
      pos += 4
    }
    if (copyOffset <= 0 || copyOffset > outPos - outStart) {
      throw new CompressionError(NAME, `copy offset ${copyOffset >>> 0} points before the output`)
    }
    if (copyLength > outEnd - outPos) throw new CompressionError(NAME, 'copy runs past the declared length')
    let from = outPos - copyOffset
    if (copyOffset >= copyLength && copyLength >= SHORT_COPY) {
      out.copyWithin(outPos, from, from + copyLength)
      outPos += copyLength
    } else {
      // Short copies are cheaper in JS than a native call; overlapping ones (repeating the
      // last `copyOffset` bytes) must go byte by byte anyway.
      const stop = outPos + copyLength
      while (outPos < stop) out[outPos++] = out[from++]!
    }
  }
  if (outPos !== outEnd) throw new CompressionError(NAME, `output is ${outPos - outStart} bytes but the block declared ${length}`)
}

/**
 * Decodes one raw snappy block `bytes[start, end)` into a new buffer, refusing to
 * produce more than `maxOutputBytes`.
 */
export function decompressRawSnappy(bytes: Uint8Array, start: number, end: number, maxOutputBytes: number): Buffer {
  const [length, elementsAt] = declaredLength(bytes, start, end, maxOutputBytes)
  const out = Buffer.allocUnsafe(length)
  decodeElements(bytes, elementsAt, end, out, 0, length)
  return out
}

/** One block of an xerial stream: its raw snappy bytes `[start, end)` and the length it declares. */
export interface XerialBlock {
  start: number
  end: number
  /** Uncompressed length the block declares. */
  length: number
  /** Where its elements start (after the length varint). */
  elementsAt: number
}

/**
 * The blocks of an xerial stream, with the lengths they declare already held to
 * `maxOutputBytes` in total, so the output can be allocated once at its exact
 * size (by any snappy decoder) before a byte is decoded.
 *
 * @example
 * ```ts
 * const total = xerialBlocks(bytes, 1 << 20).reduce((sum, b) => sum + b.length, 0)
 * ```
 */
export function xerialBlocks(bytes: Uint8Array, maxOutputBytes: number): XerialBlock[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const compatibleVersion = view.getInt32(12)
  if (compatibleVersion > XERIAL_VERSION) {
    throw new CompressionError(NAME, `xerial stream needs reader version ${compatibleVersion}, this reader is version ${XERIAL_VERSION}`)
  }
  const blocks: XerialBlock[] = []
  let total = 0
  let pos = XERIAL_HEADER_BYTES
  while (pos < bytes.length) {
    if (pos + 4 > bytes.length) throw new CompressionError(NAME, 'truncated xerial block length')
    const blockLength = view.getInt32(pos)
    pos += 4
    if (blockLength < 0 || blockLength > bytes.length - pos) {
      throw new CompressionError(NAME, `xerial block length ${blockLength} exceeds the ${bytes.length - pos} bytes left`)
    }
    let length: number
    let elementsAt: number
    try {
      ;[length, elementsAt] = declaredLength(bytes, pos, pos + blockLength, maxOutputBytes - total)
    } catch (error) {
      // Report the caller's limit, not what was left of it for this block.
      if (error instanceof DecompressedSizeExceededError) throw new DecompressedSizeExceededError(NAME, maxOutputBytes)
      throw error
    }
    total += length
    blocks.push({ start: pos, end: pos + blockLength, length, elementsAt })
    pos += blockLength
  }
  return blocks
}

/**
 * The length a raw snappy block `bytes[start, end)` declares, held to
 * `maxOutputBytes` and to what its size makes possible.
 */
export function rawSnappyLength(bytes: Uint8Array, start: number, end: number, maxOutputBytes: number): number {
  return declaredLength(bytes, start, end, maxOutputBytes)[0]
}

/** Whether `bytes` start with snappy-java's xerial stream header. */
export function isXerial(bytes: Uint8Array): boolean {
  return hasXerialHeader(bytes)
}

/** xerial framing: the output is allocated once, at its exact size, after the limit is checked. */
function decompressXerial(bytes: Uint8Array, maxOutputBytes: number): Buffer {
  const blocks = xerialBlocks(bytes, maxOutputBytes)
  let total = 0
  for (const block of blocks) total += block.length
  const out = Buffer.allocUnsafe(total)
  let outPos = 0
  for (const block of blocks) {
    decodeElements(bytes, block.elementsAt, block.end, out, outPos, block.length)
    outPos += block.length
  }
  return out
}

/**
 * xerial framing around raw snappy blocks of at most {@link XERIAL_BLOCK_BYTES}
 * input each, compressed by `compressBlock`, after `headroom` free bytes.
 */
export function xerialFrame(bytes: Uint8Array, headroom: number, compressBlock: (block: Uint8Array) => Uint8Array): Buffer {
  const blocks: Uint8Array[] = []
  let total = headroom + XERIAL_HEADER_BYTES
  for (let pos = 0; pos < bytes.length; pos += XERIAL_BLOCK_BYTES) {
    const block = compressBlock(bytes.subarray(pos, Math.min(pos + XERIAL_BLOCK_BYTES, bytes.length)))
    blocks.push(block)
    total += 4 + block.length
  }
  const out = Buffer.allocUnsafe(total)
  XERIAL_MAGIC.copy(out, headroom)
  out.writeInt32BE(XERIAL_VERSION, headroom + 8)
  out.writeInt32BE(XERIAL_COMPATIBLE_VERSION, headroom + 12)
  let pos = headroom + XERIAL_HEADER_BYTES
  for (const block of blocks) {
    out.writeInt32BE(block.length, pos)
    out.set(block, pos + 4)
    pos += 4 + block.length
  }
  return out
}

/** xerial framing around blocks compressed in place by our own compressor, after `headroom` free bytes: one output, no copies. */
function compressXerial(bytes: Uint8Array, headroom: number): Buffer {
  const blocks = Math.ceil(bytes.length / XERIAL_BLOCK_BYTES)
  const out = Buffer.allocUnsafe(headroom + XERIAL_HEADER_BYTES + blocks * (4 + snappyBlockBound(XERIAL_BLOCK_BYTES)))
  XERIAL_MAGIC.copy(out, headroom)
  out.writeInt32BE(XERIAL_VERSION, headroom + 8)
  out.writeInt32BE(XERIAL_COMPATIBLE_VERSION, headroom + 12)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let pos = headroom + XERIAL_HEADER_BYTES
  for (let start = 0; start < bytes.length; start += XERIAL_BLOCK_BYTES) {
    const blockEnd = compressSnappyBlock(bytes, view, start, Math.min(start + XERIAL_BLOCK_BYTES, bytes.length), out, pos + 4)
    out.writeInt32BE(blockEnd - pos - 4, pos)
    pos = blockEnd
  }
  return out.subarray(0, pos)
}

/**
 * The snappy codec: writes xerial framing as the Java client does; reads xerial or raw snappy.
 *
 * @example
 * ```ts
 * const packed = snappyCodec.compress(Buffer.from('hello'))
 * snappyCodec.decompress(packed, 1024).toString() // 'hello'
 * ```
 */
export const snappyCodec: CompressionCodec = {
  id: 2,
  name: NAME,
  compress(bytes: Uint8Array): Buffer {
    return compressXerial(bytes, 0)
  },
  compressWithHeadroom(bytes: Uint8Array, headroom: number): Buffer {
    return compressXerial(bytes, headroom)
  },
  decompress(bytes: Uint8Array, maxOutputBytes: number): Buffer {
    if (bytes.length === 0) return Buffer.alloc(0)
    if (hasXerialHeader(bytes)) return decompressXerial(bytes, maxOutputBytes)
    return decompressRawSnappy(bytes, 0, bytes.length, maxOutputBytes)
  },
}
