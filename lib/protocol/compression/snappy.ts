/**
 * snappy (Kafka codec 2). The Java client writes snappy-java's stream framing
 * ("xerial" framing): the 8-byte magic 0x82 'SNAPPY' 0x00, then int32 version 1
 * and int32 minimum-compatible version 1 (big-endian), then blocks of
 * [int32 big-endian compressed length][raw snappy], each block compressing at
 * most 32 KiB of input (SnappyOutputStream's default block size). librdkafka and
 * some other clients write plain raw snappy; readers accept both, and so do we.
 *
 * Compression uses snappyjs. Decompression is our own bounded decoder: snappyjs's
 * decoder does not check that the output matches the declared length, and a
 * hostile literal length can send its read position backwards and spin for
 * billions of iterations, which a client fed by the network cannot afford.
 */
import { compress as snappyCompress } from 'snappyjs'
import { CompressionError, DecompressedSizeExceededError, type CompressionCodec } from './codec.js'

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
 * Decodes one raw snappy block `bytes[start, end)` into a new buffer, refusing to
 * produce more than `maxOutputBytes`.
 */
export function decompressRawSnappy(bytes: Uint8Array, start: number, end: number, maxOutputBytes: number): Buffer {
  let pos = start
  let length = 0
  let shift = 0
  for (;;) {
    if (pos >= end) throw new CompressionError(NAME, 'truncated uncompressed-length varint')
    const byte = bytes[pos++]!
    length += (byte & 0x7f) * 2 ** shift
    if (byte < 0x80) break
    shift += 7
    if (shift > 28) throw new CompressionError(NAME, 'uncompressed-length varint longer than 5 bytes')
  }
  if (length > 0xffffffff) throw new CompressionError(NAME, `uncompressed length ${length} exceeds 32 bits`)
  if (length > maxOutputBytes) throw new DecompressedSizeExceededError(NAME, maxOutputBytes)
  // Every element emits at least one byte per input byte at best 64:1, so a declared
  // length far beyond that ratio is corrupt: refuse before allocating.
  if (length > (end - pos) * 64 + 64) {
    throw new CompressionError(NAME, `declared length ${length} is impossible for ${end - pos} input bytes`)
  }
  const out = Buffer.allocUnsafe(length)
  let outPos = 0
  while (pos < end) {
    const tag = bytes[pos++]!
    const kind = tag & 3
    if (kind === 0) {
      let literalLength = (tag >>> 2) + 1
      if (literalLength > 60) {
        const lengthBytes = literalLength - 60
        if (pos + lengthBytes > end) throw new CompressionError(NAME, 'truncated literal length')
        literalLength = 0
        for (let i = 0; i < lengthBytes; i++) literalLength += bytes[pos++]! * 2 ** (8 * i)
        literalLength += 1
      }
      if (literalLength > end - pos) throw new CompressionError(NAME, 'literal runs past the end of the input')
      if (literalLength > length - outPos) throw new CompressionError(NAME, 'literal runs past the declared length')
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
      copyOffset = (bytes[pos]! | (bytes[pos + 1]! << 8) | (bytes[pos + 2]! << 16) | (bytes[pos + 3]! << 24)) >>> 0
      pos += 4
    }
    if (copyOffset === 0 || copyOffset > outPos) throw new CompressionError(NAME, `copy offset ${copyOffset} points before the output`)
    if (copyLength > length - outPos) throw new CompressionError(NAME, 'copy runs past the declared length')
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
  if (outPos !== length) throw new CompressionError(NAME, `output is ${outPos} bytes but the block declared ${length}`)
  return out
}

function decompressXerial(bytes: Uint8Array, maxOutputBytes: number): Buffer {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const compatibleVersion = view.getInt32(12)
  if (compatibleVersion > XERIAL_VERSION) {
    throw new CompressionError(NAME, `xerial stream needs reader version ${compatibleVersion}, this reader is version ${XERIAL_VERSION}`)
  }
  const blocks: Buffer[] = []
  let total = 0
  let pos = XERIAL_HEADER_BYTES
  while (pos < bytes.length) {
    if (pos + 4 > bytes.length) throw new CompressionError(NAME, 'truncated xerial block length')
    const blockLength = view.getInt32(pos)
    pos += 4
    if (blockLength < 0 || blockLength > bytes.length - pos) {
      throw new CompressionError(NAME, `xerial block length ${blockLength} exceeds the ${bytes.length - pos} bytes left`)
    }
    let block: Buffer
    try {
      block = decompressRawSnappy(bytes, pos, pos + blockLength, maxOutputBytes - total)
    } catch (error) {
      // Report the caller's limit, not what was left of it for this block.
      if (error instanceof DecompressedSizeExceededError) throw new DecompressedSizeExceededError(NAME, maxOutputBytes)
      throw error
    }
    total += block.length
    blocks.push(block)
    pos += blockLength
  }
  return blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks, total)
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
    const blocks: Uint8Array[] = []
    let total = XERIAL_HEADER_BYTES
    for (let pos = 0; pos < bytes.length; pos += XERIAL_BLOCK_BYTES) {
      const block = snappyCompress(bytes.subarray(pos, Math.min(pos + XERIAL_BLOCK_BYTES, bytes.length)))
      blocks.push(block)
      total += 4 + block.length
    }
    const out = Buffer.allocUnsafe(total)
    XERIAL_MAGIC.copy(out, 0)
    out.writeInt32BE(XERIAL_VERSION, 8)
    out.writeInt32BE(XERIAL_COMPATIBLE_VERSION, 12)
    let pos = XERIAL_HEADER_BYTES
    for (const block of blocks) {
      out.writeInt32BE(block.length, pos)
      out.set(block, pos + 4)
      pos += 4 + block.length
    }
    return out
  },
  decompress(bytes: Uint8Array, maxOutputBytes: number): Buffer {
    if (bytes.length === 0) return Buffer.alloc(0)
    if (hasXerialHeader(bytes)) return decompressXerial(bytes, maxOutputBytes)
    return decompressRawSnappy(bytes, 0, bytes.length, maxOutputBytes)
  },
}
