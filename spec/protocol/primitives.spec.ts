import { describe, expect, it } from 'vitest'
import { ProtocolDecodeError } from '../../lib/errors/index.js'
import { Reader, Writer, ZERO_UUID } from '../../lib/protocol/primitives.js'

function written(write: (w: Writer) => void): Buffer {
  const w = new Writer(1)
  write(w)
  return Buffer.from(w.finish())
}

describe('Writer and Reader', () => {
  it('round-trips fixed-width integers big-endian', () => {
    const bytes = written((w) => {
      w.int8(-2)
      w.int16(-300)
      w.uint16(65535)
      w.int32(-70000)
      w.uint32(0xfffffffe)
      w.int64(-(2n ** 62n))
      w.float64(1.5)
      w.bool(true)
    })
    expect(bytes.subarray(0, 3).toString('hex')).toBe('fefed4')
    const r = new Reader(bytes)
    expect([r.int8(), r.int16(), r.uint16(), r.int32(), r.uint32(), r.int64(), r.float64(), r.bool()]).toEqual([
      -2, -300, 65535, -70000, 0xfffffffe, -(2n ** 62n), 1.5, true,
    ])
    expect(r.remaining()).toBe(0)
  })

  it('encodes varints as the protocol documentation shows', () => {
    // zigzag: 0->0, -1->1, 1->2, -64->127, 64->128 (two bytes: 80 01)
    expect(written((w) => [0, -1, 1, -64, 64].forEach((v) => w.varint(v))).toString('hex')).toBe('000102' + '7f' + '8001')
    expect(written((w) => w.uvarint(300)).toString('hex')).toBe('ac02')
    expect(written((w) => w.uvarint(0xffffffff)).toString('hex')).toBe('ffffffff0f')
    const extremes = [0x7fffffff, -0x80000000, 12345, -12345]
    const r = new Reader(written((w) => extremes.forEach((v) => w.varint(v))))
    expect(extremes.map(() => r.varint())).toEqual(extremes)
  })

  it('round-trips varlongs at the 64-bit extremes', () => {
    const values = [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 1234567890123n]
    const r = new Reader(written((w) => values.forEach((v) => w.varlong(v))))
    expect(values.map(() => r.varlong())).toEqual(values)
  })

  it('round-trips strings, bytes and arrays in classic and compact forms, including null', () => {
    const bytes = written((w) => {
      w.string('héllo')
      w.string(null)
      w.compactString('')
      w.compactString(null)
      w.bytes(Buffer.from([1, 2]))
      w.bytes(null)
      w.compactBytes(Buffer.from([3]))
      w.compactBytes(null)
      w.arrayLength(2)
      w.arrayLength(null)
      w.compactArrayLength(0)
      w.compactArrayLength(null)
      w.uuid(ZERO_UUID)
    })
    const r = new Reader(bytes)
    expect(r.string()).toBe('héllo')
    expect(r.string()).toBeNull()
    expect(r.compactString()).toBe('')
    expect(r.compactString()).toBeNull()
    expect(r.bytes()).toEqual(Buffer.from([1, 2]))
    expect(r.bytes()).toBeNull()
    expect(r.compactBytes()).toEqual(Buffer.from([3]))
    expect(r.compactBytes()).toBeNull()
    expect(r.arrayLength()).toBe(2)
    expect(r.arrayLength()).toBeNull()
    expect(r.compactArrayLength()).toBe(0)
    expect(r.compactArrayLength()).toBeNull()
    expect(r.uuid()).toBe(ZERO_UUID)
    expect(r.remaining()).toBe(0)
  })

  it('refuses lengths that the remaining input cannot hold, without allocating', () => {
    const hugeBytes = Buffer.from('7fffffff', 'hex')
    expect(() => new Reader(hugeBytes).bytes()).toThrow(ProtocolDecodeError)
    expect(() => new Reader(hugeBytes).arrayLength()).toThrow(/cannot fit/)
    expect(() => new Reader(Buffer.from('ffffffffff', 'hex')).uvarint()).toThrow(/longer than 32 bits/)
    expect(() => new Reader(Buffer.from('80', 'hex')).uvarint()).toThrow(/truncated/)
    expect(() => new Reader(Buffer.from('0005', 'hex')).string()).toThrow(/truncated/)
    expect(() => new Reader(Buffer.from('fffe', 'hex')).string()).toThrow(/negative/)
  })
})
