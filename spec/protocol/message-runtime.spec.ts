/**
 * The hand-written helpers every generated message module calls
 * (lib/protocol/message-runtime.ts), on their own: the generated code is only
 * as right as these.
 */
import { describe, expect, it } from 'vitest'
import { ProtocolDecodeError, ProtocolEncodeError, RxKafkaError, UnsupportedVersionError } from '../../lib/errors/index.js'
import {
  closeTaggedField,
  decodeFailure,
  encodeFailure,
  fieldNotInVersion,
  isDeepEqual,
  nullInNonNullableField,
  nullNotAllowed,
  openTaggedField,
  readArray,
  readBytesNotNull,
  readCompactBytesNotNull,
  readCompactStringNotNull,
  readNullableArray,
  readStringNotNull,
  skipTaggedFields,
  unsupportedVersion,
  withSegment,
  writeTaggedField,
} from '../../lib/protocol/message-runtime.js'
import { Reader, Writer } from '../../lib/protocol/primitives.js'

function bytes(...values: number[]): Reader {
  return new Reader(Buffer.from(values))
}

describe('decode error paths', () => {
  it('collects segments innermost first and reports them outermost first, with the byte offset', () => {
    let inner: unknown
    try {
      new Reader(Buffer.alloc(19), 17).int32()
    } catch (error) {
      inner = error
    }
    expect(inner).toBeInstanceOf(ProtocolDecodeError)
    let trail = withSegment(inner, 'records')
    trail = withSegment(trail, 1)
    trail = withSegment(trail, 'partitions')
    const error = decodeFailure(trail, 'Produce', 'request', 9)
    expect(error).toBeInstanceOf(ProtocolDecodeError)
    expect((error as ProtocolDecodeError).path).toBe('/partitions/1/records')
    expect((error as ProtocolDecodeError).api).toBe('Produce')
    expect((error as ProtocolDecodeError).byteOffset).toBe(17)
    expect((error as Error).message).toMatch(/ in Produce request v9 /)
    expect((error as Error).message).not.toMatch(/at byte 17 in/)
  })

  it('lets anything that is not a decode error pass untouched', () => {
    const other = new TypeError('boom')
    expect(withSegment(other, 'x')).toBe(other)
    expect(decodeFailure(other, 'Produce', 'request', 9)).toBe(other)
  })

  it('reading a struct of arrays reports the element index in the path', () => {
    // Two int32 elements, the second one cut short.
    const r = bytes(0, 0, 0, 1, 0, 0)
    let caught: unknown
    try {
      readArray(r, 2, (er) => er.int32())
    } catch (error) {
      caught = decodeFailure(withSegment(error, 'ids'), 'Test', 'value', 0)
    }
    expect((caught as ProtocolDecodeError).path).toBe('/ids/1')
  })
})

