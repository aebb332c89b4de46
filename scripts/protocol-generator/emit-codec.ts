/**
 * Step 3 of 3, part two: the encode and decode functions of a message. For
 * every struct and every version in which it appears there is one
 * straight-line function; consecutive versions whose bodies come out identical
 * share one function named for the range (`encodeProduceRequestV3toV8`).
 * Locals are named after their fields. The helpers the code calls live in
 * lib/protocol/message-runtime.ts.
 */
import type { FieldModel, MessageModel, StructModel } from './model.js'
import { quote, type FileContext, type MessageTypes } from './emit-types.js'

const FIXED_SIZE: Record<string, number> = {
  bool: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, float64: 8, uuid: 16,
}

/** Names the generated functions use for themselves, and words JavaScript reserves: a field's local is renamed around them. */
const RESERVED = new Set([
  'r', 'w', 't', 'er', 'at', 'error', 'value', 'version', 'element', 'taggedCount', 'tag', 'size', 'i',
  'arguments', 'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do',
  'else', 'enum', 'eval', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'implements', 'import', 'in',
  'instanceof', 'interface', 'let', 'new', 'null', 'package', 'private', 'protected', 'public', 'return', 'static',
  'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'undefined', 'var', 'void', 'while', 'with', 'yield',
])

/** Local variable names for one struct function: each field's own name where it can be, and fresh helper names. */
class Locals {
  private readonly taken: Set<string>
  private readonly byField = new Map<FieldModel, string>()

  constructor(struct: StructModel) {
    this.taken = new Set([...RESERVED, ...struct.fields.map((f) => f.prop)])
    for (const field of struct.fields) this.byField.set(field, RESERVED.has(field.prop) ? this.fresh(`${field.prop}Field`) : field.prop)
  }

  of(field: FieldModel): string {
    return this.byField.get(field)!
  }

  fresh(base: string): string {
    let name = base
    for (let n = 2; this.taken.has(name); n++) name = `${base}${n}`
    this.taken.add(name)
    return name
  }
}

export interface CodecNames {
  encode: Map<number, string>
  decode: Map<number, string>
}

/** Generates every encode and decode function of one message. */
export class MessageCodec {
  private readonly encodeNames = new Map<StructModel, Map<number, string>>()
  private readonly decodeNames = new Map<StructModel, Map<number, string>>()
  private readonly functions: string[] = []
  private readonly message: MessageModel
  private readonly ctx: FileContext

  constructor(
    private readonly types: MessageTypes,
    /** The name errors carry (`Produce` for both halves of an API). */
    private readonly apiName: string,
  ) {
    this.message = types.message
    this.ctx = types.ctx
  }

  /** Generates the functions for the whole message; returns the root's encode and decode names per version. */
  generate(): CodecNames {
    this.generateStruct(this.message.root)
    return { encode: this.encodeNames.get(this.message.root)!, decode: this.decodeNames.get(this.message.root)! }
  }

  /** The default factories, then every function, in the order they were generated (deterministic). */
  functionsText(): string {
    return this.types.defaultFactoriesText() + this.functions.map((text) => text + '\n').join('')
  }

  private isFlexible(version: number): boolean {
    return this.message.flexible.has(version)
  }

  private isRegularAt(field: FieldModel, version: number): boolean {
    return field.present.has(version) && !field.tagged.has(version)
  }

  // -- sizes ------------------------------------------------------------------

  private elemMinSize(field: FieldModel, version: number, compact: boolean): number {
    if (field.isStruct) return this.structMinSize(this.types.struct(field), version)
    const fixed = FIXED_SIZE[field.elem]
    if (fixed !== undefined) return fixed
    if (field.elem === 'string') return compact ? 1 : 2
    return compact ? 1 : 4
  }

  private structMinSize(struct: StructModel, version: number): number {
    let size = this.isFlexible(version) ? 1 : 0
    for (const field of struct.fields) {
      if (!this.isRegularAt(field, version)) continue
      const compact = field.compact.has(version)
      if (field.isArray) size += compact ? 1 : 4
      else if (field.isStruct && field.nullable.has(version)) size += 1
      else size += this.elemMinSize(field, version, compact)
    }
    return size
  }

  // -- function names, bottom-up ----------------------------------------------

  private encodeName(struct: StructModel, version: number): string {
    this.generateStruct(struct)
    const name = this.encodeNames.get(struct)?.get(version)
    if (name === undefined) throw new Error(`${this.message.name}: ${struct.tsName} not used in v${version}`)
    return name
  }

