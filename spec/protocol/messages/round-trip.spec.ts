import { describe, expect, it } from 'vitest'
import { Reader, Writer } from '../../../lib/protocol/primitives.js'
import { ALL_APIS } from '../../../lib/protocol/messages/index.js'
import { allCodecs, ValueBuilder, type Codec } from './schema-walk.js'

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
  it('has a codec for every API, header and data message of every release', () => {
    const requests = codecs.filter((c) => c.schemas[0]!.type === 'request')
    expect(ALL_APIS.length).toBe(requests.length)
    // Each generated API offers exactly the stable versions the releases define, and flags the unstable ones.
    for (const codec of requests) {
      const api = ALL_APIS.find((a) => a.apiKey === codec.schemas[0]!.apiKey)!
      const stable = codec.versions.filter((v) => !v.unstable).map((v) => v.version)
      expect([api.minVersion, api.maxVersion], codec.label).toEqual([stable[0], stable[stable.length - 1]])
      expect(api.unstableVersions, codec.label).toEqual(codec.versions.filter((v) => v.unstable).map((v) => v.version))
    }
  })

  for (const codec of codecs) {
    const versions = codec.versions.map((v) => v.version)
    it(`${codec.label} v${versions[0]}-${versions[versions.length - 1]}`, () => {
      const builder = new ValueBuilder(codec)
      for (const version of versions) {
        roundTrip(codec, version, builder.build(version, { nulls: false }))
        roundTrip(codec, version, builder.build(version, { nulls: true }))
      }
    })
  }
})
