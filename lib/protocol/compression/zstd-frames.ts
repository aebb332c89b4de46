/**
 * Walks the frames of zstd data (RFC 8878) without decoding them: where each
 * frame ends, the size it declares it decodes to (when it says), and the window
 * a decoder must keep. The pure-JavaScript decoder used where node:zlib has no
 * zstd allocates what a frame header asks for, so every header is read and
 * checked against the caller's limit here first: a hostile frame cannot make it
 * allocate more than the limit allows.
 */
import { CompressionError, DecompressedSizeExceededError } from '../../errors/index.js'

const NAME = 'zstd'
const FRAME_MAGIC = 0xfd2fb528
/** Skippable frames use magics 0x184D2A50 to 0x184D2A5F. */
const SKIPPABLE_MASK = 0xfffffff0
const SKIPPABLE_MAGIC = 0x184d2a50
const MAX_BLOCK_BYTES = 128 * 1024

/** One zstd frame of the input. */
export interface ZstdFrame {
  /** Offsets of the whole frame (magic to checksum) in the input. */
  start: number
  end: number
  /** Frame_Content_Size, when the header carries it. */
  contentSize: number | undefined
  /** Bytes of history a decoder must keep (Window_Size). */
  windowSize: number
  /** Offset of the Window_Descriptor byte in the input; -1 for a single-segment frame (which has none). */
  windowDescriptorAt: number
}

function corrupt(what: string): CompressionError {
  return new CompressionError(NAME, what)
}

function readU32LE(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0
}

/**
 * The data frames of `bytes` (skippable frames are left out), each checked: the
 * content sizes they declare sum to at most `maxOutputBytes`, and the blocks are
 * well formed as far as their headers tell.
 *
 * @throws CompressionError for a malformed or truncated frame, or one with a dictionary.
 * @throws DecompressedSizeExceededError when a header alone shows the limit would be crossed.
 */
export function zstdFrames(bytes: Uint8Array, maxOutputBytes: number): ZstdFrame[] {
  const frames: ZstdFrame[] = []
  let declared = 0
  let pos = 0
  if (bytes.length === 0) throw corrupt('no frame in empty input')
  while (pos < bytes.length) {
    if (bytes.length - pos < 4) throw corrupt(`truncated frame magic at byte ${pos}`)
    const magic = readU32LE(bytes, pos)
    if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) {
      if (bytes.length - pos < 8) throw corrupt(`truncated skippable frame at byte ${pos}`)
      const size = readU32LE(bytes, pos + 4)
      if (size > bytes.length - pos - 8) throw corrupt(`skippable frame at byte ${pos} runs past the end of the input`)
      pos += 8 + size
      continue
    }
    if (magic !== FRAME_MAGIC) throw corrupt(`bad frame magic 0x${magic.toString(16)} at byte ${pos}, expected 0x${FRAME_MAGIC.toString(16)}`)
    const start = pos
    pos += 4
    if (pos >= bytes.length) throw corrupt('truncated frame header')
    const descriptor = bytes[pos++]!
    const contentSizeFlag = descriptor >>> 6
    const singleSegment = (descriptor & 0x20) !== 0
    const hasChecksum = (descriptor & 0x04) !== 0
    const dictionaryIdFlag = descriptor & 0x03
    if ((descriptor & 0x08) !== 0) throw corrupt('reserved bit set in the frame header descriptor')
    let windowSize = 0
    const windowDescriptorAt = singleSegment ? -1 : pos
    if (!singleSegment) {
      if (pos >= bytes.length) throw corrupt('truncated window descriptor')
      const window = bytes[pos++]!
      const windowBase = 2 ** (10 + (window >>> 3))
      windowSize = windowBase + (windowBase / 8) * (window & 7)
    }
    const dictionaryIdBytes = [0, 1, 2, 4][dictionaryIdFlag]!
    const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][contentSizeFlag]!
    if (bytes.length - pos < dictionaryIdBytes + contentSizeBytes) throw corrupt('truncated frame header')
    let dictionaryId = 0
    for (let i = 0; i < dictionaryIdBytes; i++) dictionaryId += bytes[pos + i]! * 2 ** (8 * i)
    pos += dictionaryIdBytes
    if (dictionaryId !== 0) throw corrupt(`frame needs dictionary ${dictionaryId}; Kafka batches carry none`)
    let contentSize: number | undefined
    if (contentSizeBytes > 0) {
      contentSize = 0
      for (let i = 0; i < contentSizeBytes; i++) contentSize += bytes[pos + i]! * 2 ** (8 * i)
      if (contentSizeBytes === 2) contentSize += 256
      pos += contentSizeBytes
    }
    if (singleSegment) windowSize = contentSize!
    if (contentSize !== undefined) {
      declared += contentSize
      if (declared > maxOutputBytes) throw new DecompressedSizeExceededError(NAME, maxOutputBytes)
    }
    const blockLimit = Math.min(windowSize, MAX_BLOCK_BYTES)
    for (;;) {
      if (bytes.length - pos < 3) throw corrupt(`truncated block header at byte ${pos}`)
      const header = bytes[pos]! | (bytes[pos + 1]! << 8) | (bytes[pos + 2]! << 16)
      pos += 3
      const last = (header & 1) !== 0
      const type = (header >>> 1) & 3
      const size = header >>> 3
      if (type === 3) throw corrupt(`reserved block type at byte ${pos - 3}`)
      if (size > blockLimit) throw corrupt(`block of ${size} bytes exceeds the frame's maximum of ${blockLimit}`)
      const stored = type === 1 ? 1 : size
      if (bytes.length - pos < stored) throw corrupt(`truncated block at byte ${pos - 3}`)
      pos += stored
      if (last) break
    }
    if (hasChecksum) {
      if (bytes.length - pos < 4) throw corrupt('truncated content checksum')
      pos += 4
    }
    frames.push({ start, end: pos, contentSize, windowSize, windowDescriptorAt })
  }
  if (frames.length === 0) throw corrupt('only skippable frames, no data')
  return frames
}

/**
 * The smallest Window_Descriptor byte whose window is at least `bytes` (1 KiB to
 * 3.75 TiB: exponent 0-31, mantissa 0-7).
 */
export function windowDescriptorFor(bytes: number): number {
  for (let exponent = 0; exponent < 32; exponent++) {
    const base = 2 ** (10 + exponent)
    for (let mantissa = 0; mantissa < 8; mantissa++) if (base + (base / 8) * mantissa >= bytes) return (exponent << 3) | mantissa
  }
  return 0xff
}
