import { describe, expect, it } from 'vitest'
import { Reader, Writer } from '../../../lib/protocol/primitives.js'
import { ALL_APIS } from '../../../lib/protocol/messages/index.js'
import { allCodecs, loadSchemas, ValueBuilder, type Codec } from './schema-walk.js'

const codecs = allCodecs()

function encode(codec: Codec, version: number, value: unknown): Buffer {
  const w = new Writer(8)
  codec.encode(w, version, value)
  return Buffer.from(w.finish())
}

function roundTrip(codec: Codec, version: number, value: unknown): void {
  const bytes = encode(codec, version, value)
  const reader = new Reader(bytes)
  const decoded = codec.decode(reader, version)
  expect(reader.remaining(), `${codec.label} v${version} leaves bytes unread`).toBe(0)
  expect(decoded, `${codec.label} v${version}`).toEqual(value)
  expect(encode(codec, version, decoded).equals(bytes), `${codec.label} v${version} re-encodes differently`).toBe(true)
}

describe('every generated message round-trips in every version', () => {
  it('has a codec for every JSON definition', () => {
    expect(codecs.length).toBe(loadSchemas().length)
    expect(ALL_APIS.length).toBe(codecs.filter((c) => c.schema.type === 'request').length)
  })

  for (const codec of codecs) {
    it(`${codec.label} v${codec.min}-${codec.max}`, () => {
      const builder = new ValueBuilder(codec.schema)
      for (let version = codec.min; version <= codec.max; version++) {
        roundTrip(codec, version, builder.build(version, { nulls: false }))
        roundTrip(codec, version, builder.build(version, { nulls: true }))
      }
    })
  }
})
