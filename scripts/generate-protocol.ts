/**
 * Generates lib/protocol/messages/ from Kafka's JSON message definitions
 * (protocol-spec/message/*.json, vendored in the repository).
 *
 * Every struct of every message gets one straight-line encode and one decode
 * function per version; consecutive versions whose bodies come out identical
 * share one function (`encodeProduceRequestV3toV8`). No schema is interpreted
 * at run time. See docs/protocol-generator.md.
 *
 * Run with `npm run generate`. {@link generateProtocolFiles} returns the files
 * without writing them, so a spec can check that the committed output is current.
 */
import { readFileSync, readdirSync, writeFileSync, mkdirSync, unlinkSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const scriptDir = dirname(fileURLToPath(import.meta.url))
/** The repository root (the parent of scripts/). */
export const REPO_ROOT = resolve(scriptDir, '..')
/** Where the JSON definitions live: vendored in protocol-spec/message. */
export const DEFAULT_SPEC_DIR = resolve(REPO_ROOT, 'protocol-spec', 'message')
/** Where the generated modules go, relative to the repository root. */
export const OUTPUT_DIR = 'lib/protocol/messages'

/** One generated file: a path relative to the repository root and its full text. */
export interface GeneratedFile {
  path: string
  content: string
}

// ---------------------------------------------------------------------------
// Schema model
// ---------------------------------------------------------------------------

interface VersionRange {
  min: number
  max: number
}

const NO_VERSIONS: VersionRange = { min: 1, max: 0 }

const PRIMITIVES = new Set([
  'bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'uuid', 'bytes', 'records',
])

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
  type: 'request' | 'response' | 'header' | 'data'
  name: string
  validVersions: string
  flexibleVersions: string
  fields: JsonField[]
  commonStructs?: { name: string; versions?: string; fields: JsonField[] }[]
}

interface FieldSpec {
  /** Name as the JSON spells it (`ThrottleTimeMs`). */
  name: string
  /** Property name in TypeScript (`throttleTimeMs`). */
  prop: string
  isArray: boolean
  /** Primitive type name, or the spec name of a struct. */
  elem: string
  isStruct: boolean
  versions: VersionRange
  nullableVersions: VersionRange
  taggedVersions: VersionRange
  tag: number | undefined
  flexibleOverride: VersionRange | undefined
  ignorable: boolean
  defaultValue: string | number | boolean | undefined
  about: string
}

interface StructSpec {
  /** Name inside the message (`TopicProduceData`; the message name for the root). */
  specName: string
  /** TypeScript interface name (`ProduceRequestTopicProduceData`; `MetadataResponseBroker` is not prefixed twice). */
  tsName: string
  fields: FieldSpec[]
  /** Versions of the message in which this struct appears on the wire. */
  used: Set<number>
  about: string
}

interface MessageSpec {
  file: string
  json: JsonMessage
  name: string
  valid: VersionRange
  flexible: VersionRange
  root: StructSpec
  structs: Map<string, StructSpec>
}

function parseRange(text: string | undefined, what: string): VersionRange {
  if (text === undefined || text === 'none') return NO_VERSIONS
  const open = /^(\d+)\+$/.exec(text)
  if (open) return { min: Number(open[1]), max: Number.POSITIVE_INFINITY }
  const closed = /^(\d+)-(\d+)$/.exec(text)
  if (closed) return { min: Number(closed[1]), max: Number(closed[2]) }
  if (/^\d+$/.test(text)) return { min: Number(text), max: Number(text) }
  throw new Error(`${what}: cannot parse version range ${JSON.stringify(text)}`)
}

function inRange(range: VersionRange, version: number): boolean {
  return version >= range.min && version <= range.max
}

function rangeText(range: VersionRange): string {
  if (range.min > range.max) return 'none'
  if (range.max === Number.POSITIVE_INFINITY) return `${range.min}+`
  if (range.min === range.max) return `${range.min}`
  return `${range.min}-${range.max}`
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

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1)
}

function parseMessage(file: string, text: string): MessageSpec {
  const json = JSON.parse(stripJsonComments(text)) as JsonMessage
  const name = json.name
  const valid = parseRange(json.validVersions, `${file} validVersions`)
  const flexible = parseRange(json.flexibleVersions, `${file} flexibleVersions`)
  const structs = new Map<string, StructSpec>()

  const define = (specName: string, fields: JsonField[], about: string): StructSpec => {
    if (structs.has(specName)) throw new Error(`${file}: struct ${specName} is defined twice`)
    const struct: StructSpec = { specName, tsName: specName.startsWith(name) ? specName : name + specName, fields: [], used: new Set(), about }
    structs.set(specName, struct)
    struct.fields = fields.map((field) => parseField(field))
    return struct
  }

  const parseField = (field: JsonField): FieldSpec => {
    const where = `${file} field ${field.name}`
    const isArray = field.type.startsWith('[]')
    const elem = isArray ? field.type.slice(2) : field.type
    const isStruct = !PRIMITIVES.has(elem)
    if (isStruct && field.fields !== undefined) define(elem, field.fields, field.about ?? '')
    if (!isStruct && field.fields !== undefined) throw new Error(`${where}: a primitive type with fields`)
    const tag = field.tag === undefined ? undefined : Number(field.tag)
    return {
      name: field.name,
      prop: lowerFirst(field.name),
      isArray,
      elem,
      isStruct,
      versions: parseRange(field.versions, `${where} versions`),
      nullableVersions: parseRange(field.nullableVersions, `${where} nullableVersions`),
      taggedVersions: parseRange(field.taggedVersions, `${where} taggedVersions`),
      tag,
      flexibleOverride: field.flexibleVersions === undefined ? undefined : parseRange(field.flexibleVersions, where),
      ignorable: field.ignorable === true,
      defaultValue: field.default,
      about: field.about ?? '',
    }
  }

  for (const common of json.commonStructs ?? []) define(common.name, common.fields, '')
  const root = define(name, json.fields, '')

  const markUsed = (struct: StructSpec, version: number): void => {
    struct.used.add(version)
    for (const field of struct.fields) {
      if (field.isStruct && inRange(field.versions, version)) markUsed(structOf(structs, field, file), version)
    }
  }
  for (let v = valid.min; v <= valid.max; v++) markUsed(root, v)
  return { file, json, name, valid, flexible, root, structs }
}

