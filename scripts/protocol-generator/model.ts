/**
 * Step 2 of 3: the model. Merges the definitions of one message from every
 * definition set into one field tree that the emitter turns into code:
 *
 * - each version comes from the newest definition that has it; a version that
 *   only an older set has and that set marks unstable is dropped (a preview the
 *   newer set replaced), while the newest set's unstable version is kept and
 *   flagged;
 * - where several sets define a version they must agree on the wire, except
 *   where the older one marks it unstable; names must agree too when the older
 *   set contributes versions, since fields are matched by name;
 * - a field is one node with, per version, whether it is present, nullable,
 *   tagged and compact; the TypeScript types are derived from these sets;
 * - finally every version of the model is checked against its own definition,
 *   field by field, so a merge that reorders or loses anything fails loudly.
 */
import {
  DefinitionError,
  inRange,
  structOf,
  type Definition,
  type FieldDefinition,
  type MessageType,
  type StructDefinition,
} from './parse.js'

export interface FieldModel {
  /** Name as the JSON spells it (`ThrottleTimeMs`). */
  readonly name: string
  /** Property name in TypeScript (`throttleTimeMs`). */
  readonly prop: string
  readonly isArray: boolean
  readonly elem: string
  readonly isStruct: boolean
  struct: StructModel | undefined
  /** Versions in which the field is on the wire (regular or tagged). */
  readonly present: Set<number>
  /** Versions (of `present`) in which it may be null. */
  readonly nullable: Set<number>
  /** Versions (of `present`) in which it sits in the tagged-field section. */
  readonly tagged: Set<number>
  /** Versions (of `present`) in which it uses the compact (flexible) encodings. */
  readonly compact: Set<number>
  /** Versions without the field in which a non-default value is dropped silently (the JSON's `ignorable`). */
  readonly ignorable: Set<number>
  tag: number | undefined
  readonly defaultValue: string | number | boolean | undefined
  readonly about: string
}

export interface StructModel {
  /** Name inside the message (`TopicProduceData`; the message name for the root). */
  readonly specName: string
  /** TypeScript interface name (`ProduceRequestTopicProduceData`; `MetadataResponseBroker` is not prefixed twice). */
  readonly tsName: string
  readonly fields: FieldModel[]
  /** Versions of the message in which this struct appears on the wire. */
  readonly used: Set<number>
  readonly about: string
}

export interface MessageModel {
  /** The newest definition's name (`ProduceRequest`). */
  readonly name: string
  readonly type: MessageType
  readonly apiKey: number | undefined
  /** Every generated version, ascending. */
  readonly versions: readonly number[]
  /** The definition each version is generated from. */
  readonly sourceOf: ReadonlyMap<number, Definition>
  /** Generated versions that are not offered by default (latestVersionUnstable in their definition). */
  readonly unstable: ReadonlySet<number>
  readonly flexible: ReadonlySet<number>
  readonly root: StructModel
  /** The root first, then every struct in the order a depth-first walk meets it. */
  readonly structs: readonly StructModel[]
}

export interface ApiModel {
  /** `Produce` */
  readonly name: string
  readonly apiKey: number
  readonly request: MessageModel
  readonly response: MessageModel
}

export interface ProtocolModel {
  readonly apis: readonly ApiModel[]
  readonly data: readonly MessageModel[]
}

/** Which versions a message gets and where each comes from. */
interface VersionPlan {
  versions: number[]
  setOf: Map<number, string>
  unstable: Set<number>
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1)
}

function where(definition: Definition): string {
  return `${definition.set}/${definition.file}`
}

function isUnstableIn(definition: Definition, version: number): boolean {
  return definition.latestVersionUnstable && version === definition.valid.max
}

/** Versions of `definitions` (oldest set first): each from the newest set that has it. */
function planVersions(definitions: readonly Definition[], unstableIn: (d: Definition, v: number) => boolean): VersionPlan {
  const newestFirst = [...definitions].reverse()
  const all = new Set<number>()
  for (const d of definitions) for (let v = d.valid.min; v <= d.valid.max; v++) all.add(v)
  const plan: VersionPlan = { versions: [], setOf: new Map(), unstable: new Set() }
  for (const v of [...all].sort((a, b) => a - b)) {
    const source = newestFirst.find((d) => inRange(d.valid, v))!
    const unstable = unstableIn(source, v)
    if (unstable && source !== newestFirst[0]) continue
    plan.versions.push(v)
    plan.setOf.set(v, source.set)
    if (unstable) plan.unstable.add(v)
  }
  return plan
}

