import { describe, expect, it } from 'vitest'
import { ProtocolDecodeError, ProtocolEncodeError, UnsupportedVersionError } from '../../../lib/errors/index.js'
import { SyncGroupApi } from '../../../lib/protocol/messages/SyncGroup.js'
import { Reader, Writer } from '../../../lib/protocol/primitives.js'
import {
  API_BY_KEY,
  ALL_APIS,
  ApiVersionsApi,
  ControlledShutdownApi,
  FetchApi,
  MetadataApi,
  ProduceApi,
  RequestHeaderData,
  type ProduceRequest,
} from '../../../lib/protocol/messages/index.js'

function encodeProduce(version: number, request: ProduceRequest): Buffer {
  const w = new Writer()
  ProduceApi.encodeRequest(w, version, request)
  return Buffer.from(w.finish())
}

function caught(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}

const twoPartitions: ProduceRequest = {
  acks: 1,
  timeoutMs: 100,
  topicData: [
    {
      name: 't',
      partitionData: [
        { index: 0, records: Buffer.from([1]) },
        { index: 1, records: Buffer.from([1, 2, 3, 4]) },
      ],
    },
  ],
}

describe('decode errors', () => {
  it('carry the field path, the API and the byte offset', () => {
    const bytes = encodeProduce(3, twoPartitions)
    const error = caught(() => ProduceApi.decodeRequest(new Reader(bytes.subarray(0, bytes.length - 2)), 3))
    expect(error).toBeInstanceOf(ProtocolDecodeError)
    const e = error as ProtocolDecodeError
    expect(e.path).toBe('/topicData/0/partitionData/1/records')
    expect(e.api).toBe('Produce')
    expect(e.byteOffset).toBe(bytes.length - 4)
    expect(e.message).toContain('Produce request v3')
    expect(e.message).toContain('/topicData/0/partitionData/1/records')
  })

  it('refuse an array count that cannot fit in the bytes left, without allocating', () => {
    // Metadata v1 request: topics count 0x7fffffff, then nothing.
    const error = caught(() => MetadataApi.decodeRequest(new Reader(Buffer.from('7fffffff', 'hex')), 1))
    expect(error).toBeInstanceOf(ProtocolDecodeError)
    expect((error as ProtocolDecodeError).path).toBe('/topics')
  })

  it('refuse a null where the spec allows none, naming the field path', () => {
    // Produce v3: transactionalId null, acks, timeout, topicData -1 (null, but not nullable).
    const produce = Buffer.from('ffff' + '0001' + '00000064' + 'ffffffff', 'hex')
    expect(() => ProduceApi.decodeRequest(new Reader(produce), 3)).toThrow(ProtocolDecodeError)
    expect(() => ProduceApi.decodeRequest(new Reader(produce), 3)).toThrow(/null array where the spec says the field is not nullable.*\/topicData/)
    // SyncGroup v3 response with assignment -1 (as librdkafka's mock writes it on error).
    const sync = Buffer.from('00000000' + '001b' + 'ffffffff', 'hex')
    expect(() => SyncGroupApi.decodeResponse(new Reader(sync), 3)).toThrow(/null bytes where the spec says the field is not nullable.*\/assignment/)
  })

  it('with nullsAsEmpty (compatibility.nullsInNonNullableFields), read such a null as the empty value, so the error code beside it survives', () => {
    const lenient = (hex: string): Reader => {
      const reader = new Reader(Buffer.from(hex, 'hex'))
      reader.nullsAsEmpty = true
      return reader
    }
    expect(ProduceApi.decodeRequest(lenient('ffff' + '0001' + '00000064' + 'ffffffff'), 3).topicData).toEqual([])
    const sync = SyncGroupApi.decodeResponse(lenient('00000000' + '001b' + 'ffffffff'), 3)
    expect(sync.errorCode).toBe(27)
    expect(sync.assignment).toEqual(Buffer.alloc(0))
  })

  it('skip unknown tagged fields by their size', () => {
    // Metadata v9 request with topics null, three bools, then tagged fields: tag 7 of 3 bytes.
    const bytes = Buffer.from('00' + '01' + '00' + '00' + '01' + '07' + '03' + 'aabbcc', 'hex')
    const r = new Reader(bytes)
    expect(MetadataApi.decodeRequest(r, 9)).toEqual({
      topics: null,
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    })
    expect(r.remaining()).toBe(0)
  })
})

