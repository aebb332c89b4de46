/**
 * The specs' own reading of Kafka's JSON message definitions, written apart
 * from the generator on purpose: values built here test the generated code
 * against the spec, not against the generator's understanding of it.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ApiDefinition, DataDefinition } from '../../../lib/protocol/api.js'
import { ZERO_UUID } from '../../../lib/protocol/primitives.js'
import type { Reader, Writer } from '../../../lib/protocol/primitives.js'
import * as messages from '../../../lib/protocol/messages/index.js'

export const SPEC_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../protocol-spec/message')

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
  file: string
  apiKey?: number
  type: 'request' | 'response' | 'header' | 'data'
  name: string
  validVersions: string
  flexibleVersions: string
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

export function loadSchemas(): Schema[] {
  return readdirSync(SPEC_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, ...(JSON.parse(withoutComments(readFileSync(join(SPEC_DIR, file), 'utf8'))) as Omit<Schema, 'file'>) }))
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

/** Something that encodes and decodes one kind of message by version: half an API, a header or a data message. */
export interface Codec {
  label: string
  schema: Schema
  min: number
  max: number
  encode(w: Writer, version: number, value: unknown): void
  decode(r: Reader, version: number): unknown
}

export function codecFor(schema: Schema): Codec {
  const [min, max] = versionsOf(schema.validVersions)
  const label = schema.name
  if (schema.type === 'request' || schema.type === 'response') {
    const api = messages.API_BY_KEY.get(schema.apiKey ?? -1) as ApiDefinition<unknown, unknown> | undefined
    if (api === undefined) throw new Error(`no generated API for ${schema.file} (key ${schema.apiKey})`)
    return schema.type === 'request'
      ? { label, schema, min, max, encode: (w, v, x) => api.encodeRequest(w, v, x), decode: (r, v) => api.decodeRequest(r, v) }
      : { label, schema, min, max, encode: (w, v, x) => api.encodeResponse(w, v, x), decode: (r, v) => api.decodeResponse(r, v) }
  }
  const data = (messages as Record<string, unknown>)[`${schema.name}Data`] as DataDefinition<unknown> | undefined
  if (data === undefined) throw new Error(`no generated definition ${schema.name}Data for ${schema.file}`)
  return { label, schema, min, max, encode: (w, v, x) => data.encode(w, v, x), decode: (r, v) => data.decode(r, v) }
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

/** Walks one schema at one version and builds values. */
export class ValueBuilder {
  private readonly common = new Map<string, SchemaField[]>()

  constructor(
    readonly schema: Schema,
    private readonly counter = new Counter(),
  ) {
    for (const s of schema.commonStructs ?? []) this.common.set(s.name, s.fields)
  }

  private structFields(field: SchemaField): SchemaField[] {
    const elem = field.type.replace(/^\[\]/, '')
    const fields = field.fields ?? this.common.get(elem)
    if (fields === undefined) throw new Error(`${this.schema.file}: no struct ${elem}`)
    return fields
  }

  private isStruct(field: SchemaField): boolean {
    const elem = field.type.replace(/^\[\]/, '')
    return /^[A-Z]/.test(elem)
  }

  /** What the decoder must fill in for a field the version does not carry. */
  defaultOf(field: SchemaField): unknown {
    const d = field.default
    if (d === 'null') return null
    if (field.type.startsWith('[]')) return []
    if (this.isStruct(field)) return this.defaults(this.structFields(field))
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

  defaults(fields: SchemaField[]): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const f of fields) out[prop(f.name)] = this.defaultOf(f)
    return out
  }

  /** A value of the whole message at `version` with a non-default value in every field the version carries. */
  build(version: number, options: BuildOptions): Record<string, unknown> {
    return this.struct(this.schema.fields, version, options)
  }

  private struct(fields: SchemaField[], version: number, options: BuildOptions): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const f of fields) {
      out[prop(f.name)] = has(f.versions, version) ? this.fieldValue(f, version, options) : this.defaultOf(f)
    }
    return out
  }

  private fieldValue(field: SchemaField, version: number, options: BuildOptions): unknown {
    if (options.nulls && has(field.nullableVersions, version)) return null
    if (field.type.startsWith('[]')) {
      const element: SchemaField = { ...field, type: field.type.slice(2), nullableVersions: 'none', default: undefined }
      return [this.fieldValue(element, version, options), this.fieldValue(element, version, options)]
    }
    if (this.isStruct(field)) return this.struct(this.structFields(field), version, options)
    const n = this.counter.next()
    const d = this.defaultOf(field)
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
        throw new Error(`${this.schema.file}: unknown type ${field.type}`)
    }
  }
}

function avoid(value: number, d: unknown): number {
  return value === d ? value + 1 : value
}

/** Every versioned codec the JSON files define, with the schema behind it. */
export function allCodecs(): Codec[] {
  return loadSchemas().map(codecFor)
}
