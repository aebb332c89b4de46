/**
 * zstd (Kafka codec 4). Compression goes through node:zlib, which has zstd from
 * Node 22.15 / 23.8 (`zstdCompressSync`); on an older Node, compressing throws
 * {@link CodecUnavailableError}, which names the fix (upgrade Node or register
 * another zstd codec) instead of "unknown codec 4".
 *
 * Decompression works on every supported Node: through node:zlib where it has
 * zstd, otherwise through fzstd, a pure-JavaScript decoder (MIT, no
 * dependencies). fzstd allocates what a frame header asks for, so every frame
 * header is read and checked against the limit first (zstd-frames.ts), and
 * frames that do not declare their size (what Kafka's Java client writes) are
 * decoded block by block with the output counted, stopping at the limit, with
 * the window they ask for capped at the limit plus one block.
 */
import { createRequire } from 'node:module'
import * as zlib from 'node:zlib'
import { asCompressionError, type CompressionCodec } from './codec.js'
import { CodecUnavailableError, CompressionError, DecompressedSizeExceededError } from '../../errors/index.js'
import { windowDescriptorFor, zstdFrames } from './zstd-frames.js'

const NAME = 'zstd'
/** zstd's largest block, in decoded bytes. */
const MAX_BLOCK_BYTES = 128 * 1024

/** The zstd part of node:zlib; @types/node 20 does not declare it. */
interface ZlibZstd {
  zstdCompressSync?: (input: Uint8Array) => Buffer
  zstdDecompressSync?: (input: Uint8Array, options?: { maxOutputLength?: number }) => Buffer
}

const nativeZstd = zlib as unknown as ZlibZstd

/** The part of fzstd used here. */
interface Fzstd {
  decompress(input: Uint8Array): Uint8Array
  Decompress: new (ondata: (chunk: Uint8Array, final?: boolean) => void) => { push(chunk: Uint8Array, final?: boolean): void }
}

let fzstd: Fzstd | undefined
/** Loaded on first use: a Node with zstd in node:zlib never loads it. */
function loadFzstd(): Fzstd {
  fzstd ??= createRequire(import.meta.url)('fzstd') as Fzstd
  return fzstd
}

/**
 * Whether the running Node can compress zstd (node:zlib zstd, Node >= 22.15 or
 * >= 23.8). Decompression works everywhere.
 *
 * @example
 * ```ts
 * const codec = zstdAvailable() ? 'zstd' : 'lz4'
 * ```
 */
export function zstdAvailable(): boolean {
  return typeof nativeZstd.zstdCompressSync === 'function' && typeof nativeZstd.zstdDecompressSync === 'function'
}

function unavailable(): CodecUnavailableError {
  return new CodecUnavailableError(4, `zstd compression needs Node >= 22.15 (node:zlib zstd); this is Node ${process.versions.node} (decompression works here)`, {
    hint: 'Upgrade Node, choose another compression codec, or register a zstd implementation with registerCodec({ id: 4, name: "zstd", compress, decompress })',
  })
}

/** Thrown from inside fzstd's data callback when the output would cross the limit. */
class OutputLimitReached extends Error {}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * zstd decompression in JavaScript, bounded by `maxOutputBytes`. A frame that
 * declares its size is decoded in one go into a buffer of that size (which the
 * header check already held to the limit); one that does not is decoded block by
 * block (at most 128 KiB each) and stops once the output crosses the limit.
 *
 * @example
 * ```ts
 * decompressZstdJs(zlib.zstdCompressSync(bytes), 1 << 20)
 * ```
 */
export function decompressZstdJs(bytes: Uint8Array, maxOutputBytes: number): Buffer {
  const frames = zstdFrames(bytes, maxOutputBytes)
  const { decompress, Decompress } = loadFzstd()
  const parts: Uint8Array[] = []
  let total = 0
  try {
    for (const frame of frames) {
      const input = bytes.subarray(frame.start, frame.end)
      if (frame.contentSize !== undefined) {
        const out = decompress(input)
        if (out.length !== frame.contentSize) {
          throw new CompressionError(NAME, `frame at byte ${frame.start} decodes to ${out.length} bytes but declares ${frame.contentSize}`)
        }
        total += out.length
        parts.push(out)
        continue
      }
      let framed = input
      const windowCap = maxOutputBytes + MAX_BLOCK_BYTES
      if (frame.windowSize > windowCap) {
        // fzstd allocates the window the header asks for. Output past the limit is never
        // produced (decoding stops in the block that crosses it), so no back-reference can
        // reach further than the limit plus one block: a copy of the frame declaring that
        // smaller window decodes the same bytes with bounded memory.
        framed = Buffer.from(input)
        framed[frame.windowDescriptorAt - frame.start] = windowDescriptorFor(windowCap)
      }
      const stream = new Decompress((chunk) => {
        total += chunk.length
        if (total > maxOutputBytes) throw new OutputLimitReached()
        parts.push(chunk)
      })
      stream.push(framed, true)
    }
  } catch (error) {
    if (error instanceof OutputLimitReached) throw new DecompressedSizeExceededError(NAME, maxOutputBytes)
    throw asCompressionError(NAME, error)
  }
  return parts.length === 1 ? asBuffer(parts[0]!) : Buffer.concat(parts, total)
}

/**
 * The zstd codec: node:zlib where the running Node has zstd, fzstd (decompression only) where it has not.
 *
 * @example
 * ```ts
 * zstdCodec.decompress(fetchedZstdRecords, 64 << 20) // any Node >= 20
 * if (zstdAvailable()) zstdCodec.compress(Buffer.from('hi')) // Node >= 22.15
 * ```
 */
export const zstdCodec: CompressionCodec = {
  id: 4,
  name: NAME,
  compress(bytes: Uint8Array): Buffer {
    const compress = nativeZstd.zstdCompressSync
    if (compress === undefined) throw unavailable()
    try {
      return compress(bytes)
    } catch (error) {
      throw asCompressionError(NAME, error)
    }
  },
  decompress(bytes: Uint8Array, maxOutputBytes: number): Buffer {
    const decompress = nativeZstd.zstdDecompressSync
    if (decompress === undefined) return decompressZstdJs(bytes, maxOutputBytes)
    // node:zlib (Node 24) stops after the first frame when a skippable frame
    // follows and ignores trailing garbage, so the frames are walked here first
    // (a header walk, no decoding) and each is decoded on its own.
    const frames = zstdFrames(bytes, maxOutputBytes)
    const parts: Buffer[] = []
    let total = 0
    for (const frame of frames) {
      const input = frames.length === 1 && frame.start === 0 && frame.end === bytes.length ? bytes : bytes.subarray(frame.start, frame.end)
      let out: Buffer
      try {
        out = decompress(input, { maxOutputLength: Math.max(1, maxOutputBytes - total) })
      } catch (error) {
        // node:zlib reports the limit as a RangeError with this code.
        if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw new DecompressedSizeExceededError(NAME, maxOutputBytes)
        throw asCompressionError(NAME, error)
      }
      if (frame.contentSize !== undefined && out.length !== frame.contentSize) {
        throw new CompressionError(NAME, `frame at byte ${frame.start} decodes to ${out.length} bytes but declares ${frame.contentSize}`)
      }
      total += out.length
      parts.push(out)
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total)
  },
}