describe('encoding a field the version lacks', () => {
  it('skips it when it holds the default', () => {
    expect(encodeProduce(2, { ...twoPartitions, transactionalId: null })).toEqual(encodeProduce(2, twoPartitions))
  })

  it('throws naming API, version and field when it is not ignorable', () => {
    const error = caught(() => encodeProduce(2, { ...twoPartitions, transactionalId: 'tx' }))
    expect(error).toBeInstanceOf(ProtocolEncodeError)
    const message = (error as Error).message
    expect(message).toContain('Produce v2')
    expect(message).toContain('transactionalId')
    expect(message).toContain('3+')
  })

  it('drops it silently when the spec marks it ignorable', () => {
    const w = new Writer()
    // Fetch v2 has no maxBytes (v3+, ignorable).
    FetchApi.encodeRequest(w, 2, { maxWaitMs: 1, minBytes: 1, maxBytes: 5, topics: [] })
    expect(FetchApi.decodeRequest(new Reader(Buffer.from(w.finish())), 2).maxBytes).toBe(0x7fffffff)
  })

  it('refuses null where the version does not allow it, even from untyped callers', () => {
    const topic = { name: null as unknown as string, partitionData: [] }
    const error = caught(() => encodeProduce(9, { ...twoPartitions, topicData: [topic] }))
    expect(error).toBeInstanceOf(ProtocolEncodeError)
    expect((error as Error).message).toContain('ProduceRequestTopicProduceData.name is null but Produce v9 cannot carry null there')
  })

  it('wraps out-of-range numbers in a ProtocolEncodeError', () => {
    const error = caught(() => encodeProduce(3, { ...twoPartitions, acks: 70000 }))
    expect(error).toBeInstanceOf(ProtocolEncodeError)
    expect((error as ProtocolEncodeError).api).toBe('Produce')
  })
})

describe('versions and headers', () => {
  it('throws UnsupportedVersionError naming the API and its range', () => {
    const error = caught(() => ProduceApi.decodeResponse(new Reader(Buffer.alloc(0)), 99))
    expect(error).toBeInstanceOf(UnsupportedVersionError)
    expect((error as Error).message).toContain(`Produce response version 99 is not supported: valid versions are ${ProduceApi.minVersion} to ${ProduceApi.maxVersion}`)
  })

  it('chooses header versions as Kafka does', () => {
    expect(ProduceApi.requestHeaderVersion(8)).toBe(1)
    expect(ProduceApi.requestHeaderVersion(9)).toBe(2)
    expect(ProduceApi.responseHeaderVersion(8)).toBe(0)
    expect(ProduceApi.responseHeaderVersion(9)).toBe(1)
    expect(ApiVersionsApi.requestHeaderVersion(3)).toBe(2)
    expect(ApiVersionsApi.responseHeaderVersion(3)).toBe(0)
    expect(ControlledShutdownApi.requestHeaderVersion(0)).toBe(0)
    expect(ControlledShutdownApi.requestHeaderVersion(1)).toBe(1)
  })

  it('keeps the request header client id a classic string in header v2', () => {
    const w = new Writer()
    RequestHeaderData.encode(w, 2, { requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId: 'ab' })
    expect(Buffer.from(w.finish()).toString('hex')).toBe('0012' + '0003' + '00000001' + '0002' + '6162' + '00')
  })

  it('indexes every API by key', () => {
    expect(API_BY_KEY.size).toBe(ALL_APIS.length)
    for (const api of ALL_APIS) expect(API_BY_KEY.get(api.apiKey)).toBe(api)
    expect(API_BY_KEY.get(0)?.name).toBe('Produce')
  })
})