// -- the wire, as one definition or the model sees it ---------------------------

/** One line per field on the wire at `version`, depth-first: what both sides of a merge must agree on. */
function definitionWire(d: Definition, version: number, withNames: boolean): string[] {
  const lines: string[] = []
  const flexible = inRange(d.flexible, version)
  const walk = (struct: StructDefinition, depth: number): void => {
    for (const f of struct.fields) {
      if (!inRange(f.versions, version)) continue
      const tagged = flexible && inRange(f.taggedVersions, version)
      const compact = f.flexibleVersions === undefined ? flexible : inRange(f.flexibleVersions, version)
      lines.push(wireLine(depth, withNames ? f.name : '', f.isArray, f.isStruct ? 'struct' : f.elem, inRange(f.nullableVersions, version), tagged ? f.tag : undefined, compact, f.defaultValue))
      if (f.isStruct) walk(structOf(d, f), depth + 1)
    }
  }
  walk(d.root, 0)
  return lines
}

function modelWire(root: StructModel, version: number): string[] {
  const lines: string[] = []
  const walk = (struct: StructModel, depth: number): void => {
    for (const f of struct.fields) {
      if (!f.present.has(version)) continue
      lines.push(wireLine(depth, f.name, f.isArray, f.isStruct ? 'struct' : f.elem, f.nullable.has(version), f.tagged.has(version) ? f.tag : undefined, f.compact.has(version), f.defaultValue))
      if (f.struct !== undefined) walk(f.struct, depth + 1)
    }
  }
  walk(root, 0)
  return lines
}

function wireLine(depth: number, name: string, isArray: boolean, elem: string, nullable: boolean, tag: number | undefined, compact: boolean, defaultValue: unknown): string {
  const type = `${isArray ? '[]' : ''}${elem}`
  return `${'  '.repeat(depth)}${name} ${type}${nullable ? ' nullable' : ''}${tag === undefined ? '' : ` tag ${tag}`}${compact ? ' compact' : ''} default ${String(defaultValue)}`
}

function firstDifference(a: string[], b: string[]): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `field ${i + 1}: ${JSON.stringify(a[i]?.trim() ?? '(none)')} vs ${JSON.stringify(b[i]?.trim() ?? '(none)')}`
  }
  return 'no difference'
}

/** Fails when two definitions of one version disagree (see the module comment for the exceptions). */
function checkAgreement(definitions: readonly Definition[], plan: VersionPlan, unstableIn: (d: Definition, v: number) => boolean): void {
  const contributes = (d: Definition) => [...plan.setOf.values()].includes(d.set)
  for (const v of plan.versions) {
    const source = definitions.find((d) => d.set === plan.setOf.get(v))!
    for (const other of definitions) {
      if (other === source || !inRange(other.valid, v) || unstableIn(other, v)) continue
      const withNames = contributes(other)
      const expected = definitionWire(source, v, withNames)
      const actual = definitionWire(other, v, withNames)
      if (expected.join('\n') !== actual.join('\n')) {
        throw new DefinitionError(
          `${where(other)} and ${where(source)} disagree about version ${v}${withNames ? '' : ' on the wire'}: ${firstDifference(actual, expected)}. ` +
            'Both sets define this version, so they must describe the same bytes; check which one is right before merging',
        )
      }
    }
  }
}

// -- building the merged tree -----------------------------------------------------

class MessageBuilder {
  private readonly byName = new Map<string, StructModel>()
  /** Per definition: which struct model each of its structs became. */
  private readonly mapping = new Map<StructDefinition, StructModel>()

  constructor(private readonly messageName: string) {}

  structFor(definition: Definition, struct: StructDefinition, existing: StructModel | undefined): StructModel {
    const mapped = this.mapping.get(struct)
    const model = existing ?? mapped ?? this.byName.get(struct.name) ?? this.newStruct(struct)
    if (mapped !== undefined && mapped !== model) {
      throw new DefinitionError(`${where(definition)}: struct ${struct.name} would merge into both ${mapped.specName} and ${model.specName}`)
    }
    this.mapping.set(struct, model)
    return model
  }

