/**
 * The specs' own reading of Kafka's JSON message definitions, written apart
 * from the generator on purpose: values built here test the generated code
 * against the spec, not against the generator's understanding of it. That
 * includes its own reading of how the releases under protocol-spec/ combine
 * (protocol-spec/README.md): which release each version comes from, and that
 * fields only other releases know decode to their defaults.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ApiDefinition, DataDefinition } from '../../../lib/protocol/api.js'
import { ZERO_UUID } from '../../../lib/protocol/primitives.js'
import type { Reader, Writer } from '../../../lib/protocol/primitives.js'
import * as messages from '../../../lib/protocol/messages/index.js'

/** protocol-spec/, one directory per Kafka release (`kafka-4.0`, `kafka-4.4`, ...). */
export const SPEC_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../protocol-spec')

export interface SchemaField {
  name: string
  type: string
  versions?: string
  nullableVersions?: string
  taggedVersions?: string
  tag?: number | string
  flexibleVersions?: string
  default?: string | number | boolean
  fields?: SchemaField[]
}

export interface Schema {
  /** The release directory it was read from. */
  set: string
  file: string
  apiKey?: number
  type: 'request' | 'response' | 'header' | 'data'
  name: string
  validVersions: string
  flexibleVersions: string
  latestVersionUnstable?: boolean
  fields: SchemaField[]
  commonStructs?: { name: string; fields: SchemaField[] }[]
}

/** Drops `//` comments; a `//` inside a JSON string (a URL in an "about") is kept. */
function withoutComments(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      let quoted = false
      for (let i = 0; i < line.length; i++) {
        const c = line[i]
        if (c === '\\' && quoted) i++
        else if (c === '"') quoted = !quoted
        else if (!quoted && c === '/' && line[i + 1] === '/') return line.slice(0, i)
      }
      return line
    })
    .join('\n')
}

/** The release directories under protocol-spec/, oldest first (by release number). */
export function definitionSets(): string[] {
  return readdirSync(SPEC_ROOT, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^kafka-\d+(\.\d+)*$/.test(entry.name))
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
}

/** Every JSON definition of every release, oldest release first. */
export function loadSchemas(): Schema[] {
  return definitionSets().flatMap((set) =>
    readdirSync(join(SPEC_ROOT, set))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((file) => {
        const json = JSON.parse(withoutComments(readFileSync(join(SPEC_ROOT, set, file), 'utf8'))) as Omit<Schema, 'file' | 'set'>
        // The stubs Kafka keeps for removed APIs have no fields at all.
        return { set, file, ...json, fields: json.fields ?? [] }
      }),
  )
}

/** [first, last] of a version spec; last is Infinity for "N+", and none is [1, 0]. */
export function versionsOf(spec: string | undefined): [number, number] {
  if (spec === undefined || spec === 'none') return [1, 0]
  if (spec.endsWith('+')) return [Number(spec.slice(0, -1)), Infinity]
  const [a, b] = spec.split('-')
  return [Number(a), Number(b ?? a)]
}

export function has(spec: string | undefined, version: number): boolean {
  const [a, b] = versionsOf(spec)
  return version >= a && version <= b
}

/** One version of a message and the release definition it comes from. */
export interface CodecVersion {
  version: number
  schema: Schema
  /** Marked unstable by its release: generated, not negotiated by default. */
  unstable: boolean
}

/** Something that encodes and decodes one kind of message by version: half an API, a header or a data message. */
export interface Codec {
  label: string
  /** Every release's definition of the message, oldest first. */
  schemas: Schema[]
  versions: CodecVersion[]
  encode(w: Writer, version: number, value: unknown): void
  decode(r: Reader, version: number): unknown
}

/** Each version from the newest release that defines it; one only an older release has and marks unstable is left out. */
function versionsByRelease(schemas: Schema[], unstableIn: (schema: Schema, version: number) => boolean): CodecVersion[] {
  const newestFirst = [...schemas].reverse()
  const top = Math.max(...schemas.map((s) => versionsOf(s.validVersions)[1]))
  const out: CodecVersion[] = []
  for (let version = 0; version <= top; version++) {
    const schema = newestFirst.find((s) => has(s.validVersions, version))
    if (schema === undefined) continue
    const unstable = unstableIn(schema, version)
    if (unstable && schema !== newestFirst[0]) continue
    out.push({ version, schema, unstable })
  }
  return out
}

