import { describe, expect, it } from 'vitest'
import { murmur2, murmur2Partition, toPositive } from '../../lib/kit/murmur2.js'
import { DefaultPartitioner, RandomPartitioner, RoundRobinPartitioner } from '../../lib/producer/partitioners.js'

// Values computed by the Java client's org.apache.kafka.common.utils.Utils.murmur2
// (the same values appear in Kafka's own UtilsTest and in other ports' tests).
const JAVA_MURMUR2: [string, number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
  ['1', -1993445489],
  ['12', 126087238],
  ['123', -267702483],
  ['1234', -1614185708],
  ['12345', -1188365604],
]

describe('murmur2', () => {
  it.each(JAVA_MURMUR2)('hashes %j as Java does', (text, expected) => {
    expect(murmur2(Buffer.from(text, 'utf8'))).toBe(expected)
  })

  it('covers every tail length (0 to 3 bytes after the 4-byte blocks)', () => {
    // Lengths 4..7 of the same prefix give four different hashes, each a signed int32.
    const hashes = [4, 5, 6, 7].map((n) => murmur2(Buffer.from('abcdefg'.slice(0, n))))
    expect(new Set(hashes).size).toBe(4)
    for (const h of hashes) expect(Number.isInteger(h) && h >= -(2 ** 31) && h < 2 ** 31).toBe(true)
  })

  it('toPositive clears the sign bit, as Java, not Math.abs', () => {
    expect(toPositive(-1188365604)).toBe(959118044)
    expect(toPositive(-1)).toBe(0x7fffffff)
    expect(toPositive(-(2 ** 31))).toBe(0)
    expect(toPositive(5)).toBe(5)
    expect(toPositive(-1188365604)).not.toBe(Math.abs(-1188365604))
  })

  it('murmur2Partition is toPositive(murmur2(key)) % partitions', () => {
    expect(murmur2Partition(Buffer.from('12345'), 10)).toBe(959118044 % 10)
    expect(murmur2Partition(Buffer.from('1'), 7)).toBe((-1993445489 & 0x7fffffff) % 7)
  })
})

describe('partitioners', () => {
  it('default: keyed messages by murmur2, whatever is available', () => {
    const p = new DefaultPartitioner(() => 0)
    expect(p.partition(Buffer.from('foobar'), undefined, 6, [0])).toBe(toPositive(-790332482) % 6)
  })

  it('default: keyless messages stick to one available partition until its batch is sealed, then move to another', () => {
    const draws = [0.1, 0.9, 0.5]
    const p = new DefaultPartitioner(() => draws.shift() ?? 0)
    const available = [1, 3, 5]
    const first = p.partition(null, undefined, 6, available)
    expect(first).toBe(1)
    expect(p.partition(null, undefined, 6, available)).toBe(1)
    p.onBatchSealed(4, available) // another partition's batch: no change
    expect(p.partition(null, undefined, 6, available)).toBe(1)
    p.onBatchSealed(1, available)
    expect(p.partition(null, undefined, 6, available)).toBe(5)
  })

  it('default: moving on terminates whatever the random source returns', () => {
    const p = new DefaultPartitioner(() => 0)
    expect(p.partition(null, undefined, 2, [0, 1])).toBe(0)
    p.onBatchSealed(0, [0, 1])
    expect(p.partition(null, undefined, 2, [0, 1])).toBe(1)
  })

  it('default: a sticky partition that is no longer available is replaced', () => {
    const p = new DefaultPartitioner(() => 0)
    expect(p.partition(null, undefined, 4, [2, 3])).toBe(2)
    expect(p.partition(null, undefined, 4, [3])).toBe(3)
  })

  it('round-robin cycles over the available partitions; random picks among them', () => {
    const rr = new RoundRobinPartitioner()
    expect([0, 1, 2, 3, 4].map(() => rr.partition(null, undefined, 8, [1, 4, 6]))).toEqual([1, 4, 6, 1, 4])
    const random = new RandomPartitioner(() => 0.99)
    expect(random.partition(null, undefined, 8, [1, 4, 6])).toBe(6)
    expect(random.partition(null, undefined, 8, [])).toBe(7)
  })
})
