/**
 * The work a codec worker does, as plain functions of bytes: the same code runs
 * on a worker thread and, as the fallback, on the calling thread.
 */
import { getCodec } from '../protocol/compression/index.js'
import { compressRecords, type CompressedRecords } from '../protocol/records/record-batch-builder.js'

/** A batch's records to compress: `buffer[61, end)` holds them, `buffer[0, 61)` is header room. */
export interface CompressTask {
  kind: 'compress'
  id: number
  codec: number
  buffer: Uint8Array
  end: number
}

/** Compressed records section of one batch to decompress. */
export interface DecompressTask {
  kind: 'decompress'
  id: number
  codec: number
  bytes: Uint8Array
  maxOutputBytes: number
}

export type CodecTask = CompressTask | DecompressTask

/** What a worker answers. On failure the input comes back, so the caller can redo the task and get the typed error. */
export type CodecReply =
  | { id: number; ok: true; bytes: Uint8Array; recordsCrc: number }
  | { id: number; ok: false; input: Uint8Array; message: string }

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Runs `task` here and now. Throws what the codec throws. */
export function runCompress(codec: number, buffer: Uint8Array, end: number): CompressedRecords {
  return compressRecords(codec, asBuffer(buffer), end)
}

/** Runs `task` here and now. Throws what the codec throws. */
export function runDecompress(codec: number, bytes: Uint8Array, maxOutputBytes: number): Buffer {
  return getCodec(codec).decompress(bytes, maxOutputBytes)
}

/**
 * Whether posting `bytes` may transfer its memory instead of copying it: only a
 * buffer that cannot be a slice of Node's shared 8 KiB Buffer pool (which is
 * marked untransferable).
 */
export function transferable(bytes: Uint8Array): boolean {
  return bytes.buffer instanceof ArrayBuffer && bytes.buffer.byteLength > Buffer.poolSize
}

/** `bytes` itself if it can be transferred, else a copy in memory of its own. */
export function ownMemory(bytes: Uint8Array): Uint8Array {
  return transferable(bytes) ? bytes : new Uint8Array(bytes)
}
