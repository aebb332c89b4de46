/**
 * Step 3 of 3, part one: the TypeScript side of a message. Interfaces with
 * TSDoc, which properties are optional or nullable, default values and the
 * default factories of structs. Everything is derived from the merged model's
 * version sets (model.ts), never from one JSON file.
 */
import type { FieldModel, MessageModel, StructModel } from './model.js'
import { versionsText } from './model.js'

/** Per-file bookkeeping: which runtime helpers and primitives the generated code uses, so imports stay minimal. */
export class FileContext {
  readonly runtime = new Set<string>()
  usesZeroUuid = false

  use(helper: string): string {
    this.runtime.add(helper)
    return helper
  }
}

export function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`
}

export function docText(text: string): string {
  return text.replace(/\*\//g, '*\\/').replace(/\s+/g, ' ').trim()
}

/** The TypeScript facts about one message: types, optionality, defaults. Shared by the interface and codec emitters. */
export class MessageTypes {
  /** Structs whose default factory (`defaultX()`) the generated code calls. */
  private readonly defaultFactories = new Set<StructModel>()

  constructor(
    readonly message: MessageModel,
    readonly ctx: FileContext,
  ) {}

  /** The highest version, for `N+` in version texts. */
  get top(): number {
    return this.message.versions[this.message.versions.length - 1] ?? 0
  }

  versions(set: ReadonlySet<number>): string {
    return versionsText(set, this.top)
  }

  struct(field: FieldModel): StructModel {
    if (field.struct === undefined) throw new Error(`${this.message.name}: field ${field.name} has no struct`)
    return field.struct
  }

  /** Whether the field's TypeScript type admits null (nullable in some version of its struct, or null by default). */
  typeNullable(struct: StructModel, field: FieldModel): boolean {
    if (this.defaultIsNull(field)) return true
    for (const v of struct.used) if (field.nullable.has(v)) return true
    return false
  }

  defaultIsNull(field: FieldModel): boolean {
    if (field.defaultValue === 'null') return true
    // Kafka's records fields default to null; keep that only where the field can be null at all.
    return !field.isArray && field.elem === 'records' && field.nullable.size > 0
  }

  /** Present and not tagged in every version its struct appears in: a required property. */
  isRequired(struct: StructModel, field: FieldModel): boolean {
    for (const v of struct.used) {
      if (!field.present.has(v) || field.tagged.has(v)) return false
    }
    return struct.used.size > 0
  }

  private elemType(field: FieldModel): string {
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

  fieldType(struct: StructModel, field: FieldModel): string {
    const base = field.isArray ? `${this.elemType(field)}[]` : this.elemType(field)
    return this.typeNullable(struct, field) ? `${base} | null` : base
  }

  /** The expression of the field's default value. */
  defaultExpr(field: FieldModel): string {
    const d = field.defaultValue
    if (this.defaultIsNull(field)) return 'null'
    if (field.isArray) return '[]'
    if (field.isStruct) {
      const struct = this.struct(field)
      this.defaultFactories.add(struct)
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
        if (!Number.isFinite(n)) throw new Error(`${this.message.name}: bad default ${String(d)} for ${field.name}`)
        return String(n)
      }
    }
  }

  /** An expression that is true when `x` (already known not to be undefined) equals the field's default. */
  isDefaultExpr(struct: StructModel, field: FieldModel, x: string): string {
    const nullable = this.typeNullable(struct, field)
    if (this.defaultIsNull(field)) return `${x} === null`
    if (field.isArray || field.elem === 'bytes' || field.elem === 'records') {
      return nullable ? `(${x} !== null && ${x}.length === 0)` : `${x}.length === 0`
    }
    if (field.isStruct) return `${this.ctx.use('isDeepEqual')}(${x}, ${this.defaultExpr(field)})`
    return `${x} === ${this.defaultExpr(field)}`
  }

  /** Every struct's interface, root first, with the spec's `about` and the field's versions in TSDoc. */
  interfaces(): string {
    let out = ''
    const m = this.message
    for (const struct of m.structs) {
      if (struct.used.size === 0) continue
      const title = struct === m.root ? `${m.name}, versions ${this.versions(new Set(m.versions))}.` : docText(struct.about) || `${struct.specName} of ${m.name}.`
      out += `/** ${title} */\nexport interface ${struct.tsName} {\n`
      for (const field of struct.fields) {
        const notes: string[] = [`versions ${this.versions(field.present)}`]
        if (field.tag !== undefined && field.tagged.size > 0) notes.push(`tag ${field.tag}`)
        if (field.nullable.size > 0) notes.push(`nullable ${this.versions(field.nullable)}`)
        if (field.defaultValue !== undefined) notes.push(`default ${String(field.defaultValue)}`)
        out += `  /** ${docText(field.about)} (${notes.join(', ')}) */\n`
        out += `  ${field.prop}${this.isRequired(struct, field) ? '' : '?'}: ${this.fieldType(struct, field)}\n`
      }
      out += '}\n\n'
    }
    return out
  }

  /** The default factories the code asked for (and those they ask for in turn), sorted by name. */
  defaultFactoriesText(): string {
    const done = new Set<StructModel>()
    const pending = () => [...this.defaultFactories].filter((s) => !done.has(s))
    const texts: string[] = []
    for (let next = pending(); next.length > 0; next = pending()) {
      for (const struct of next) {
        done.add(struct)
        const values = struct.fields.map((field) => `${field.prop}: ${this.defaultExpr(field)}`)
        texts.push(`function default${struct.tsName}(): ${struct.tsName} {\n  return { ${values.join(', ')} }\n}\n`)
      }
    }
    return texts.sort().map((text) => text + '\n').join('')
  }
}
