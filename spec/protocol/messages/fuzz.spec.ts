/**
 * Hostile input into every generated decoder: random bytes and mutated valid
 * encodings (bit flips, truncation, length fields overwritten with huge or
 * negative values). The only acceptable outcomes are a decoded value or a
 * ProtocolDecodeError that names the API and the field path; anything else
 * (a RangeError, a TypeError, an out-of-memory, a hang) is a bug.
 * Deterministic: a seeded PRNG per codec.
 */
import { describe, expect, it } from 'vitest'
import { ProtocolDecodeError } from '../../../lib/errors/index.js'
import { Reader, Writer } from '../../../lib/protocol/primitives.js'
import { allCodecs, ValueBuilder, type Codec } from './schema-walk.js'

/** mulberry32: small, fast, good enough to spread mutations around. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function seedOf(text: string): number {
  let h = 2166136261
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619)
  return h >>> 0
}

type Outcome = 'decoded' | 'rejected'

/** Decodes and classifies; rethrows anything that is not a ProtocolDecodeError, with the input attached. */
function attempt(codec: Codec, version: number, bytes: Buffer, how: string): Outcome {
  try {
    codec.decode(new Reader(bytes), version)
    return 'decoded'
  } catch (error) {
    if (error instanceof ProtocolDecodeError) {
      if (error.api === undefined || error.path === undefined || !error.path.startsWith('/')) {
        throw new Error(`${codec.label} v${version} (${how}): decode error without api or path: ${error.message}`)
      }
      return 'rejected'
    }
    throw new Error(`${codec.label} v${version} (${how}) threw ${String(error)} for input ${bytes.toString('hex')}`, { cause: error })
  }
}

const LENGTH_PATTERNS: number[][] = [
  [0x7f, 0xff, 0xff, 0xff], // int32 2^31-1
  [0xff, 0xff, 0xff, 0xff], // int32 -1 (null) / uvarint continuation
  [0x80, 0x00, 0x00, 0x00], // int32 -2^31
  [0x7f, 0xff], // int16 max
  [0xff, 0xfe], // int16 -2
  [0xff, 0xff, 0xff, 0xff, 0x0f], // largest 5-byte uvarint
]

describe('decoders survive hostile input', () => {
  for (const codec of allCodecs()) {
    const versions = codec.versions.map((v) => v.version)
    it(`${codec.label} v${versions[0]}-${versions[versions.length - 1]}`, () => {
      const random = prng(seedOf(codec.label))
      const pick = (n: number) => Math.floor(random() * n)
      const builder = new ValueBuilder(codec)
      let rejected = 0
      for (const version of versions) {
        for (const nulls of [false, true]) {
          const w = new Writer()
          codec.encode(w, version, builder.build(version, { nulls }))
          const valid = Buffer.from(w.finish())

          // Every strict prefix of a valid encoding is incomplete, so it must be rejected.
          const cuts = valid.length <= 128 ? [...Array(valid.length).keys()] : Array.from({ length: 64 }, () => pick(valid.length))
          for (const cut of cuts) {
            expect(attempt(codec, version, valid.subarray(0, cut), `truncated to ${cut}`)).toBe('rejected')
            rejected++
          }

          for (let i = 0; i < 40; i++) {
            const flipped = Buffer.from(valid)
            const at = pick(Math.max(1, flipped.length))
            if (flipped.length > 0) flipped[at]! ^= 1 << pick(8)
            if (attempt(codec, version, flipped, `bit flip at ${at}`) === 'rejected') rejected++
          }

          for (let i = 0; i < 24; i++) {
            const pattern = LENGTH_PATTERNS[pick(LENGTH_PATTERNS.length)]!
            const overwritten = Buffer.from(valid)
            const at = pick(Math.max(1, overwritten.length))
            for (let k = 0; k < pattern.length && at + k < overwritten.length; k++) overwritten[at + k] = pattern[k]!
            if (attempt(codec, version, overwritten, `length overwritten at ${at}`) === 'rejected') rejected++
          }
        }
        for (let i = 0; i < 3; i++) {
          const noise = Buffer.alloc(pick(64))
          for (let k = 0; k < noise.length; k++) noise[k] = pick(256)
          if (attempt(codec, version, noise, 'random bytes') === 'rejected') rejected++
        }
        // A count or length of 2^31-1 right at the start must be refused before anything is allocated.
        const huge = Buffer.alloc(64, 0x7f)
        if (attempt(codec, version, huge, 'all 0x7f') === 'rejected') rejected++
      }
      // Sanity: the mutations reached the decoder's error paths.
      expect(rejected).toBeGreaterThan(0)
    })
  }
})