function structOf(structs: Map<string, StructSpec>, field: FieldSpec, file: string): StructSpec {
  const struct = structs.get(field.elem)
  if (struct === undefined) throw new Error(`${file}: field ${field.name} refers to unknown struct ${field.elem}`)
  return struct
}

// ---------------------------------------------------------------------------
// Code generation for one message
// ---------------------------------------------------------------------------

function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`
}

function docText(text: string): string {
  return text.replace(/\*\//g, '*\\/').replace(/\s+/g, ' ').trim()
}

const FIXED_SIZE: Record<string, number> = {
  bool: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, float64: 8, uuid: 16,
}

/** Per-file bookkeeping: which helpers the generated code uses, so imports stay minimal. */
class FileContext {
  readonly support = new Set<string>()
  usesZeroUuid = false
  readonly lines: string[] = []

  use(helper: string): string {
    this.support.add(helper)
    return helper
  }
}

/** Generates everything for one message (request, response, header or data) into `ctx`. */
class MessageGenerator {
  private readonly encodeNames = new Map<StructSpec, Map<number, string>>()
  private readonly decodeNames = new Map<StructSpec, Map<number, string>>()
  private readonly defaultFunctions = new Set<StructSpec>()
  private readonly functions: string[] = []

  constructor(
    private readonly message: MessageSpec,
    private readonly apiName: string,
    private readonly ctx: FileContext,
  ) {}

  private struct(field: FieldSpec): StructSpec {
    return structOf(this.message.structs, field, this.message.file)
  }

  private isFlexible(version: number): boolean {
    return inRange(this.message.flexible, version)
  }

  private fieldFlexible(field: FieldSpec, version: number): boolean {
    return field.flexibleOverride === undefined ? this.isFlexible(version) : inRange(field.flexibleOverride, version)
  }

  private isTaggedAt(field: FieldSpec, version: number): boolean {
    return this.isFlexible(version) && inRange(field.taggedVersions, version) && inRange(field.versions, version)
  }

  private isRegularAt(field: FieldSpec, version: number): boolean {
    return inRange(field.versions, version) && !this.isTaggedAt(field, version)
  }

  private usedVersions(struct: StructSpec): number[] {
    return [...struct.used].sort((a, b) => a - b)
  }

  /** Whether the field's TypeScript type admits null (nullable in some version, or null by default). */
  private typeNullable(struct: StructSpec, field: FieldSpec): boolean {
    if (this.defaultIsNull(field)) return true
    for (const v of struct.used) if (inRange(field.versions, v) && inRange(field.nullableVersions, v)) return true
    return false
  }

  private defaultIsNull(field: FieldSpec): boolean {
    if (field.defaultValue === 'null') return true
    // Kafka's records fields default to null; keep that only where the field can be null at all.
    return !field.isArray && field.elem === 'records' && field.nullableVersions.min <= field.nullableVersions.max
  }

  private isRequired(struct: StructSpec, field: FieldSpec): boolean {
    for (const v of struct.used) {
      if (!inRange(field.versions, v) || this.isTaggedAt(field, v)) return false
    }
    return struct.used.size > 0
  }

  private elemType(field: FieldSpec): string {
    if (field.isStruct) return this.struct(field).tsName
    switch (field.elem) {
      case 'bool':
        return 'boolean'
      case 'int64':
        return 'bigint'
      case 'string':
      case 'uuid':
        return 'string'
      case 'bytes':
      case 'records':
        return 'Buffer'
      default:
        return 'number'
    }
  }

  private fieldType(struct: StructSpec, field: FieldSpec): string {
    const base = field.isArray ? `${this.elemType(field)}[]` : this.elemType(field)
    return this.typeNullable(struct, field) ? `${base} | null` : base
  }

  // -- defaults -------------------------------------------------------------

  private defaultExpr(field: FieldSpec): string {
    const d = field.defaultValue
    if (this.defaultIsNull(field)) return 'null'
    if (field.isArray) return '[]'
    if (field.isStruct) {
      const struct = this.struct(field)
      this.defaultFunctions.add(struct)
      return `default${struct.tsName}()`
    }
    switch (field.elem) {
      case 'bool':
        return d === true || d === 'true' ? 'true' : 'false'
      case 'int64':
        return `${d === undefined || d === '' ? 0n : BigInt(d)}n`
      case 'string':
        return quote(d === undefined ? '' : String(d))
      case 'uuid':
        this.ctx.usesZeroUuid = true
        return 'ZERO_UUID'
      case 'bytes':
      case 'records':
        return 'Buffer.alloc(0)'
      default: {
        const n = d === undefined || d === '' ? 0 : Number(d)
        if (!Number.isFinite(n)) throw new Error(`${this.message.file}: bad default ${String(d)} for ${field.name}`)
        return String(n)
      }
    }
  }

  /** An expression that is true when `x` (already known not to be undefined) equals the field's default. */
  private isDefaultExpr(struct: StructSpec, field: FieldSpec, x: string): string {
    const nullable = this.typeNullable(struct, field)
    if (this.defaultIsNull(field)) return `${x} === null`
    if (field.isArray || field.elem === 'bytes' || field.elem === 'records') {
      return nullable ? `(${x} !== null && ${x}.length === 0)` : `${x}.length === 0`
    }
    if (field.isStruct) return `${this.ctx.use('isDeepEqual')}(${x}, ${this.defaultExpr(field)})`
    return `${x} === ${this.defaultExpr(field)}`
  }

  // -- sizes ------------------------------------------------------------------

  private elemMinSize(field: FieldSpec, version: number, flexible: boolean): number {
    if (field.isStruct) return this.structMinSize(this.struct(field), version)
    const fixed = FIXED_SIZE[field.elem]
    if (fixed !== undefined) return fixed
    if (field.elem === 'string') return flexible ? 1 : 2
    return flexible ? 1 : 4
  }

  private structMinSize(struct: StructSpec, version: number): number {
    let size = this.isFlexible(version) ? 1 : 0
    for (const field of struct.fields) {
      if (!this.isRegularAt(field, version)) continue
      const flexible = this.fieldFlexible(field, version)
      if (field.isArray) size += flexible ? 1 : 4
      else if (field.isStruct && inRange(field.nullableVersions, version)) size += 1
      else size += this.elemMinSize(field, version, flexible)
    }
    return size
  }

  // -- function names, bottom-up ----------------------------------------------

  private encodeName(struct: StructSpec, version: number): string {
    this.generateStruct(struct)
    const name = this.encodeNames.get(struct)?.get(version)
    if (name === undefined) throw new Error(`${this.message.file}: ${struct.tsName} not used in v${version}`)
    return name
  }

  private decodeName(struct: StructSpec, version: number): string {
    this.generateStruct(struct)
    const name = this.decodeNames.get(struct)?.get(version)
    if (name === undefined) throw new Error(`${this.message.file}: ${struct.tsName} not used in v${version}`)
    return name
  }

  private generateStruct(struct: StructSpec): void {
    if (this.encodeNames.has(struct)) return
    const versions = this.usedVersions(struct)
    this.emitGrouped(struct, versions, 'encode', this.encodeNames, (v) => this.encodeBody(struct, v))
    this.emitGrouped(struct, versions, 'decode', this.decodeNames, (v) => this.decodeBody(struct, v))
  }

  private emitGrouped(
    struct: StructSpec,
    versions: number[],
    kind: 'encode' | 'decode',
    names: Map<StructSpec, Map<number, string>>,
    body: (v: number) => string,
  ): void {
    const byVersion = new Map<number, string>()
    names.set(struct, byVersion)
    const bodies = versions.map((v) => ({ v, text: body(v) }))
    let i = 0
    while (i < bodies.length) {
      let j = i
      while (j + 1 < bodies.length && bodies[j + 1]!.v === bodies[j]!.v + 1 && bodies[j + 1]!.text === bodies[i]!.text) j++
      const from = bodies[i]!.v
      const to = bodies[j]!.v
      const name = `${kind}${struct.tsName}V${from}${to === from ? '' : `toV${to}`}`
      for (let k = i; k <= j; k++) byVersion.set(bodies[k]!.v, name)
      const signature =
        kind === 'encode'
          ? `function ${name}(w: Writer, value: ${struct.tsName}, version: number): void {`
          : `function ${name}(r: Reader): ${struct.tsName} {`
      this.functions.push(`${signature}\n${bodies[i]!.text}}\n`)
      i = j + 1
    }
  }

  // -- encode -------------------------------------------------------------------

  /** Statements that write one value of the field's type (not null) from expression `x`. */
  private encodeValue(field: FieldSpec, version: number, flexible: boolean, x: string, w: string, indent: string): string {
    if (field.isArray) {
      const elementField: FieldSpec = { ...field, isArray: false, nullableVersions: NO_VERSIONS }
      const inner = this.encodeValue(elementField, version, flexible, 'element', w, indent + '  ')
      return (
        `${indent}${w}.${flexible ? 'compactArrayLength' : 'arrayLength'}(${x}.length)\n` +
        `${indent}for (const element of ${x}) {\n${inner}${indent}}\n`
      )
    }
    if (field.isStruct) {
      const struct = this.struct(field)
      const call = `${this.encodeName(struct, version)}(${w}, ${x}, version)`
      if (inRange(field.nullableVersions, version)) {
        return `${indent}if (${x} === null) {\n${indent}  ${w}.int8(-1)\n${indent}} else {\n${indent}  ${w}.int8(1)\n${indent}  ${call}\n${indent}}\n`
      }
      return `${indent}${call}\n`
    }
    switch (field.elem) {
      case 'string':
        return `${indent}${w}.${flexible ? 'compactString' : 'string'}(${x})\n`
      case 'bytes':
      case 'records':
        return `${indent}${w}.${flexible ? 'compactBytes' : 'bytes'}(${x})\n`
      default:
        return `${indent}${w}.${field.elem}(${x})\n`
    }
  }

  /** Statements that write the field (which may be null where nullable) from expression `x`. */
  private encodeField(struct: StructSpec, field: FieldSpec, version: number, x: string, w: string, indent: string): string {
    const flexible = this.fieldFlexible(field, version)
    const nullableNow = inRange(field.nullableVersions, version)
    let out = ''
    const carriesNullInLength = field.isArray || (!field.isStruct && (field.elem === 'string' || field.elem === 'bytes' || field.elem === 'records'))
    // Without this check a JavaScript caller's null would go out as a null length the receiver cannot accept.
    if (!nullableNow && (this.typeNullable(struct, field) || carriesNullInLength)) {
      out += `${indent}if (${x} === null) throw ${this.ctx.use('nullNotAllowed')}(${quote(this.apiName)}, version, ${quote(struct.tsName)}, ${quote(field.prop)})\n`
    }
    if (nullableNow && (field.isArray || (!field.isStruct && (field.elem === 'string' || field.elem === 'bytes' || field.elem === 'records')))) {
      // Strings, bytes and arrays carry null in their length; only arrays need a branch.
      if (field.isArray) {
        out += `${indent}if (${x} === null) {\n${indent}  ${w}.${flexible ? 'compactArrayLength' : 'arrayLength'}(null)\n${indent}} else {\n`
        out += this.encodeValue(field, version, flexible, x, w, indent + '  ')
        out += `${indent}}\n`
        return out
      }
    }
    if (!field.isArray && field.isStruct && nullableNow) return out + this.encodeValue(field, version, flexible, x, w, indent)
    return out + this.encodeValue(field, version, flexible, x, w, indent)
  }

  private encodeBody(struct: StructSpec, version: number): string {
    let out = ''
    const tagged: FieldSpec[] = []
    for (const field of struct.fields) {
      const access = `value.${field.prop}`
      if (this.isTaggedAt(field, version)) {
        tagged.push(field)
      } else if (this.isRegularAt(field, version)) {
        // Not \`??\`: null is a value of its own in nullable fields, only undefined means "not given".
        const x = this.isRequired(struct, field) ? access : `(${access} === undefined ? ${this.defaultExpr(field)} : ${access})`
        const inline = this.encodeField(struct, field, version, x, 'w', '  ')
        if (x === access || inline.split(x).length === 2) {
          out += x === access ? inline : inline.replace(`(${x})`, x)
        } else {
          // The value is used more than once: evaluate the default fallback once.
          out += `  {\n    const given = ${x}\n`
          out += this.encodeField(struct, field, version, 'given', 'w', '    ')
          out += '  }\n'
        }
      } else if (!field.ignorable) {
        out +=
          `  if (${access} !== undefined && !(${this.isDefaultExpr(struct, field, access)})) {\n` +
          `    throw ${this.ctx.use('fieldNotInVersion')}(${quote(this.apiName)}, version, ${quote(struct.tsName)}, ${quote(field.prop)}, ${quote(rangeText(field.versions))})\n` +
          '  }\n'
      }
    }
    if (this.isFlexible(version)) {
      tagged.sort((a, b) => (a.tag ?? 0) - (b.tag ?? 0))
      if (tagged.length === 0) {
        out += '  w.uvarint(0)\n'
      } else {
        const writeTagged = this.ctx.use('writeTaggedField')
        out += '  let taggedCount = 0\n'
        tagged.forEach((field, i) => {
          const access = `value.${field.prop}`
          out += `  const tagged${i} = ${access}\n`
          out += `  const put${i} = tagged${i} !== undefined && !(${this.isDefaultExpr(struct, field, `tagged${i}`)})\n`
          out += `  if (put${i}) taggedCount++\n`
        })
        out += '  w.uvarint(taggedCount)\n'
        tagged.forEach((field, i) => {
          out += `  if (put${i} && tagged${i} !== undefined) {\n`
          out += `    const given = tagged${i}\n`
          out += `    ${writeTagged}(w, ${field.tag ?? 0}, (t) => {\n`
          out += this.encodeField(struct, field, version, 'given', 't', '      ')
          out += '    })\n  }\n'
        })
      }
    }
    return out
  }

  // -- decode -------------------------------------------------------------------

  /** An expression that reads one value of the field's type from reader `r`. */
  private decodeExpr(field: FieldSpec, version: number, flexible: boolean, nullable: boolean, r: string): string {
    if (field.isArray) {
      const elementField: FieldSpec = { ...field, isArray: false, nullableVersions: NO_VERSIONS }
      const min = Math.max(1, this.elemMinSize(elementField, version, flexible))
      const count = `${r}.${flexible ? 'compactArrayLength' : 'arrayLength'}(${min})`
      let element: string
      if (field.isStruct) {
        element = this.decodeName(this.struct(field), version)
      } else {
        element = `(er) => ${this.decodeExpr(elementField, version, flexible, false, 'er')}`
      }
      return `${this.ctx.use(nullable ? 'readNullableArray' : 'readArray')}(${r}, ${count}, ${element})`
    }
    if (field.isStruct) {
      const call = `${this.decodeName(this.struct(field), version)}(${r})`
      return nullable ? `(${r}.int8() < 0 ? null : ${call})` : call
    }
    switch (field.elem) {
      case 'string':
        if (nullable) return `${r}.${flexible ? 'compactString' : 'string'}()`
        return `${this.ctx.use(flexible ? 'readCompactStringNotNull' : 'readStringNotNull')}(${r})`
      case 'bytes':
      case 'records':
        if (nullable) return `${r}.${flexible ? 'compactBytes' : 'bytes'}()`
        return `${this.ctx.use(flexible ? 'readCompactBytesNotNull' : 'readBytesNotNull')}(${r})`
      default:
        return `${r}.${field.elem}()`
    }
  }

  private decodeBody(struct: StructSpec, version: number): string {
    const withSegment = this.ctx.use('withSegment')
    let out = "  let at = ''\n  try {\n"
    const values: string[] = []
    const tagged: { field: FieldSpec; local: string }[] = []
    struct.fields.forEach((field, i) => {
      const local = `f${i}`
      if (this.isTaggedAt(field, version)) {
        out += `    let ${local}: ${this.fieldType(struct, field)} = ${this.defaultExpr(field)}\n`
        tagged.push({ field, local })
        values.push(`${field.prop}: ${local}`)
      } else if (this.isRegularAt(field, version)) {
        const flexible = this.fieldFlexible(field, version)
        out += `    at = ${quote(field.prop)}\n`
        out += `    const ${local} = ${this.decodeExpr(field, version, flexible, inRange(field.nullableVersions, version), 'r')}\n`
        values.push(`${field.prop}: ${local}`)
      } else {
        values.push(`${field.prop}: ${this.defaultExpr(field)}`)
      }
    })
    if (this.isFlexible(version)) {
      out += "    at = '(tagged fields)'\n"
      if (tagged.length === 0) {
        out += `    ${this.ctx.use('skipTaggedFields')}(r)\n`
      } else {
        const openTagged = this.ctx.use('openTaggedField')
        const closeTagged = this.ctx.use('closeTaggedField')
        out += '    const taggedCount = r.uvarint()\n'
        out += '    for (let i = 0; i < taggedCount; i++) {\n'
        out += '      const tag = r.uvarint()\n'
        out += '      const size = r.uvarint()\n'
        out += '      switch (tag) {\n'
        for (const { field, local } of [...tagged].sort((a, b) => (a.field.tag ?? 0) - (b.field.tag ?? 0))) {
          const flexible = this.fieldFlexible(field, version)
          out += `        case ${field.tag ?? 0}: {\n`
          out += `          at = ${quote(field.prop)}\n`
          out += `          const t = ${openTagged}(r, size)\n`
          out += `          ${local} = ${this.decodeExpr(field, version, flexible, inRange(field.nullableVersions, version), 't')}\n`
          out += `          ${closeTagged}(t, ${field.tag ?? 0})\n`
          out += "          at = '(tagged fields)'\n"
          out += '          break\n'
          out += '        }\n'
        }
        out += '        default:\n          r.skip(size)\n      }\n    }\n'
      }
    }
    out += `    return { ${values.join(', ')} }\n`
    out += `  } catch (error) {\n    throw ${withSegment}(error, at)\n  }\n`
    return out
  }

  // -- output -------------------------------------------------------------------

  interfaces(): string {
    let out = ''
    for (const struct of this.message.structs.values()) {
      if (struct.used.size === 0) continue
      const title = struct === this.message.root ? `${this.message.name}, versions ${rangeText(this.message.valid)}.` : docText(struct.about) || `${struct.specName} of ${this.message.name}.`
      out += `/** ${title} */\nexport interface ${struct.tsName} {\n`
      for (const field of struct.fields) {
        const notes: string[] = [`versions ${rangeText(field.versions)}`]
        if (field.tag !== undefined) notes.push(`tag ${field.tag}`)
        if (field.nullableVersions.min <= field.nullableVersions.max) notes.push(`nullable ${rangeText(field.nullableVersions)}`)
        if (field.defaultValue !== undefined) notes.push(`default ${String(field.defaultValue)}`)
        out += `  /** ${docText(field.about)} (${notes.join(', ')}) */\n`
        out += `  ${field.prop}${this.isRequired(struct, field) ? '' : '?'}: ${this.fieldType(struct, field)}\n`
      }
      out += '}\n\n'
    }
    return out
  }

  /** Generates the functions for the whole message; returns root encode/decode names per version. */
  generate(): { encode: Map<number, string>; decode: Map<number, string> } {
    this.generateStruct(this.message.root)
    return { encode: this.encodeNames.get(this.message.root)!, decode: this.decodeNames.get(this.message.root)! }
  }

  functionsText(): string {
    let out = ''
    // Default factories last-in-first-out would reorder between runs; sort by name to stay deterministic.
    const done = new Set<StructSpec>()
    const pending = () => [...this.defaultFunctions].filter((s) => !done.has(s)).sort((a, b) => (a.tsName < b.tsName ? -1 : 1))
    const defaults: string[] = []
    for (let next = pending(); next.length > 0; next = pending()) {
      for (const struct of next) {
        done.add(struct)
        const values = struct.fields.map((field) => `${field.prop}: ${this.defaultExpr(field)}`)
        defaults.push(`function default${struct.tsName}(): ${struct.tsName} {\n  return { ${values.join(', ')} }\n}\n`)
      }
    }
    defaults.sort()
    for (const text of defaults) out += text + '\n'
    for (const text of this.functions) out += text + '\n'
    return out
  }
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

function header(sources: string[]): string {
  return `// generated by scripts/generate-protocol.ts from ${sources.join(' and ')}, do not edit\n`
}

function versionSwitch(
  names: Map<number, string>,
  call: (name: string) => string,
  indent: string,
  fallback: string,
): string {
  const groups = new Map<string, number[]>()
  for (const [v, name] of [...names].sort((a, b) => a[0] - b[0])) {
    const list = groups.get(name) ?? []
    list.push(v)
    groups.set(name, list)
  }
  let out = `${indent}switch (version) {\n`
  for (const [name, versions] of groups) {
    for (const v of versions) out += `${indent}  case ${v}:\n`
    out += `${indent}    ${call(name)}\n`
  }
  out += `${indent}  default:\n${indent}    ${fallback}\n${indent}}\n`
  return out
}

function importsText(ctx: FileContext, kinds: { api: boolean; data: boolean }): string {
  let out = ''
  if (kinds.api) out += "import type { ApiDefinition } from '../api.js'\n"
  if (kinds.data) out += "import type { DataDefinition } from '../api.js'\n"
  out += "import type { Reader, Writer } from '../primitives.js'\n"
  if (ctx.usesZeroUuid) out += "import { ZERO_UUID } from '../primitives.js'\n"
  const helpers = [...ctx.support].sort()
  if (helpers.length > 0) out += `import { ${helpers.join(', ')} } from './support.js'\n`
  return out
}

function apiFile(request: MessageSpec, response: MessageSpec): GeneratedFile {
  const apiName = request.name.replace(/Request$/, '')
  const apiKey = request.json.apiKey
  if (apiKey === undefined || response.json.apiKey !== apiKey) throw new Error(`${request.file}: api keys disagree`)
  const ctx = new FileContext()
  const requestGen = new MessageGenerator(request, apiName, ctx)
  const responseGen = new MessageGenerator(response, apiName, ctx)
  const req = requestGen.generate()
  const res = responseGen.generate()
  const unsupported = ctx.use('unsupportedVersion')
  const decodeFailure = ctx.use('decodeFailure')
  const encodeFailure = ctx.use('encodeFailure')
  const flexMin = request.flexible.min <= request.flexible.max ? request.flexible.min : null

  const requestHeader =
    apiKey === 7
      ? // ControlledShutdown v0 predates the client id: its request uses header v0.
        `version === 0 ? 0 : ${flexMin === null ? '1' : `version >= ${flexMin} ? 2 : 1`}`
      : flexMin === null
        ? '1'
        : `version >= ${flexMin} ? 2 : 1`
  const responseFlexMin = response.flexible.min <= response.flexible.max ? response.flexible.min : null
  // ApiVersions responses always use header v0 so a client can read them whatever version it asked for.
  const responseHeader = apiKey === 18 || responseFlexMin === null ? '0' : `version >= ${responseFlexMin} ? 1 : 0`

  const range = (m: MessageSpec) => `${m.valid.min}, ${m.valid.max}`
  let body = ''
  body += requestGen.interfaces()
  body += responseGen.interfaces()
  body += requestGen.functionsText()
  body += responseGen.functionsText()

  const apiConst = `${apiName}Api`
  body += `/**\n * The ${apiName} API (key ${apiKey}), versions ${rangeText(request.valid)}.\n *\n * @example\n * \`\`\`ts\n`
  body += ` * const writer = new Writer()\n * ${apiConst}.encodeRequest(writer, ${request.valid.max}, request)\n`
  body += ` * const response = ${apiConst}.decodeResponse(new Reader(responseBytes), ${request.valid.max})\n * \`\`\`\n */\n`
  body += `export const ${apiConst}: ApiDefinition<${request.name}, ${response.name}> = {\n`
  body += `  apiKey: ${apiKey},\n  name: ${quote(apiName)},\n  minVersion: ${request.valid.min},\n  maxVersion: ${request.valid.max},\n`
  body += `  flexibleMinVersion: ${flexMin === null ? 'null' : flexMin},\n`
  body += `  requestHeaderVersion(version) {\n    return ${requestHeader}\n  },\n`
  body += `  responseHeaderVersion(${responseHeader === '0' ? '' : 'version'}) {\n    return ${responseHeader}\n  },\n`
  const encodeMethod = (method: string, arg: string, names: Map<number, string>, m: MessageSpec, what: string) => {
    let out = `  ${method}(writer, version, ${arg}) {\n    try {\n`
    out += versionSwitch(
      names,
      (name) => `return ${name}(writer, ${arg}, version)`,
      '      ',
      `throw ${unsupported}(${quote(apiName)}, ${quote(what)}, version, ${range(m)})`,
    )
    out += `    } catch (error) {\n      throw ${encodeFailure}(error, ${quote(apiName)}, ${quote(what)}, version)\n    }\n  },\n`
    return out
  }
  const decodeMethod = (method: string, names: Map<number, string>, m: MessageSpec, what: string) => {
    let out = `  ${method}(reader, version) {\n    try {\n`
    out += versionSwitch(
      names,
      (name) => `return ${name}(reader)`,
      '      ',
      `throw ${unsupported}(${quote(apiName)}, ${quote(what)}, version, ${range(m)})`,
    )
    out += `    } catch (error) {\n      throw ${decodeFailure}(error, ${quote(apiName)}, ${quote(what)}, version)\n    }\n  },\n`
    return out
  }
  body += encodeMethod('encodeRequest', 'request', req.encode, request, 'request')
  body += decodeMethod('decodeRequest', req.decode, request, 'request')
  body += encodeMethod('encodeResponse', 'response', res.encode, response, 'response')
  body += decodeMethod('decodeResponse', res.decode, response, 'response')
  body += '}\n'

  const content = header([request.file, response.file]) + importsText(ctx, { api: true, data: false }) + '\n' + body
  return { path: `${OUTPUT_DIR}/${apiName}.ts`, content: content.replace(/\n+$/, '\n') }
}

function dataFile(message: MessageSpec): GeneratedFile {
  const ctx = new FileContext()
  const gen = new MessageGenerator(message, message.name, ctx)
  const names = gen.generate()
  const unsupported = ctx.use('unsupportedVersion')
  const decodeFailure = ctx.use('decodeFailure')
  const encodeFailure = ctx.use('encodeFailure')
  const constName = `${message.name}Data`
  const range = `${message.valid.min}, ${message.valid.max}`
  let body = gen.interfaces() + gen.functionsText()
  body += `/**\n * ${message.name} (a ${message.json.type} structure, not an API), versions ${rangeText(message.valid)}.\n *\n`
  body += ` * @example\n * \`\`\`ts\n * const value = ${constName}.decode(new Reader(bytes), ${message.valid.max})\n * \`\`\`\n */\n`
  body += `export const ${constName}: DataDefinition<${message.name}> = {\n`
  body += `  name: ${quote(message.name)},\n  minVersion: ${message.valid.min},\n  maxVersion: ${message.valid.max},\n`
  body += '  encode(writer, version, value) {\n    try {\n'
  body += versionSwitch(
    names.encode,
    (name) => `return ${name}(writer, value, version)`,
    '      ',
    `throw ${unsupported}(${quote(message.name)}, 'value', version, ${range})`,
  )
  body += `    } catch (error) {\n      throw ${encodeFailure}(error, ${quote(message.name)}, 'value', version)\n    }\n  },\n`
  body += '  decode(reader, version) {\n    try {\n'
  body += versionSwitch(
    names.decode,
    (name) => `return ${name}(reader)`,
    '      ',
    `throw ${unsupported}(${quote(message.name)}, 'value', version, ${range})`,
  )
  body += `    } catch (error) {\n      throw ${decodeFailure}(error, ${quote(message.name)}, 'value', version)\n    }\n  },\n}\n`
  const content = header([message.file]) + importsText(ctx, { api: false, data: true }) + '\n' + body
  return { path: `${OUTPUT_DIR}/${message.name}.ts`, content: content.replace(/\n+$/, '\n') }
}

const SUPPORT = `/**
 * Helpers shared by the generated message modules: reads that refuse null
 * where the spec forbids it, arrays with bounded counts, tagged-field sections,
 * and the error plumbing that turns a failure deep inside a message into one
 * error carrying the field path (\`/topics/0/partitions/1/records\`).
 */
import { ProtocolDecodeError, ProtocolEncodeError, RxKafkaError, UnsupportedVersionError } from '../errors.js'
import { Reader, Writer } from '../primitives.js'

/**
 * Thrown inside decoders only: the original error plus the path segments
 * collected while it unwinds (innermost first). The public entry points turn
 * it back into a ProtocolDecodeError, so the no-error path pays nothing for paths.
 */
class DecodeTrail {
  readonly segments: (string | number)[] = []
  constructor(readonly error: ProtocolDecodeError) {}
}

export function withSegment(error: unknown, segment: string | number): unknown {
  if (error instanceof DecodeTrail) {
    error.segments.push(segment)
    return error
  }
  if (error instanceof ProtocolDecodeError) {
    const trail = new DecodeTrail(error)
    trail.segments.push(segment)
    return trail
  }
  return error
}

export function decodeFailure(error: unknown, api: string, what: string, version: number): unknown {
  if (!(error instanceof DecodeTrail)) return error
  const inner = error.error
  const path = '/' + error.segments.reverse().join('/')
  const suffix = inner.byteOffset === undefined ? '' : \` at byte \${inner.byteOffset}\`
  const text = suffix !== '' && inner.message.endsWith(suffix) ? inner.message.slice(0, -suffix.length) : inner.message
  return new ProtocolDecodeError(\`\${text} in \${api} \${what} v\${version}\`, {
    api,
    path,
    ...(inner.byteOffset === undefined ? {} : { byteOffset: inner.byteOffset }),
    hint: 'The bytes are not a valid message of this version: check that the version matches the one the request was sent with',
  })
}

export function encodeFailure(error: unknown, api: string, what: string, version: number): unknown {
  if (error instanceof RxKafkaError) return error
  const reason = error instanceof Error ? error.message : String(error)
  return new ProtocolEncodeError(\`cannot encode \${api} \${what} v\${version}: \${reason}\`, {
    api,
    cause: error,
    hint: 'Check that every field has a value of its declared type and range',
  })
}

export function unsupportedVersion(api: string, what: string, version: number, min: number, max: number): UnsupportedVersionError {
  return new UnsupportedVersionError(\`\${api} \${what} version \${version} is not supported: valid versions are \${min} to \${max}\`, {
    api,
    hint: 'Choose a version with chooseVersion() from the broker\\'s ApiVersions range',
  })
}

export function fieldNotInVersion(api: string, version: number, struct: string, field: string, versions: string): ProtocolEncodeError {
  return new ProtocolEncodeError(\`\${struct}.\${field} has a non-default value but \${api} v\${version} cannot carry it\`, {
    api,
    hint: \`The field exists in versions \${versions}: use such a version or leave the field at its default\`,
  })
}

export function nullNotAllowed(api: string, version: number, struct: string, field: string): ProtocolEncodeError {
  return new ProtocolEncodeError(\`\${struct}.\${field} is null but \${api} v\${version} cannot carry null there\`, {
    api,
    hint: 'Give the field a value, or use a version in which it is nullable',
  })
}

// Decoding is lenient about one deviation: a null length where the spec says the
// field is not nullable reads as the empty value. librdkafka's mock broker writes
// null assignment bytes in SyncGroup error answers, and a strict decoder would hide
// the error code that tells the member to rejoin. Encoders never write such nulls.

export function readStringNotNull(r: Reader): string {
  return r.string() ?? ''
}

export function readCompactStringNotNull(r: Reader): string {
  return r.compactString() ?? ''
}

const EMPTY_BYTES = Buffer.alloc(0)

export function readBytesNotNull(r: Reader): Buffer {
  return r.bytes() ?? EMPTY_BYTES
}

export function readCompactBytesNotNull(r: Reader): Buffer {
  return r.compactBytes() ?? EMPTY_BYTES
}

/** Reads \`count\` elements (the count is already checked against the bytes left); null reads as empty. */
export function readArray<T>(r: Reader, count: number | null, readElement: (r: Reader) => T): T[] {
  if (count === null) return []
  const result = new Array<T>(count)
  let i = 0
  try {
    for (; i < count; i++) result[i] = readElement(r)
  } catch (error) {
    throw withSegment(error, i)
  }
  return result
}

export function readNullableArray<T>(r: Reader, count: number | null, readElement: (r: Reader) => T): T[] | null {
  return count === null ? null : readArray(r, count, readElement)
}

/** Skips a whole tagged-field section: none of its tags is known in this version. */
export function skipTaggedFields(r: Reader): void {
  const count = r.uvarint()
  for (let i = 0; i < count; i++) {
    r.uvarint()
    r.skip(r.uvarint())
  }
}

/** A reader limited to one tagged field's bytes; the outer reader moves past them. */
export function openTaggedField(r: Reader, size: number): Reader {
  r.need(size, 'tagged field')
  const field = new Reader(r.buffer, r.offset, r.offset + size)
  r.offset += size
  return field
}

export function closeTaggedField(field: Reader, tag: number): void {
  if (field.remaining() !== 0) {
    throw new ProtocolDecodeError(\`tagged field \${tag} has \${field.remaining()} bytes left over after its value\`, {
      byteOffset: field.offset,
    })
  }
}

/** Writes tag, size and value of one tagged field; the value is encoded first to learn its size. */
export function writeTaggedField(w: Writer, tag: number, encode: (w: Writer) => void): void {
  const field = new Writer(64)
  encode(field)
  w.uvarint(tag)
  w.uvarint(field.offset)
  w.raw(field.finish())
}

/** Structural equality for the default check of struct fields (Kafka skips tagged fields equal to their default). */
export function isDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((x, i) => isDeepEqual(x, b[i]))
  }
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const left = a as Record<string, unknown>
    const right = b as Record<string, unknown>
    const keys = new Set([...Object.keys(left), ...Object.keys(right)])
    for (const key of keys) {
      if (left[key] === undefined || right[key] === undefined) continue
      if (!isDeepEqual(left[key], right[key])) return false
    }
    return true
  }
  return false
}
`

function indexFile(apis: { apiName: string; apiKey: number }[], others: string[]): GeneratedFile {
  const sortedApis = [...apis].sort((a, b) => a.apiKey - b.apiKey)
  let out = header(['every JSON file in protocol-spec/message'])
  out += "import type { ApiDefinition } from '../api.js'\n"
  for (const { apiName } of sortedApis) out += `import { ${apiName}Api } from './${apiName}.js'\n`
  out += '\n'
  for (const name of [...sortedApis.map((a) => a.apiName), ...others].sort()) out += `export * from './${name}.js'\n`
  out += '\n/** Every API this client can encode and decode, in api-key order. */\n'
  out += 'export const ALL_APIS = [\n'
  for (const { apiName } of sortedApis) out += `  ${apiName}Api,\n`
  out += '] as const\n\n'
  out += '/** Any one of the generated API definitions. */\nexport type AnyApi = (typeof ALL_APIS)[number]\n\n'
  out += '/**\n * API definitions by api key, for code that only has the number (such as a broker\n * decoding a request header).\n *\n'
  out += ' * @example\n * ```ts\n * const api = API_BY_KEY.get(header.requestApiKey)\n * ```\n */\n'
  out += 'export const API_BY_KEY: ReadonlyMap<number, ApiDefinition<unknown, unknown>> = new Map<number, ApiDefinition<unknown, unknown>>(\n'
  out += '  ALL_APIS.map((api) => [api.apiKey, api as ApiDefinition<unknown, unknown>]),\n)\n'
  return { path: `${OUTPUT_DIR}/index.ts`, content: out }
}

/**
 * Generates every file of lib/protocol/messages/ in memory.
 *
 * @example
 * ```ts
 * for (const file of generateProtocolFiles()) console.log(file.path, file.content.length)
 * ```
 */
export function generateProtocolFiles(specDir: string = DEFAULT_SPEC_DIR): GeneratedFile[] {
  const files = readdirSync(specDir).filter((f) => f.endsWith('.json')).sort()
  const messages = files.map((file) => parseMessage(file, readFileSync(join(specDir, file), 'utf8')))
  const byName = new Map(messages.map((m) => [m.name, m]))
  const out: GeneratedFile[] = [{ path: `${OUTPUT_DIR}/support.ts`, content: header(['its own template']) + SUPPORT }]
  const apis: { apiName: string; apiKey: number }[] = []
  const others: string[] = []
  for (const message of messages) {
    const type = message.json.type
    if (type === 'request') {
      const response = byName.get(message.name.replace(/Request$/, 'Response'))
      if (response === undefined) throw new Error(`${message.file}: no matching response`)
      const file = apiFile(message, response)
      out.push(file)
      apis.push({ apiName: message.name.replace(/Request$/, ''), apiKey: message.json.apiKey ?? -1 })
    } else if (type === 'header' || type === 'data') {
      out.push(dataFile(message))
      others.push(message.name)
    } else if (type !== 'response') {
      throw new Error(`${message.file}: unknown message type ${String(type)}`)
    }
  }
  out.push(indexFile(apis, others))
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

function main(): void {
  const files = generateProtocolFiles()
  const dir = join(REPO_ROOT, OUTPUT_DIR)
  mkdirSync(dir, { recursive: true })
  const wanted = new Set(files.map((f) => f.path.slice(OUTPUT_DIR.length + 1)))
  for (const existing of readdirSync(dir)) {
    // Only files we generated earlier are removed: anything without our header is left alone.
    if (!existing.endsWith('.ts') || wanted.has(existing)) continue
    const text = readFileSync(join(dir, existing), 'utf8')
    if (text.startsWith('// generated by scripts/generate-protocol.ts')) unlinkSync(join(dir, existing))
  }
  for (const file of files) writeFileSync(join(REPO_ROOT, file.path), file.content)
  console.log(`wrote ${files.length} files to ${OUTPUT_DIR}/`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main()