  private decodeName(struct: StructModel, version: number): string {
    this.generateStruct(struct)
    const name = this.decodeNames.get(struct)?.get(version)
    if (name === undefined) throw new Error(`${this.message.name}: ${struct.tsName} not used in v${version}`)
    return name
  }

  private generateStruct(struct: StructModel): void {
    if (this.encodeNames.has(struct)) return
    const versions = [...struct.used].sort((a, b) => a - b)
    this.emitGrouped(struct, versions, 'encode', this.encodeNames, (v) => this.encodeBody(struct, v))
    this.emitGrouped(struct, versions, 'decode', this.decodeNames, (v) => this.decodeBody(struct, v))
  }

  private emitGrouped(
    struct: StructModel,
    versions: number[],
    kind: 'encode' | 'decode',
    names: Map<StructModel, Map<number, string>>,
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
  private encodeValue(field: FieldModel, version: number, compact: boolean, x: string, w: string, indent: string): string {
    if (field.isArray) {
      const element: FieldModel = { ...field, isArray: false, nullable: new Set() }
      const inner = this.encodeValue(element, version, compact, 'element', w, indent + '  ')
      return (
        `${indent}${w}.${compact ? 'compactArrayLength' : 'arrayLength'}(${x}.length)\n` +
        `${indent}for (const element of ${x}) {\n${inner}${indent}}\n`
      )
    }
    if (field.isStruct) {
      const call = `${this.encodeName(this.types.struct(field), version)}(${w}, ${x}, version)`
      if (field.nullable.has(version)) {
        return `${indent}if (${x} === null) {\n${indent}  ${w}.int8(-1)\n${indent}} else {\n${indent}  ${w}.int8(1)\n${indent}  ${call}\n${indent}}\n`
      }
      return `${indent}${call}\n`
    }
    switch (field.elem) {
      case 'string':
        return `${indent}${w}.${compact ? 'compactString' : 'string'}(${x})\n`
      case 'bytes':
      case 'records':
        return `${indent}${w}.${compact ? 'compactBytes' : 'bytes'}(${x})\n`
      default:
        return `${indent}${w}.${field.elem}(${x})\n`
    }
  }

  /** Statements that write the field (which may be null where nullable) from expression `x`. */
  private encodeField(struct: StructModel, field: FieldModel, version: number, x: string, w: string, indent: string): string {
    const compact = field.compact.has(version)
    const nullableNow = field.nullable.has(version)
    const nullInLength = field.isArray || (!field.isStruct && (field.elem === 'string' || field.elem === 'bytes' || field.elem === 'records'))
    let out = ''
    // Without this check a JavaScript caller's null would go out as a null length the receiver cannot accept.
    if (!nullableNow && (this.types.typeNullable(struct, field) || nullInLength)) {
      out += `${indent}if (${x} === null) throw ${this.ctx.use('nullNotAllowed')}(${quote(this.apiName)}, version, ${quote(struct.tsName)}, ${quote(field.prop)})\n`
    }
    // Strings and bytes carry null in their length; arrays need a branch of their own.
    if (nullableNow && field.isArray) {
      out += `${indent}if (${x} === null) {\n${indent}  ${w}.${compact ? 'compactArrayLength' : 'arrayLength'}(null)\n${indent}} else {\n`
      out += this.encodeValue(field, version, compact, x, w, indent + '  ')
      return out + `${indent}}\n`
    }
    return out + this.encodeValue(field, version, compact, x, w, indent)
  }

  private encodeBody(struct: StructModel, version: number): string {
    const locals = new Locals(struct)
    let out = ''
    const tagged: FieldModel[] = []
    for (const field of struct.fields) {
      const access = `value.${field.prop}`
      if (field.tagged.has(version)) {
        tagged.push(field)
      } else if (this.isRegularAt(field, version)) {
        // Not `??`: null is a value of its own in nullable fields, only undefined means "not given".
        const x = this.types.isRequired(struct, field) ? access : `(${access} === undefined ? ${this.types.defaultExpr(field)} : ${access})`
        const inline = this.encodeField(struct, field, version, x, 'w', '  ')
        if (x === access || inline.split(x).length === 2) {
          out += x === access ? inline : inline.replace(`(${x})`, x)
        } else {
          // The value is used more than once: evaluate the default fallback once.
          const local = locals.of(field)
          out += `  const ${local} = ${x.slice(1, -1)}\n`
          out += this.encodeField(struct, field, version, local, 'w', '  ')
        }
      } else if (!field.ignorable.has(version)) {
        out +=
          `  if (${access} !== undefined && !(${this.types.isDefaultExpr(struct, field, access)})) {\n` +
          `    throw ${this.ctx.use('fieldNotInVersion')}(${quote(this.apiName)}, version, ${quote(struct.tsName)}, ${quote(field.prop)}, ${quote(this.types.versions(field.present))})\n` +
          '  }\n'
      }
    }
    if (this.isFlexible(version)) out += this.encodeTagged(struct, version, tagged, locals)
    return out
  }

  private encodeTagged(struct: StructModel, version: number, tagged: FieldModel[], locals: Locals): string {
    if (tagged.length === 0) return '  w.uvarint(0)\n'
    const writeTagged = this.ctx.use('writeTaggedField')
    const sorted = [...tagged].sort((a, b) => (a.tag ?? 0) - (b.tag ?? 0))
    const put = new Map(sorted.map((field) => [field, locals.fresh(`put${locals.of(field).charAt(0).toUpperCase()}${locals.of(field).slice(1)}`)]))
    const taggedCount = 'taggedCount'
    let out = `  let ${taggedCount} = 0\n`
    for (const field of sorted) {
      const local = locals.of(field)
      out += `  const ${local} = value.${field.prop}\n`
      out += `  const ${put.get(field)} = ${local} !== undefined && !(${this.types.isDefaultExpr(struct, field, local)})\n`
      out += `  if (${put.get(field)}) ${taggedCount}++\n`
    }
    out += `  w.uvarint(${taggedCount})\n`
    for (const field of sorted) {
      const local = locals.of(field)
      out += `  if (${put.get(field)} && ${local} !== undefined) {\n`
      out += `    ${writeTagged}(w, ${field.tag ?? 0}, (t) => {\n`
      out += this.encodeField(struct, field, version, local, 't', '      ')
      out += '    })\n  }\n'
    }
    return out
  }

  // -- decode -------------------------------------------------------------------

  /** An expression that reads one value of the field's type from reader `r`. */
  private decodeExpr(field: FieldModel, version: number, r: string): string {
    const compact = field.compact.has(version)
    const nullable = field.nullable.has(version)
    if (field.isArray) {
      const element: FieldModel = { ...field, isArray: false, nullable: new Set() }
      const min = Math.max(1, this.elemMinSize(element, version, compact))
      const count = `${r}.${compact ? 'compactArrayLength' : 'arrayLength'}(${min})`
      const read = field.isStruct ? this.decodeName(this.types.struct(field), version) : `(er) => ${this.decodeExpr(element, version, 'er')}`
      return `${this.ctx.use(nullable ? 'readNullableArray' : 'readArray')}(${r}, ${count}, ${read})`
    }
    if (field.isStruct) {
      const call = `${this.decodeName(this.types.struct(field), version)}(${r})`
      return nullable ? `(${r}.int8() < 0 ? null : ${call})` : call
    }
    switch (field.elem) {
      case 'string':
        if (nullable) return `${r}.${compact ? 'compactString' : 'string'}()`
        return `${this.ctx.use(compact ? 'readCompactStringNotNull' : 'readStringNotNull')}(${r})`
      case 'bytes':
      case 'records':
        if (nullable) return `${r}.${compact ? 'compactBytes' : 'bytes'}()`
        return `${this.ctx.use(compact ? 'readCompactBytesNotNull' : 'readBytesNotNull')}(${r})`
      default:
        return `${r}.${field.elem}()`
    }
  }

  private decodeBody(struct: StructModel, version: number): string {
    const withSegment = this.ctx.use('withSegment')
    const locals = new Locals(struct)
    let out = "  let at = ''\n  try {\n"
    const values: string[] = []
    const tagged: FieldModel[] = []
    const property = (field: FieldModel, expr: string) => (expr === field.prop ? field.prop : `${field.prop}: ${expr}`)
    for (const field of struct.fields) {
      const local = locals.of(field)
      if (field.tagged.has(version)) {
        out += `    let ${local}: ${this.types.fieldType(struct, field)} = ${this.types.defaultExpr(field)}\n`
        tagged.push(field)
        values.push(property(field, local))
      } else if (this.isRegularAt(field, version)) {
        out += `    at = ${quote(field.prop)}\n`
        out += `    const ${local} = ${this.decodeExpr(field, version, 'r')}\n`
        values.push(property(field, local))
      } else {
        values.push(property(field, this.types.defaultExpr(field)))
      }
    }
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
        for (const field of [...tagged].sort((a, b) => (a.tag ?? 0) - (b.tag ?? 0))) {
          out += `        case ${field.tag ?? 0}: {\n`
          out += `          at = ${quote(field.prop)}\n`
          out += `          const t = ${openTagged}(r, size)\n`
          out += `          ${locals.of(field)} = ${this.decodeExpr(field, version, 't')}\n`
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
}
