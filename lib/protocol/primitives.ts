/**
 * Writer and Reader for the primitive types of the Kafka wire protocol:
 * big-endian integers, varints (unsigned LEB128 and zigzag), strings, bytes,
 * arrays (classic int32/int16 lengths and compact length+1 forms), uuids and
 * tagged-field sections.
 *
 * The Reader never trusts a length it reads: every length is checked against
 * the bytes that remain before anything is allocated, so a corrupt or hostile
 * length field gives a {@link ProtocolDecodeError}, never a huge allocation.
 */
import { ProtocolDecodeError, ProtocolEncodeError } from '../errors/index.js'

const INT32_MIN = -0x80000000
const INT32_MAX = 0x7fffffff
const UUID_BYTES = 16

/** A growable buffer that encodes Kafka primitives at increasing offsets. */
export class Writer {
  /** The backing buffer; only `buffer.subarray(0, offset)` is meaningful. */
  buffer: Buffer
  /** The next byte to write. */
  offset = 0

  constructor(initialCapacity = 256) {
    this.buffer = Buffer.allocUnsafe(initialCapacity)
  }

  /** Makes room for `bytes` more bytes, growing geometrically so appends stay amortised O(1). */
  ensure(bytes: number): void {
    const needed = this.offset + bytes
    if (needed <= this.buffer.length) return
    let capacity = this.buffer.length * 2
    while (capacity < needed) capacity *= 2
    const grown = Buffer.allocUnsafe(capacity)
    this.buffer.copy(grown, 0, 0, this.offset)
    this.buffer = grown
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Buffer {
    return this.buffer.subarray(0, this.offset)
  }

  /** Writes a boolean as one byte (1 or 0). */
  bool(value: boolean): void {
    this.int8(value ? 1 : 0)
  }

  /** Writes a signed 8-bit integer. */
  int8(value: number): void {
    this.ensure(1)
    this.buffer.writeInt8(value, this.offset)
    this.offset += 1
  }

  /** Writes a signed 16-bit big-endian integer. */
  int16(value: number): void {
    this.ensure(2)
    this.buffer.writeInt16BE(value, this.offset)
    this.offset += 2
  }

  /** Writes an unsigned 16-bit big-endian integer. */
  uint16(value: number): void {
    this.ensure(2)
    this.buffer.writeUInt16BE(value, this.offset)
    this.offset += 2
  }

  /** Writes a signed 32-bit big-endian integer. */
  int32(value: number): void {
    this.ensure(4)
    this.buffer.writeInt32BE(value, this.offset)
    this.offset += 4
  }

  /** Writes an unsigned 32-bit big-endian integer. */
  uint32(value: number): void {
    this.ensure(4)
    this.buffer.writeUInt32BE(value, this.offset)
    this.offset += 4
  }

  /** Writes a signed 64-bit big-endian integer. */
  int64(value: bigint): void {
    this.ensure(8)
    this.buffer.writeBigInt64BE(value, this.offset)
    this.offset += 8
  }

  /** Writes a 64-bit big-endian IEEE 754 float. */
  float64(value: number): void {
    this.ensure(8)
    this.buffer.writeDoubleBE(value, this.offset)
    this.offset += 8
  }

  /** Unsigned LEB128 of a value in [0, 2^32). */
  uvarint(value: number): void {
    if (value < 0 || value > 0xffffffff || !Number.isInteger(value)) {
      throw new ProtocolEncodeError(`unsigned varint out of range: ${value}`)
    }
    this.ensure(5)
    const b = this.buffer
    let o = this.offset
    while (value >= 0x80) {
      b[o++] = (value & 0x7f) | 0x80
      value = Math.floor(value / 128)
    }
    b[o++] = value
    this.offset = o
  }

  /** Zigzag varint of a signed 32-bit value. */
  varint(value: number): void {
    if (value < INT32_MIN || value > INT32_MAX || !Number.isInteger(value)) {
      throw new ProtocolEncodeError(`varint out of int32 range: ${value}`)
    }
    this.uvarint(((value << 1) ^ (value >> 31)) >>> 0)
  }

  /** Zigzag varint of a signed 64-bit value. */
  varlong(value: bigint): void {
    let zz = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n))
    this.ensure(10)
    const b = this.buffer
    let o = this.offset
    while (zz >= 0x80n) {
      b[o++] = Number(zz & 0x7fn) | 0x80
      zz >>= 7n
    }
    b[o++] = Number(zz)
    this.offset = o
  }

  /** Writes a uuid (22 URL-safe base64 characters) as its 16 bytes. */
  uuid(value: string): void {
    const bytes = uuidToBytes(value)
    this.raw(bytes)
  }

  /** Bytes as they are, with no length prefix. */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length)
    this.buffer.set(bytes, this.offset)
    this.offset += bytes.length
  }

  /** int16 length + UTF-8; -1 for null. */
  string(value: string | null): void {
    if (value === null) {
      this.int16(-1)
      return
    }
    const length = Buffer.byteLength(value, 'utf8')
    if (length > 0x7fff) throw new ProtocolEncodeError(`string of ${length} bytes is longer than an int16 length allows`)
    this.int16(length)
    this.utf8(value, length)
  }

  /** uvarint (length + 1) + UTF-8; 0 for null. */
  compactString(value: string | null): void {
    if (value === null) {
      this.uvarint(0)
      return
    }
    const length = Buffer.byteLength(value, 'utf8')
    this.uvarint(length + 1)
    this.utf8(value, length)
  }

  /** int32 length + bytes; -1 for null. */
  bytes(value: Uint8Array | null): void {
    if (value === null) {
      this.int32(-1)
      return
    }
    this.int32(value.length)
    this.raw(value)
  }

  /** uvarint (length + 1) + bytes; 0 for null. */
  compactBytes(value: Uint8Array | null): void {
    if (value === null) {
      this.uvarint(0)
      return
    }
    this.uvarint(value.length + 1)
    this.raw(value)
  }

  /** int32 element count; -1 for null. */
  arrayLength(length: number | null): void {
    this.int32(length === null ? -1 : length)
  }

  /** uvarint (count + 1); 0 for null. */
  compactArrayLength(length: number | null): void {
    this.uvarint(length === null ? 0 : length + 1)
  }

  /** Reserves `bytes` bytes to be filled in later (for example a length prefix); returns their offset. */
  reserve(bytes: number): number {
    this.ensure(bytes)
    const at = this.offset
    this.offset += bytes
    return at
  }

  private utf8(value: string, length: number): void {
    this.ensure(length)
    this.offset += this.buffer.write(value, this.offset, length, 'utf8')
  }
}

