/**
 * A bounds-checked cursor over record bytes for the decoders' hot loops. Every
 * read checks against `limit`, and every failure is a {@link CorruptRecordError}
 * that names topic, partition and batch offset, so hostile bytes can do nothing
 * but produce that error.
 */
import { CorruptRecordError } from '../../errors/index.js'
import type { ConsumedRecordHeader } from './record-batch-decoder.js'

/** One frozen empty array for every record without headers: saves an allocation per record. */
export const NO_HEADERS: readonly ConsumedRecordHeader[] = Object.freeze([])

/** Where decoded bytes came from, for error messages. */
export interface RecordBatchContext {
  /** The topic the bytes were fetched from, for error messages. */
  topic: string
  /** The partition, for error messages. */
  partition: number
}

export class RecordCursor {
  pos: number
  limit: number

  constructor(
    readonly buf: Buffer,
    start: number,
    limit: number,
    private readonly context: RecordBatchContext,
    private readonly batchOffset: bigint,
    /** Added to `pos` in errors when `buf` is decompressed data rather than the input. */
    private readonly describeAs: string,
  ) {
    this.pos = start
    this.limit = limit
  }

  fail(what: string, at: number = this.pos): never {
    throw new CorruptRecordError(`${what} (${this.describeAs})`, {
      topic: this.context.topic,
      partition: this.context.partition,
      offset: this.batchOffset,
      byteOffset: at,
    })
  }

  /** Zigzag varint of a signed 32-bit value. */
  varint(): number {
    const b = this.buf
    let p = this.pos
    const limit = this.limit
    if (p >= limit) this.fail('truncated varint')
    let byte = b[p++]!
    if (byte < 0x80) {
      this.pos = p
      return (byte >>> 1) ^ -(byte & 1)
    }
    let result = byte & 0x7f
    let shift = 7
    for (;;) {
      if (p >= limit) this.fail('truncated varint')
      byte = b[p++]!
      if (shift === 28) {
        if (byte > 0x0f) this.fail('varint longer than 32 bits', p - 1)
        result |= byte << 28
        break
      }
      result |= (byte & 0x7f) << shift
      if (byte < 0x80) break
      shift += 7
    }
    this.pos = p
    return (result >>> 1) ^ -(result & 1)
  }

  /** Zigzag varlong as a number (exact within ±2^53, which covers any timestamp delta). */
  varlong(): number {
    const b = this.buf
    let p = this.pos
    const limit = this.limit
    let result = 0
    let multiplier = 1
    for (let i = 0; ; i++) {
      if (p >= limit) this.fail('truncated varlong')
      const byte = b[p++]!
      if (i === 9 && byte > 0x01) this.fail('varlong longer than 64 bits', p - 1)
      result += (byte & 0x7f) * multiplier
      if (byte < 0x80) break
      multiplier *= 128
    }
    this.pos = p
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2
  }

  /** `length` bytes as a view of the buffer (no copy), or null for length -1. */
  nullableBytes(length: number, what: string): Buffer | null {
    if (length === -1) return null
    if (length < -1 || length > this.limit - this.pos) this.fail(`${what} length ${length} exceeds the ${this.limit - this.pos} bytes left`)
    const start = this.pos
    this.pos = start + length
    return this.buf.subarray(start, start + length)
  }

  string(length: number, what: string): string {
    if (length < 0 || length > this.limit - this.pos) this.fail(`${what} length ${length} is invalid with ${this.limit - this.pos} bytes left`)
    const start = this.pos
    this.pos = start + length
    return this.buf.toString('utf8', start, start + length)
  }
}
