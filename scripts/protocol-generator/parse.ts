/**
 * Step 1 of 3: reading Kafka's JSON message definitions. Turns one file into a
 * {@link Definition}: comments stripped, version ranges parsed, every field
 * checked for a known type and consistent attributes. Nothing here knows about
 * other files or other definition sets; merging is the model's job.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** An inclusive range of versions; `max` is Infinity for `N+`; `none` is the empty range 1..0. */
export interface VersionRange {
  readonly min: number
  readonly max: number
}

export const NO_VERSIONS: VersionRange = { min: 1, max: 0 }

export const PRIMITIVE_TYPES: ReadonlySet<string> = new Set([
  'bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'uuid', 'bytes', 'records',
])

export type MessageType = 'request' | 'response' | 'header' | 'data'

/** One field as the JSON declares it. */
export interface FieldDefinition {
  /** Name as the JSON spells it (`ThrottleTimeMs`). */
  readonly name: string
  readonly isArray: boolean
  /** Primitive type name, or the name of a struct of the same definition. */
  readonly elem: string
  readonly isStruct: boolean
  readonly versions: VersionRange
  readonly nullableVersions: VersionRange
  readonly taggedVersions: VersionRange
  readonly tag: number | undefined
  /** The field's own `flexibleVersions`, which overrides the message's (RequestHeader's ClientId). */
  readonly flexibleVersions: VersionRange | undefined
  readonly ignorable: boolean
  readonly defaultValue: string | number | boolean | undefined
  readonly about: string
}

/** A struct of a definition: the message itself, an inline struct, or a common struct. */
export interface StructDefinition {
  readonly name: string
  readonly fields: readonly FieldDefinition[]
  readonly about: string
}

/** One JSON file of one definition set. */
export interface Definition {
  /** The definition set it belongs to (`kafka-4.4`). */
  readonly set: string
  /** File name inside the set's directory (`ProduceRequest.json`). */
  readonly file: string
  readonly apiKey: number | undefined
  readonly type: MessageType
  readonly name: string
  readonly valid: VersionRange
  readonly flexible: VersionRange
  /** The highest valid version is still in development (brokers refuse it unless configured otherwise). */
  readonly latestVersionUnstable: boolean
  /** The message's own struct (named like the message) and every other struct, by name. */
  readonly root: StructDefinition
  readonly structs: ReadonlyMap<string, StructDefinition>
}

interface JsonField {
  name: string
  type: string
  versions?: string
  nullableVersions?: string
  taggedVersions?: string
  tag?: number | string
  flexibleVersions?: string
  ignorable?: boolean
  default?: string | number | boolean
  about?: string
  fields?: JsonField[]
}

interface JsonMessage {
  apiKey?: number
  type: MessageType
  name: string
  validVersions: string
  flexibleVersions: string
  latestVersionUnstable?: boolean
  /** Absent in the stubs Kafka keeps for removed APIs (`"validVersions": "none"`). */
  fields?: JsonField[]
  commonStructs?: { name: string; versions?: string; fields: JsonField[] }[]
}

/** A definition file that cannot be read as Kafka's format, with the file and the field it is about. */
export class DefinitionError extends Error {}

export function parseRange(text: string | undefined, where: string): VersionRange {
  if (text === undefined || text === 'none') return NO_VERSIONS
  const open = /^(\d+)\+$/.exec(text)
  if (open) return { min: Number(open[1]), max: Number.POSITIVE_INFINITY }
  const closed = /^(\d+)-(\d+)$/.exec(text)
  if (closed) return { min: Number(closed[1]), max: Number(closed[2]) }
  if (/^\d+$/.test(text)) return { min: Number(text), max: Number(text) }
  throw new DefinitionError(`${where}: cannot parse version range ${JSON.stringify(text)}`)
}

export function inRange(range: VersionRange, version: number): boolean {
  return version >= range.min && version <= range.max
}

/** Removes `//` comments outside string literals so the rest is plain JSON. */
export function stripJsonComments(text: string): string {
  let out = ''
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      out += c
      if (c === '\\') {
        out += text[++i] ?? ''
      } else if (c === '"') {
        inString = false
      }
    } else if (c === '"') {
      inString = true
      out += c
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++
      out += '\n'
    } else {
      out += c
    }
  }
  return out
}