/**
 * Reads Kafka primitives from a buffer, between `offset` and `end`. Every read is
 * bounds-checked; a problem throws {@link ProtocolDecodeError} with the byte offset.
 */
export class Reader {
  /** The bytes read from. */
  readonly buffer: Buffer
  /** The next byte to read. */
  offset: number
  /** Reads stop here: bytes past `end` belong to something else. */
  readonly end: number
  /**
   * Read a null where the spec says a field is not nullable as the empty value
   * instead of failing (the generated decoders ask). Off unless a connection's
   * compatibility.nullsInNonNullableFields turns it on.
   */
  nullsAsEmpty = false

  constructor(buffer: Buffer, offset = 0, end = buffer.length) {
    this.buffer = buffer
    this.offset = offset
    this.end = end
  }

  /** Bytes left before `end`. */
  remaining(): number {
    return this.end - this.offset
  }

  /** Throws unless `bytes` more bytes are available. */
  need(bytes: number, what = 'value'): void {
    if (this.offset + bytes > this.end) {
      throw new ProtocolDecodeError(
        `truncated input: ${what} needs ${bytes} bytes but only ${this.end - this.offset} remain`,
        { byteOffset: this.offset },
      )
    }
  }

  /** Moves past `bytes` bytes, which must be there. */
  skip(bytes: number): void {
    this.need(bytes, 'skipped bytes')
    this.offset += bytes
  }

  /** Reads a boolean (any non-zero byte is true). */
  bool(): boolean {
    return this.int8() !== 0
  }

  /** Reads a signed 8-bit integer. */
  int8(): number {
    this.need(1, 'int8')
    return this.buffer.readInt8(this.offset++)
  }

  /** Reads a signed 16-bit big-endian integer. */
  int16(): number {
    this.need(2, 'int16')
    const value = this.buffer.readInt16BE(this.offset)
    this.offset += 2
    return value
  }

  /** Reads an unsigned 16-bit big-endian integer. */
  uint16(): number {
    this.need(2, 'uint16')
    const value = this.buffer.readUInt16BE(this.offset)
    this.offset += 2
    return value
  }

  /** Reads a signed 32-bit big-endian integer. */
  int32(): number {
    this.need(4, 'int32')
    const value = this.buffer.readInt32BE(this.offset)
    this.offset += 4
    return value
  }

  /** Reads an unsigned 32-bit big-endian integer. */
  uint32(): number {
    this.need(4, 'uint32')
    const value = this.buffer.readUInt32BE(this.offset)
    this.offset += 4
    return value
  }

  /** Reads a signed 64-bit big-endian integer. */
  int64(): bigint {
    this.need(8, 'int64')
    const value = this.buffer.readBigInt64BE(this.offset)
    this.offset += 8
    return value
  }

  /** Reads a 64-bit big-endian IEEE 754 float. */
  float64(): number {
    this.need(8, 'float64')
    const value = this.buffer.readDoubleBE(this.offset)
    this.offset += 8
    return value
  }