/** One codec per request, response, header and data message, across every release. */
export function allCodecs(): Codec[] {
  const groups = new Map<string, Schema[]>()
  for (const schema of loadSchemas()) {
    // Requests and responses are one message per api key even where a release renamed them.
    const key = schema.type === 'request' || schema.type === 'response' ? `${schema.type} ${schema.apiKey}` : `data ${schema.name}`
    groups.set(key, [...(groups.get(key) ?? []), schema])
  }
  // Only request files carry latestVersionUnstable; a response version is as stable as its request's.
  const unstableIn = (schema: Schema, version: number): boolean => {
    const request = schema.type === 'response' ? groups.get(`request ${schema.apiKey}`)?.find((s) => s.set === schema.set) : schema
    return request?.latestVersionUnstable === true && versionsOf(request.validVersions)[1] === version
  }
  return [...groups.values()].map((group): Codec => {
    const newest = group[group.length - 1]!
    const versions = versionsByRelease(group, unstableIn)
    const label = `${newest.name} (${[...new Set(versions.map((v) => v.schema.set))].join(' + ')})`
    if (newest.type === 'request' || newest.type === 'response') {
      const api = messages.API_BY_KEY.get(newest.apiKey ?? -1) as ApiDefinition<unknown, unknown> | undefined
      if (api === undefined) throw new Error(`no generated API for ${newest.file} (key ${newest.apiKey})`)
      return newest.type === 'request'
        ? { label, schemas: group, versions, encode: (w, v, x) => api.encodeRequest(w, v, x), decode: (r, v) => api.decodeRequest(r, v) }
        : { label, schemas: group, versions, encode: (w, v, x) => api.encodeResponse(w, v, x), decode: (r, v) => api.decodeResponse(r, v) }
    }
    const data = (messages as Record<string, unknown>)[`${newest.name}Data`] as DataDefinition<unknown> | undefined
    if (data === undefined) throw new Error(`no generated definition ${newest.name}Data for ${newest.file}`)
    return { label, schemas: group, versions, encode: (w, v, x) => data.encode(w, v, x), decode: (r, v) => data.decode(r, v) }
  })
}

function prop(name: string): string {
  return name[0]!.toLowerCase() + name.slice(1)
}

/** A deterministic source of distinct small numbers, so every field gets its own value. */
export class Counter {
  private n = 0
  next(): number {
    this.n += 1
    return this.n
  }
}

export interface BuildOptions {
  /** Put null in every field that is nullable in this version (otherwise: never null). */
  nulls: boolean
}

/**
 * One struct as each release defines it, the release of the version being
 * built first, each with the versions of the message it is the source of. A
 * field counts only if it exists in one of those versions: fields of versions
 * no release is the source of (renamed since, or of a dropped unstable
 * version) are not in the types.
 */
type Layers = { schema: Schema; fields: SchemaField[]; versions: number[] }[]

function fieldsOf(layer: Layers[number]): SchemaField[] {
  return layer.fields.filter((f) => layer.versions.some((v) => has(f.versions, v)))
}

function isStruct(field: SchemaField): boolean {
  return /^[A-Z]/.test(field.type.replace(/^\[\]/, ''))
}

function structFields(schema: Schema, field: SchemaField): SchemaField[] {
  const elem = field.type.replace(/^\[\]/, '')
  const fields = field.fields ?? schema.commonStructs?.find((s) => s.name === elem)?.fields
  if (fields === undefined) throw new Error(`${schema.set}/${schema.file}: no struct ${elem}`)
  return fields
}

/** The same struct-typed field's struct in every release that has the field. */
function childLayers(layers: Layers, name: string): Layers {
  const out: Layers = []
  for (const { schema, fields, versions } of layers) {
    const field = fields.find((f) => f.name === name)
    if (field !== undefined && isStruct(field)) {
      out.push({ schema, fields: structFields(schema, field), versions })
    }
  }
  return out
}