  private newStruct(struct: StructDefinition): StructModel {
    const tsName = struct.name.startsWith(this.messageName) ? struct.name : this.messageName + struct.name
    const model: StructModel = { specName: struct.name, tsName, fields: [], used: new Set(), about: struct.about }
    this.byName.set(struct.name, model)
    return model
  }

  /** Adds what `definition` says about `struct` in `versions` (the versions it is the source of). */
  merge(definition: Definition, struct: StructDefinition, model: StructModel, versions: readonly number[]): void {
    let insertAt = 0
    for (const f of struct.fields) {
      const presentIn = versions.filter((v) => inRange(f.versions, v))
      let field = model.fields.find((x) => x.name === f.name)
      if (field === undefined) {
        if (presentIn.length === 0) continue
        field = newField(f)
        model.fields.splice(insertAt, 0, field)
      } else {
        agreeOnField(definition, model, field, f)
      }
      insertAt = model.fields.indexOf(field) + 1
      const flexible = (v: number) => inRange(definition.flexible, v)
      for (const v of versions) {
        if (inRange(f.versions, v)) {
          field.present.add(v)
          if (inRange(f.nullableVersions, v)) field.nullable.add(v)
          if (flexible(v) && inRange(f.taggedVersions, v)) field.tagged.add(v)
          if (f.flexibleVersions === undefined ? flexible(v) : inRange(f.flexibleVersions, v)) field.compact.add(v)
        } else if (f.ignorable) {
          field.ignorable.add(v)
        }
      }
      if (f.isStruct && presentIn.length > 0) {
        const child = structOf(definition, f)
        field.struct = this.structFor(definition, child, field.struct)
        this.merge(definition, child, field.struct, presentIn)
      }
    }
  }
}

function newField(f: FieldDefinition): FieldModel {
  return {
    name: f.name,
    prop: lowerFirst(f.name),
    isArray: f.isArray,
    elem: f.elem,
    isStruct: f.isStruct,
    struct: undefined,
    present: new Set(),
    nullable: new Set(),
    tagged: new Set(),
    compact: new Set(),
    ignorable: new Set(),
    tag: f.tag,
    defaultValue: f.defaultValue,
    about: f.about,
  }
}

/** A field known to two sets must be one TypeScript property: same type, tag and default. */
function agreeOnField(definition: Definition, struct: StructModel, field: FieldModel, f: FieldDefinition): void {
  const problem =
    field.isArray !== f.isArray || field.isStruct !== f.isStruct || (!f.isStruct && field.elem !== f.elem)
      ? `type ${f.isArray ? '[]' : ''}${f.elem} differs from ${field.isArray ? '[]' : ''}${field.elem}`
      : f.tag !== undefined && field.tag !== undefined && f.tag !== field.tag
        ? `tag ${f.tag} differs from ${field.tag}`
        : String(f.defaultValue) !== String(field.defaultValue)
          ? `default ${String(f.defaultValue)} differs from ${String(field.defaultValue)}`
          : undefined
  if (problem !== undefined) {
    throw new DefinitionError(`${where(definition)}: ${struct.specName}.${f.name}: ${problem} in a newer definition; one property cannot carry both`)
  }
  if (field.tag === undefined) field.tag = f.tag
}

function markUsed(struct: StructModel, version: number): void {
  struct.used.add(version)
  for (const field of struct.fields) if (field.struct !== undefined && field.present.has(version)) markUsed(field.struct, version)
}

function structsInOrder(root: StructModel): StructModel[] {
  const out: StructModel[] = []
  const visit = (struct: StructModel): void => {
    if (out.includes(struct)) return
    out.push(struct)
    for (const field of struct.fields) if (field.struct !== undefined) visit(field.struct)
  }
  visit(root)
  return out
}