  /** Unsigned LEB128 of at most 5 bytes (a 32-bit value). */
  uvarint(): number {
    const b = this.buffer
    let o = this.offset
    let result = 0
    let shift = 0
    for (let i = 0; i < 5; i++) {
      if (o >= this.end) {
        throw new ProtocolDecodeError('truncated input inside a varint', { byteOffset: o })
      }
      const byte = b[o++]!
      if (i === 4 && byte > 0x0f) {
        throw new ProtocolDecodeError('unsigned varint longer than 32 bits', { byteOffset: this.offset })
      }
      result += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) {
        this.offset = o
        return result
      }
      shift += 7
    }
    throw new ProtocolDecodeError('unsigned varint longer than 5 bytes', { byteOffset: this.offset })
  }

  /** Zigzag varint of a signed 32-bit value. */
  varint(): number {
    const zz = this.uvarint()
    return (zz >>> 1) ^ -(zz & 1)
  }

  /** Zigzag varint of a signed 64-bit value. */
  varlong(): bigint {
    const b = this.buffer
    let o = this.offset
    let result = 0n
    let shift = 0n
    for (let i = 0; i < 10; i++) {
      if (o >= this.end) {
        throw new ProtocolDecodeError('truncated input inside a varlong', { byteOffset: o })
      }
      const byte = b[o++]!
      result |= BigInt(byte & 0x7f) << shift
      if (byte < 0x80) {
        this.offset = o
        return (result >> 1n) ^ -(result & 1n)
      }
      shift += 7n
    }
    throw new ProtocolDecodeError('varlong longer than 10 bytes', { byteOffset: this.offset })
  }

  /** Reads 16 bytes as a uuid (22 URL-safe base64 characters). */
  uuid(): string {
    this.need(UUID_BYTES, 'uuid')
    const value = bytesToUuid(this.buffer.subarray(this.offset, this.offset + UUID_BYTES))
    this.offset += UUID_BYTES
    return value
  }

  /** int16 length + UTF-8; null for -1. */
  string(): string | null {
    const length = this.int16()
    if (length === -1) return null
    if (length < 0) throw new ProtocolDecodeError(`negative string length ${length}`, { byteOffset: this.offset - 2 })
    return this.utf8(length)
  }

  /** uvarint (length + 1) + UTF-8; null for 0. */
  compactString(): string | null {
    const lengthPlusOne = this.uvarint()
    if (lengthPlusOne === 0) return null
    return this.utf8(lengthPlusOne - 1)
  }

  /** int32 length + bytes (a view into the input, not a copy); null for -1. */
  bytes(): Buffer | null {
    const length = this.int32()
    if (length === -1) return null
    if (length < 0) throw new ProtocolDecodeError(`negative bytes length ${length}`, { byteOffset: this.offset - 4 })
    return this.view(length)
  }

  /** uvarint (length + 1) + bytes (a view); null for 0. */
  compactBytes(): Buffer | null {
    const lengthPlusOne = this.uvarint()
    if (lengthPlusOne === 0) return null
    return this.view(lengthPlusOne - 1)
  }

  /**
   * int32 element count; null for -1. The count is checked against the bytes
   * left, given the smallest size an element can have on the wire.
   */
  arrayLength(minElementBytes = 1): number | null {
    const length = this.int32()
    if (length === -1) return null
    return this.checkCount(length, minElementBytes, this.offset - 4)
  }

  /** uvarint (count + 1); null for 0. */
  compactArrayLength(minElementBytes = 1): number | null {
    const at = this.offset
    const lengthPlusOne = this.uvarint()
    if (lengthPlusOne === 0) return null
    return this.checkCount(lengthPlusOne - 1, minElementBytes, at)
  }

  /** `length` bytes as a view into the input. */
  view(length: number): Buffer {
    this.need(length, 'bytes')
    const value = this.buffer.subarray(this.offset, this.offset + length)
    this.offset += length
    return value
  }

  private utf8(length: number): string {
    this.need(length, 'string')
    const value = this.buffer.toString('utf8', this.offset, this.offset + length)
    this.offset += length
    return value
  }

  private checkCount(count: number, minElementBytes: number, at: number): number {
    if (count < 0) throw new ProtocolDecodeError(`negative array length ${count}`, { byteOffset: at })
    if (count * minElementBytes > this.end - this.offset) {
      throw new ProtocolDecodeError(
        `array length ${count} cannot fit in the ${this.end - this.offset} bytes that remain`,
        { byteOffset: at },
      )
    }
    return count
  }
}

/**
 * Uuids are shown the way Kafka tools show topic ids: 16 bytes as URL-safe
 * base64 without padding (22 characters). The all-zero uuid is Kafka's "none".
 */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

/** The 16 bytes of a uuid given as 22 URL-safe base64 characters; throws ProtocolEncodeError otherwise. */
export function uuidToBytes(value: string): Buffer {
  const bytes = Buffer.from(value, 'base64url')
  if (bytes.length !== UUID_BYTES) {
    throw new ProtocolEncodeError(`not a uuid: ${JSON.stringify(value)} (expected 22 URL-safe base64 characters)`)
  }
  return bytes
}

/** A uuid's 16 bytes as 22 URL-safe base64 characters, as Kafka tools show topic ids. */
export function bytesToUuid(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}