/** Walks a message at one version, in the definition that version comes from, and builds values. */
export class ValueBuilder {
  constructor(
    readonly codec: Codec,
    private readonly counter = new Counter(),
  ) {}

  /** A value of the whole message at `version` with a non-default value in every field the version carries. */
  build(version: number, options: BuildOptions): Record<string, unknown> {
    const own = this.codec.versions.find((v) => v.version === version)?.schema
    if (own === undefined) throw new Error(`${this.codec.label} has no version ${version}`)
    const layers = [own, ...this.codec.schemas.filter((s) => s !== own)].map((schema) => ({
      schema,
      fields: schema.fields,
      versions: this.codec.versions.filter((v) => v.schema === schema).map((v) => v.version),
    }))
    return this.struct(layers, version, options)
  }

  /** What the decoder must fill in for a field the version does not carry. */
  private defaultOf(layers: Layers, field: SchemaField): unknown {
    const d = field.default
    if (d === 'null') return null
    if (field.type.startsWith('[]')) return []
    if (isStruct(field)) return this.defaults(childLayers(layers, field.name))
    switch (field.type) {
      case 'bool':
        return d === true || d === 'true'
      case 'int64':
        return BigInt(d ?? 0)
      case 'string':
        return d === undefined ? '' : String(d)
      case 'uuid':
        return ZERO_UUID
      case 'bytes':
        return Buffer.alloc(0)
      case 'records':
        return field.nullableVersions !== undefined && field.nullableVersions !== 'none' ? null : Buffer.alloc(0)
      default:
        return Number(d ?? 0)
    }
  }

  /** Every field any release knows, at its default: what a decoder fills in for an absent struct. */
  private defaults(layers: Layers): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const layer of layers) {
      for (const f of fieldsOf(layer)) if (!(prop(f.name) in out)) out[prop(f.name)] = this.defaultOf(layers, f)
    }
    return out
  }

  private struct(layers: Layers, version: number, options: BuildOptions): Record<string, unknown> {
    const out = this.defaults(layers)
    for (const f of layers[0]!.fields) {
      if (has(f.versions, version)) out[prop(f.name)] = this.fieldValue(layers, f, version, options)
    }
    return out
  }

  private fieldValue(layers: Layers, field: SchemaField, version: number, options: BuildOptions): unknown {
    if (options.nulls && has(field.nullableVersions, version)) return null
    if (field.type.startsWith('[]')) {
      const element: SchemaField = { ...field, type: field.type.slice(2), nullableVersions: 'none', default: undefined }
      return [this.fieldValue(layers, element, version, options), this.fieldValue(layers, element, version, options)]
    }
    if (isStruct(field)) return this.struct(childLayers(layers, field.name), version, options)
    const n = this.counter.next()
    const d = this.defaultOf(layers, field)
    switch (field.type) {
      case 'bool':
        return !(d as boolean)
      case 'int8':
        return avoid(((n * 37) % 250) - 124, d)
      case 'int16':
        return avoid(((n * 7919) % 60000) - 29999, d)
      case 'uint16':
        return avoid(((n * 7919) % 65000) + 1, d)
      case 'int32':
        return avoid(((n * 104729) % 4_000_000_000) - 1_999_999_999, d)
      case 'uint32':
        return avoid(((n * 104729) % 4_000_000_000) + 1, d)
      case 'int64': {
        const v = n % 2 === 0 ? -(2n ** 62n) + BigInt(n) : BigInt(n) * 1_000_000_007n
        return v === d ? v + 1n : v
      }
      case 'float64':
        return n + 0.25
      case 'string':
        return `${prop(field.name)}-${n}-é`
      case 'uuid': {
        const bytes = Buffer.alloc(16)
        for (let i = 0; i < 16; i++) bytes[i] = (n * 31 + i * 17) & 0xff
        return bytes.toString('base64url')
      }
      case 'bytes':
      case 'records':
        return Buffer.from([n & 0xff, 0, 0xff, (n >> 8) & 0xff])
      default:
        throw new Error(`${layers[0]!.schema.file}: unknown type ${field.type}`)
    }
  }
}

function avoid(value: number, d: unknown): number {
  return value === d ? value + 1 : value
}
