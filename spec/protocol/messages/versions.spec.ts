import { describe, expect, it } from 'vitest'
import { UnsupportedVersionError } from '../../../lib/errors/index.js'
import { ApiVersionsTable, chooseVersion } from '../../../lib/protocol/versions.js'
import { FetchApi, ProduceApi } from '../../../lib/protocol/messages/index.js'

describe('chooseVersion', () => {
  it('picks the highest version inside both ranges', () => {
    expect(chooseVersion(ProduceApi, { minVersion: 0, maxVersion: 7 })).toBe(7)
    expect(chooseVersion(ProduceApi, { minVersion: 3, maxVersion: 99 })).toBe(ProduceApi.maxVersion)
  })

  it('honours the caller limits', () => {
    expect(chooseVersion(ProduceApi, { minVersion: 0, maxVersion: 11 }, { max: 8 })).toBe(8)
    expect(() => chooseVersion(ProduceApi, { minVersion: 0, maxVersion: 2 }, { min: 3 })).toThrow(/caller allows 3-/)
  })

  it('names the API and both ranges when they do not overlap', () => {
    let caught: unknown
    try {
      chooseVersion(ProduceApi, { minVersion: 20, maxVersion: 25 })
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(UnsupportedVersionError)
    const message = (caught as Error).message
    expect(message).toContain('Produce')
    expect(message).toContain(`client supports ${ProduceApi.minVersion}-${ProduceApi.maxVersion}`)
    expect(message).toContain('broker supports 20-25')
    expect((caught as UnsupportedVersionError).api).toBe('Produce')
  })

  it('treats a missing broker range as no support at all', () => {
    expect(() => chooseVersion(FetchApi, undefined)).toThrow(UnsupportedVersionError)
    expect(() => chooseVersion(FetchApi, undefined)).toThrow(/does not support Fetch/)
  })
})

describe('ApiVersionsTable', () => {
  it('is built from an ApiVersions response and chooses per api key', () => {
    const table = ApiVersionsTable.fromResponse({
      apiKeys: [
        { apiKey: 1, minVersion: 4, maxVersion: 12 },
        { apiKey: 0, minVersion: 0, maxVersion: 9 },
      ],
    })
    expect(table.get(0)).toEqual({ minVersion: 0, maxVersion: 9 })
    expect(table.get(3)).toBeUndefined()
    expect(table.entries().map(([key]) => key)).toEqual([0, 1])
    expect(table.choose(ProduceApi)).toBe(9)
    expect(table.choose(FetchApi, { max: 10 })).toBe(10)
  })
})
