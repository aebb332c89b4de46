/**
 * The generator's merge of definition sets (scripts/protocol-generator/model.ts)
 * on small hand-made definitions: which set each version comes from, what
 * happens to unstable versions, and that every disagreement fails loudly
 * instead of generating code for one of the two readings.
 */
import { describe, expect, it } from 'vitest'
import { buildModel, versionsText, type MessageModel } from '../../../scripts/protocol-generator/model.js'
import { DefinitionError, parseDefinition, type Definition } from '../../../scripts/protocol-generator/parse.js'
import { readProtocolModel } from '../../../scripts/protocol-generator/index.js'

interface Shape {
  validVersions: string
  flexibleVersions?: string
  latestVersionUnstable?: boolean
  fields: unknown[]
  name?: string
}

/** A request/response pair of api key 99 in one set. */
function api(set: string, request: Shape, response: Shape = { validVersions: request.validVersions, fields: [] }): Definition[] {
  const file = (type: 'request' | 'response', shape: Shape) => {
    const name = `${shape.name ?? 'Thing'}${type === 'request' ? 'Request' : 'Response'}`
    const json = { apiKey: 99, type, name, flexibleVersions: 'none', ...shape }
    delete (json as { name?: string }).name
    return parseDefinition(set, `${name}.json`, `// licence header\n${JSON.stringify({ ...json, name })}`)
  }
  return [file('request', request), file('response', response)]
}

function request(model: ReturnType<typeof buildModel>): MessageModel {
  return model.apis[0]!.request
}

function sourceSets(message: MessageModel): Record<number, string> {
  return Object.fromEntries([...message.sourceOf].map(([v, d]) => [v, d.set]))
}

const id = { name: 'Id', type: 'int32', versions: '0+', about: 'id' }

describe('merging definition sets', () => {
  it('takes every version from the newest set that has it', () => {
    const model = buildModel([
      api('old', { validVersions: '0-3', fields: [id, { name: 'Legacy', type: 'string', versions: '0-1', about: '' }] }),
      api('new', { validVersions: '2-5', fields: [id, { name: 'Fresh', type: 'int64', versions: '4+', about: '' }] }),
    ])
    const message = request(model)
    expect(message.versions).toEqual([0, 1, 2, 3, 4, 5])
    expect(sourceSets(message)).toEqual({ 0: 'old', 1: 'old', 2: 'new', 3: 'new', 4: 'new', 5: 'new' })
    // One field tree: Legacy from the old set's versions, Fresh from the new one's, Id from both.
    const fields = Object.fromEntries(message.root.fields.map((f) => [f.name, versionsText(f.present, 5)]))
    expect(fields).toEqual({ Id: '0+', Legacy: '0-1', Fresh: '4+' })
    expect(message.root.fields.map((f) => f.name)).toEqual(['Id', 'Legacy', 'Fresh'])
  })

  it('fails when two sets describe an overlapping version differently', () => {
    const run = () =>
      buildModel([
        api('old', { validVersions: '0-3', fields: [id] }),
        api('new', { validVersions: '2-5', fields: [{ ...id, type: 'int64' }] }),
      ])
    expect(run).toThrow(DefinitionError)
    expect(run).toThrow(/old\/ThingRequest.json and new\/ThingRequest.json disagree about version 2/)
  })

  it('fails when a field the old set contributes has another type, tag or default in the new set', () => {
    const merge = (changed: object) => () =>
      buildModel([api('old', { validVersions: '0-1', fields: [id] }), api('new', { validVersions: '2-3', fields: [{ ...id, ...changed }] })])
    expect(merge({ type: 'int64' })).toThrow(/old\/ThingRequest.json: ThingRequest.Id: type int32 differs from int64/)
    expect(merge({ default: '-1' })).toThrow(/default undefined differs from -1/)
    expect(merge({})).not.toThrow()
  })

  it('accepts a rename where the old set contributes no version, and uses the new name', () => {
    const model = buildModel([
      api('old', { validVersions: '0-1', fields: [id] }),
      api('new', { validVersions: '0-2', fields: [{ ...id, name: 'Identifier' }] }),
    ])
    expect(request(model).root.fields.map((f) => f.name)).toEqual(['Identifier'])
  })

  it('fails on a rename where the old set still contributes versions: one wire field would become two properties', () => {
    const run = () =>
      buildModel([
        api('old', { validVersions: '0-2', fields: [id] }),
        api('new', { validVersions: '1-3', fields: [{ ...id, name: 'Identifier' }] }),
      ])
    expect(run).toThrow(/disagree about version 1: field 1: "Id int32 default undefined" vs "Identifier int32 default undefined"/)
  })

  it('flags the newest set\u2019s unstable version and keeps it out of the stable range', () => {
    const model = buildModel([api('new', { validVersions: '0-3', latestVersionUnstable: true, fields: [id] })])
    expect(request(model).versions).toEqual([0, 1, 2, 3])
    expect([...request(model).unstable]).toEqual([3])
    expect([...model.apis[0]!.response.unstable]).toEqual([3])
  })

  it('drops an old set\u2019s unstable version the new set does not define, and lets the new set redefine one it does', () => {
    const model = buildModel([
      api('old', { validVersions: '0-2', latestVersionUnstable: true, fields: [id, { name: 'Draft', type: 'bool', versions: '2', about: '' }] }),
      api('new', { validVersions: '2-3', fields: [id, { name: 'Final', type: 'bool', versions: '2+', about: '' }] }),
    ])
    // v2 was a draft in the old set; the new one's v2 differs and wins without an agreement check.
    expect(sourceSets(request(model))).toEqual({ 0: 'old', 1: 'old', 2: 'new', 3: 'new' })
    expect(request(model).root.fields.map((f) => f.name)).toEqual(['Id', 'Final'])

    const preview = buildModel([
      api('old', { validVersions: '0', latestVersionUnstable: true, fields: [id] }),
      api('new', { validVersions: '1-2', fields: [id] }),
    ])
    expect(request(preview).versions).toEqual([1, 2])
    expect(request(preview).unstable.size).toBe(0)
  })

  it('merges a message renamed under the same api key, keeping the newest name', () => {
    const model = buildModel([api('old', { name: 'ListOld', validVersions: '0', fields: [id] }), api('new', { name: 'ListNew', validVersions: '0-1', fields: [id] })])
    expect(model.apis.map((a) => a.name)).toEqual(['ListNew'])
  })
})

describe('the vendored sets', () => {
  const model = readProtocolModel()
  const byName = (name: string) => model.apis.find((a) => a.name === name)!

  it('serve the old versions from Kafka 4.0 and the new ones from Kafka 4.4', () => {
    const produce = byName('Produce').request
    expect(produce.sourceOf.get(0)!.set).toBe('kafka-4.0')
    expect(produce.sourceOf.get(2)!.set).toBe('kafka-4.0')
    expect(produce.sourceOf.get(3)!.set).toBe('kafka-4.4')
    expect(produce.versions.at(-1)).toBe(13)
    expect(byName('Fetch').request.versions).toEqual([...Array(19).keys()])
    expect(byName('ShareFetch').request.versions).toEqual([1, 2])
    expect(byName('ShareGroupHeartbeat').request.versions).toEqual([1])
    expect([...byName('InitProducerId').request.unstable]).toEqual([6])
    expect(byName('ListConfigResources').apiKey).toBe(74)
    expect(model.data.map((d) => d.name)).toEqual(expect.arrayContaining(['AbortedTxn', 'EndTxnMarker', 'RequestHeader']))
  })
})