/** The merged model of one message; `definitions` are its definitions, oldest set first. */
function buildMessage(definitions: readonly Definition[], plan: VersionPlan, unstableIn: (d: Definition, v: number) => boolean): MessageModel {
  const newest = definitions[definitions.length - 1]!
  checkAgreement(definitions, plan, unstableIn)
  const builder = new MessageBuilder(newest.name)
  const sourceOf = new Map<number, Definition>()
  for (const v of plan.versions) {
    const source = definitions.find((d) => d.set === plan.setOf.get(v))
    if (source === undefined || !inRange(source.valid, v)) {
      throw new DefinitionError(`${newest.name} v${v}: set ${plan.setOf.get(v)} has no definition of this version (its request does)`)
    }
    sourceOf.set(v, source)
  }
  const root = builder.structFor(newest, newest.root, undefined)
  for (const d of [...definitions].reverse()) {
    const versions = plan.versions.filter((v) => sourceOf.get(v) === d)
    if (versions.length > 0) builder.merge(d, d.root, builder.structFor(d, d.root, root), versions)
  }
  for (const v of plan.versions) markUsed(root, v)
  for (const v of plan.versions) {
    const source = sourceOf.get(v)!
    const expected = definitionWire(source, v, true)
    const actual = modelWire(root, v)
    if (expected.join('\n') !== actual.join('\n')) {
      throw new DefinitionError(`${newest.name} v${v}: the merged fields do not match ${where(source)}: ${firstDifference(actual, expected)}`)
    }
  }
  const flexible = new Set(plan.versions.filter((v) => inRange(sourceOf.get(v)!.flexible, v)))
  return {
    name: newest.name,
    type: newest.type,
    apiKey: newest.apiKey,
    versions: plan.versions,
    sourceOf,
    unstable: plan.unstable,
    flexible,
    root,
    structs: structsInOrder(root),
  }
}

function groupBy(definitions: readonly Definition[], key: (d: Definition) => string): Map<string, Definition[]> {
  const groups = new Map<string, Definition[]>()
  for (const d of definitions) {
    const list = groups.get(key(d)) ?? []
    if (list.some((x) => x.set === d.set)) throw new DefinitionError(`${where(d)}: ${key(d)} is defined twice in ${d.set}`)
    list.push(d)
    groups.set(key(d), list)
  }
  return groups
}

/**
 * Builds the model of every message from definition sets listed oldest first.
 *
 * @example
 * ```ts
 * const model = buildModel(DEFINITION_SETS.map((set) => readDefinitionSet(set, setDirectory(set))))
 * ```
 */
export function buildModel(sets: readonly (readonly Definition[])[]): ProtocolModel {
  const all = sets.flat()
  const requests = groupBy(all.filter((d) => d.type === 'request'), (d) => String(d.apiKey))
  const responses = groupBy(all.filter((d) => d.type === 'response'), (d) => String(d.apiKey))
  const others = groupBy(all.filter((d) => d.type === 'header' || d.type === 'data'), (d) => d.name)
  const apis: ApiModel[] = []
  for (const [key, requestDefinitions] of requests) {
    const responseDefinitions = responses.get(key)
    if (responseDefinitions === undefined) throw new DefinitionError(`${where(requestDefinitions[0]!)}: no response with api key ${key}`)
    // Only request files say latestVersionUnstable; a response version is as stable as its request.
    const requestOf = (d: Definition) => requestDefinitions.find((r) => r.set === d.set)
    const unstableIn = (d: Definition, v: number) => {
      const request = d.type === 'request' ? d : requestOf(d)
      return request !== undefined && isUnstableIn(request, v)
    }
    const plan = planVersions(requestDefinitions, unstableIn)
    const request = buildMessage(requestDefinitions, plan, unstableIn)
    const response = buildMessage(responseDefinitions, plan, unstableIn)
    apis.push({ name: request.name.replace(/Request$/, ''), apiKey: Number(key), request, response })
  }
  for (const key of responses.keys()) {
    if (!requests.has(key)) throw new DefinitionError(`${where(responses.get(key)![0]!)}: no request with api key ${key}`)
  }
  const data = [...others.values()].map((definitions) => buildMessage(definitions, planVersions(definitions, isUnstableIn), isUnstableIn))
  apis.sort((a, b) => a.apiKey - b.apiKey)
  data.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return { apis, data }
}

/** `0-2, 5+` for a version set of a message whose highest version is `top`; `none` when empty. */
export function versionsText(versions: ReadonlySet<number>, top: number): string {
  const sorted = [...versions].sort((a, b) => a - b)
  if (sorted.length === 0) return 'none'
  const runs: string[] = []
  let start = sorted[0]!
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]! + 1) continue
    const end = sorted[i - 1]!
    runs.push(end === top ? `${start}+` : end === start ? `${start}` : `${start}-${end}`)
    if (i < sorted.length) start = sorted[i]!
  }
  return runs.join(', ')
}