describe('encode errors', () => {
  it('wraps foreign errors and keeps our own', () => {
    const ours = new ProtocolEncodeError('x', {})
    expect(encodeFailure(ours, 'Produce', 'request', 3)).toBe(ours)
    const wrapped = encodeFailure(new RangeError('value out of range'), 'Produce', 'request', 3)
    expect(wrapped).toBeInstanceOf(ProtocolEncodeError)
    expect((wrapped as Error).message).toMatch(/^cannot encode Produce request v3: value out of range/)
    expect((wrapped as RxKafkaError).cause).toBeInstanceOf(RangeError)
  })

  it('name the version range, unstable versions included', () => {
    const plain = unsupportedVersion('Heartbeat', 'request', 9, 0, 4)
    expect(plain).toBeInstanceOf(UnsupportedVersionError)
    expect(plain.message).toMatch(/^Heartbeat request version 9 is not supported: valid versions are 0 to 4 \(api Heartbeat/)
    expect(unsupportedVersion('InitProducerId', 'request', 7, 0, 5, [6]).message).toMatch(
      /^InitProducerId request version 7 is not supported: valid versions are 0 to 5 \(and unstable 6\)/,
    )
    expect(fieldNotInVersion('Heartbeat', 2, 'HeartbeatRequest', 'groupInstanceId', '3+').hint).toContain('versions 3+')
    expect(nullNotAllowed('Heartbeat', 2, 'HeartbeatRequest', 'groupId').message).toMatch(/^HeartbeatRequest.groupId is null but Heartbeat v2 cannot carry null there/)
  })
})

describe('null where the spec allows none', () => {
  const lenient = (...b: number[]): Reader => {
    const r = bytes(...b)
    r.nullsAsEmpty = true
    return r
  }

  it('is decided in one function, which refuses it unless the reader tolerates nulls', () => {
    const empty = { marker: true }
    expect(() => nullInNonNullableField(bytes(), 'array', empty)).toThrow(ProtocolDecodeError)
    expect(() => nullInNonNullableField(bytes(), 'bytes', empty)).toThrow(/null bytes where the spec says the field is not nullable/)
    expect(nullInNonNullableField(lenient(), 'array', empty)).toBe(empty)
  })

  it('refuses a null string, bytes or array by default, and reads real values as they are', () => {
    expect(() => readStringNotNull(bytes(0xff, 0xff))).toThrow(/null string/)
    expect(() => readCompactStringNotNull(bytes(0))).toThrow(/null string/)
    expect(() => readBytesNotNull(bytes(0xff, 0xff, 0xff, 0xff))).toThrow(/null bytes/)
    expect(() => readCompactBytesNotNull(bytes(0))).toThrow(/null bytes/)
    expect(() => readArray(bytes(), null, (r) => r.int8())).toThrow(/null array/)
    expect(readStringNotNull(bytes(0, 2, 0x68, 0x69))).toBe('hi')
    expect(readCompactBytesNotNull(bytes(3, 1, 2))).toEqual(Buffer.from([1, 2]))
  })

  it('with nullsAsEmpty (compatibility.nullsInNonNullableFields), reads such a null as the empty value', () => {
    expect(readStringNotNull(lenient(0xff, 0xff))).toBe('')
    expect(readCompactStringNotNull(lenient(0))).toBe('')
    expect(readBytesNotNull(lenient(0xff, 0xff, 0xff, 0xff))).toEqual(Buffer.alloc(0))
    expect(readCompactBytesNotNull(lenient(0))).toEqual(Buffer.alloc(0))
    expect(readArray(lenient(), null, (r) => r.int8())).toEqual([])
  })

  it('keeps null where the version allows it', () => {
    expect(readNullableArray(bytes(), null, (r) => r.int8())).toBeNull()
    expect(readNullableArray(bytes(1, 2), 2, (r) => r.int8())).toEqual([1, 2])
  })

  it('gives a fresh empty array each time, so one decoded value never aliases another', () => {
    const a = readArray(lenient(), null, (r) => r.int8())
    const b = readArray(lenient(), null, (r) => r.int8())
    expect(a).not.toBe(b)
  })
})

describe('tagged fields', () => {
  it('writes tag, size and value, and reads the value within its size', () => {
    const w = new Writer(4)
    writeTaggedField(w, 3, (t) => t.int32(258))
    const written = Buffer.from(w.finish())
    expect(written.toString('hex')).toBe('030400000102')
    const r = new Reader(written)
    const tag = r.uvarint()
    const field = openTaggedField(r, r.uvarint())
    expect(tag).toBe(3)
    expect(field.int32()).toBe(258)
    closeTaggedField(field, 3)
    expect(r.remaining()).toBe(0)
  })

  it('refuses a value that leaves bytes of its field unread', () => {
    const field = openTaggedField(bytes(0, 0, 0, 1, 9), 5)
    field.int32()
    expect(() => closeTaggedField(field, 7)).toThrow(/tagged field 7 has 1 bytes left over/)
  })

  it('refuses a size beyond the bytes there are', () => {
    expect(() => openTaggedField(bytes(1, 2), 3)).toThrow(ProtocolDecodeError)
  })

  it('skips a whole section it does not know', () => {
    // Two fields: tag 0 with 2 bytes, tag 5 with 1 byte; then one more byte that is not part of it.
    const r = bytes(2, 0, 2, 0xaa, 0xbb, 5, 1, 0xcc, 0x42)
    skipTaggedFields(r)
    expect(r.int8()).toBe(0x42)
  })
})

describe('isDeepEqual (default check of struct-valued tagged fields)', () => {
  it('compares structs, arrays and buffers by content', () => {
    expect(isDeepEqual({ leaderId: -1, leaderEpoch: -1 }, { leaderId: -1, leaderEpoch: -1 })).toBe(true)
    expect(isDeepEqual({ leaderId: 1, leaderEpoch: -1 }, { leaderId: -1, leaderEpoch: -1 })).toBe(false)
    expect(isDeepEqual([1, [2]], [1, [2]])).toBe(true)
    expect(isDeepEqual([1], [1, 2])).toBe(false)
    expect(isDeepEqual(Buffer.from([1]), Buffer.from([1]))).toBe(true)
    expect(isDeepEqual(Buffer.from([1]), Buffer.from([2]))).toBe(false)
    expect(isDeepEqual(Buffer.from([1]), [1])).toBe(false)
    expect(isDeepEqual(null, {})).toBe(false)
  })

  it('treats a property missing on one side as its default, as the encoders do', () => {
    expect(isDeepEqual({ leaderId: -1 }, { leaderId: -1, leaderEpoch: -1 })).toBe(true)
  })
})