/** Parses the text of one definition file of set `set`. */
export function parseDefinition(set: string, file: string, text: string): Definition {
  const where = `${set}/${file}`
  let json: JsonMessage
  try {
    json = JSON.parse(stripJsonComments(text)) as JsonMessage
  } catch (error) {
    throw new DefinitionError(`${where}: not JSON after removing comments: ${(error as Error).message}`)
  }
  if (!['request', 'response', 'header', 'data'].includes(json.type)) {
    throw new DefinitionError(`${where}: unknown message type ${JSON.stringify(json.type)}`)
  }
  if ((json.type === 'request' || json.type === 'response') !== (typeof json.apiKey === 'number')) {
    throw new DefinitionError(`${where}: requests and responses, and only they, have an apiKey`)
  }
  const structs = new Map<string, StructDefinition>()
  const define = (name: string, fields: JsonField[], about: string): StructDefinition => {
    if (structs.has(name)) throw new DefinitionError(`${where}: struct ${name} is defined twice`)
    const struct: StructDefinition = { name, fields: fields.map((field) => parseField(field)), about }
    structs.set(name, struct)
    return struct
  }
  const parseField = (field: JsonField): FieldDefinition => {
    const at = `${where} field ${field.name}`
    const isArray = field.type.startsWith('[]')
    const elem = isArray ? field.type.slice(2) : field.type
    const isStruct = !PRIMITIVE_TYPES.has(elem)
    if (isStruct && !/^[A-Z]\w*$/.test(elem)) throw new DefinitionError(`${at}: unknown type ${field.type}`)
    if (isStruct && field.fields !== undefined) define(elem, field.fields, field.about ?? '')
    if (!isStruct && field.fields !== undefined) throw new DefinitionError(`${at}: a primitive type with fields`)
    const taggedVersions = parseRange(field.taggedVersions, `${at} taggedVersions`)
    const tag = field.tag === undefined ? undefined : Number(field.tag)
    if ((tag === undefined) !== (taggedVersions.min > taggedVersions.max)) {
      throw new DefinitionError(`${at}: a tag needs taggedVersions and taggedVersions need a tag`)
    }
    if (tag !== undefined && !(Number.isInteger(tag) && tag >= 0)) throw new DefinitionError(`${at}: bad tag ${String(field.tag)}`)
    return {
      name: field.name,
      isArray,
      elem,
      isStruct,
      versions: parseRange(field.versions, `${at} versions`),
      nullableVersions: parseRange(field.nullableVersions, `${at} nullableVersions`),
      taggedVersions,
      tag,
      flexibleVersions: field.flexibleVersions === undefined ? undefined : parseRange(field.flexibleVersions, `${at} flexibleVersions`),
      ignorable: field.ignorable === true,
      defaultValue: field.default,
      about: field.about ?? '',
    }
  }
  for (const common of json.commonStructs ?? []) define(common.name, common.fields, '')
  const root = define(json.name, json.fields ?? [], '')
  const definition: Definition = {
    set,
    file,
    apiKey: json.apiKey,
    type: json.type,
    name: json.name,
    valid: parseRange(json.validVersions, `${where} validVersions`),
    flexible: parseRange(json.flexibleVersions, `${where} flexibleVersions`),
    latestVersionUnstable: json.latestVersionUnstable === true,
    root,
    structs,
  }
  for (const struct of structs.values()) {
    for (const field of struct.fields) if (field.isStruct) structOf(definition, field)
  }
  return definition
}

/** The struct a struct-typed field refers to. */
export function structOf(definition: Definition, field: FieldDefinition): StructDefinition {
  const struct = definition.structs.get(field.elem)
  if (struct === undefined) throw new DefinitionError(`${definition.set}/${definition.file}: field ${field.name} refers to unknown struct ${field.elem}`)
  return struct
}

/** Every definition of one set's directory, in file-name order. */
export function readDefinitionSet(set: string, dir: string): Definition[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => parseDefinition(set, file, readFileSync(join(dir, file), 'utf8')))
}
