/**
 * Step 3 of 3, part three: whole files. One module per API (request and
 * response together), one per header or data message, and the index. Each
 * file's first line says it is generated and from which definitions.
 */
import type { Definition } from './parse.js'
import type { ApiModel, MessageModel } from './model.js'
import { versionsText } from './model.js'
import { MessageCodec, type CodecNames } from './emit-codec.js'
import { FileContext, MessageTypes, quote } from './emit-types.js'
import { GENERATED_MARK, OUTPUT_DIR } from './sets.js'

/** One generated file: a path relative to the repository root and its full text. */
export interface GeneratedFile {
  path: string
  content: string
}

/** `ProduceRequest v3-13 from kafka-4.4, v0-2 from kafka-4.0` */
function sourcesText(message: MessageModel): string {
  const bySet = new Map<Definition, number[]>()
  for (const v of message.versions) {
    const source = message.sourceOf.get(v)!
    bySet.set(source, [...(bySet.get(source) ?? []), v])
  }
  const parts = [...bySet].sort((a, b) => b[1][0]! - a[1][0]!).map(([d, versions]) => `v${versionsText(new Set(versions), -1)} ${d.set}/${d.file}`)
  return parts.join(', ')
}

function header(messages: MessageModel[]): string {
  let out = `${GENERATED_MARK} from protocol-spec/, do not edit:\n`
  for (const m of messages) out += `//   ${sourcesText(m)}\n`
  return out
}

/** Lowest and highest stable version; unstable versions must sit next to that range (chooseVersion relies on it). */
function stableRange(message: MessageModel): { min: number; max: number; unstable: number[] } {
  const all = message.versions
  if (all[all.length - 1]! - all[0]! + 1 !== all.length) throw new Error(`${message.name}: the versions ${all.join(',')} have a gap`)
  const stable = message.versions.filter((v) => !message.unstable.has(v))
  if (stable.length === 0) throw new Error(`${message.name}: every version is unstable; nothing to offer`)
  const min = stable[0]!
  const max = stable[stable.length - 1]!
  if (max - min + 1 !== stable.length) throw new Error(`${message.name}: the stable versions ${stable.join(',')} have a gap`)
  const unstable = [...message.unstable].sort((a, b) => a - b)
  if (unstable.some((v) => v >= min && v <= max)) throw new Error(`${message.name}: unstable versions inside the stable range`)
  return { min, max, unstable }
}

function versionSwitch(names: Map<number, string>, call: (name: string) => string, indent: string, fallback: string): string {
  const groups = new Map<string, number[]>()
  for (const [v, name] of [...names].sort((a, b) => a[0] - b[0])) groups.set(name, [...(groups.get(name) ?? []), v])
  let out = `${indent}switch (version) {\n`
  for (const [name, versions] of groups) {
    for (const v of versions) out += `${indent}  case ${v}:\n`
    out += `${indent}    ${call(name)}\n`
  }
  return out + `${indent}  default:\n${indent}    ${fallback}\n${indent}}\n`
}

function importsText(ctx: FileContext, definition: 'ApiDefinition' | 'DataDefinition'): string {
  let out = `import type { ${definition} } from '../api.js'\n`
  out += "import type { Reader, Writer } from '../primitives.js'\n"
  if (ctx.usesZeroUuid) out += "import { ZERO_UUID } from '../primitives.js'\n"
  const helpers = [...ctx.runtime].sort()
  if (helpers.length > 0) out += `import { ${helpers.join(', ')} } from '../message-runtime.js'\n`
  return out
}

/** The encode/decode method pair of a definition object, dispatching on the version. */
function methods(kind: { encode: string; decode: string; arg: string; what: string }, names: CodecNames, apiName: string, ctx: FileContext, range: string): string {
  const unsupported = `throw ${ctx.use('unsupportedVersion')}(${quote(apiName)}, ${quote(kind.what)}, version, ${range})`
  let out = `  ${kind.encode}(writer, version, ${kind.arg}) {\n    try {\n`
  out += versionSwitch(names.encode, (name) => `return ${name}(writer, ${kind.arg}, version)`, '      ', unsupported)
  out += `    } catch (error) {\n      throw ${ctx.use('encodeFailure')}(error, ${quote(apiName)}, ${quote(kind.what)}, version)\n    }\n  },\n`
  out += `  ${kind.decode}(reader, version) {\n    try {\n`
  out += versionSwitch(names.decode, (name) => `return ${name}(reader)`, '      ', unsupported)
  out += `    } catch (error) {\n      throw ${ctx.use('decodeFailure')}(error, ${quote(apiName)}, ${quote(kind.what)}, version)\n    }\n  },\n`
  return out
}

function rangeArgs(range: { min: number; max: number; unstable: number[] }): string {
  return range.unstable.length === 0 ? `${range.min}, ${range.max}` : `${range.min}, ${range.max}, [${range.unstable.join(', ')}]`
}

function firstFlexible(message: MessageModel): number | null {
  return message.versions.find((v) => message.flexible.has(v)) ?? null
}

/** The module of one API: interfaces, functions and the `<Api>Api` definition object. */
export function apiFile(api: ApiModel): GeneratedFile {
  const { request, response, name: apiName, apiKey } = api
  const ctx = new FileContext()
  const requestTypes = new MessageTypes(request, ctx)
  const responseTypes = new MessageTypes(response, ctx)
  const requestCodec = new MessageCodec(requestTypes, apiName)
  const responseCodec = new MessageCodec(responseTypes, apiName)
  const req = requestCodec.generate()
  const res = responseCodec.generate()
  const range = stableRange(request)
  const flexMin = firstFlexible(request)
  const responseFlexMin = firstFlexible(response)
  const flexibleFromHere = (from: number | null, classic: string) => (from === null ? classic : `version >= ${from} ? ${Number(classic) + 1} : ${classic}`)
  // ControlledShutdown v0 predates the client id: its request uses header v0.
  const requestHeader = apiKey === 7 ? `version === 0 ? 0 : ${flexibleFromHere(flexMin, '1')}` : flexibleFromHere(flexMin, '1')
  // ApiVersions responses always use header v0 so a client can read them whatever version it asked for.
  const responseHeader = apiKey === 18 ? '0' : flexibleFromHere(responseFlexMin, '0')

  let body = requestTypes.interfaces() + responseTypes.interfaces() + requestCodec.functionsText() + responseCodec.functionsText()
  const apiConst = `${apiName}Api`
  const unstableNote = range.unstable.length === 0 ? '' : ` (unstable, not negotiated by default: ${range.unstable.join(', ')})`
  body += `/**\n * The ${apiName} API (key ${apiKey}), versions ${range.min}-${range.max}${unstableNote}.\n *\n * @example\n * \`\`\`ts\n`
  body += ` * const writer = new Writer()\n * ${apiConst}.encodeRequest(writer, ${range.max}, request)\n`
  body += ` * const response = ${apiConst}.decodeResponse(new Reader(responseBytes), ${range.max})\n * \`\`\`\n */\n`
  body += `export const ${apiConst}: ApiDefinition<${request.name}, ${response.name}> = {\n`
  body += `  apiKey: ${apiKey},\n  name: ${quote(apiName)},\n  minVersion: ${range.min},\n  maxVersion: ${range.max},\n`
  body += `  unstableVersions: [${range.unstable.join(', ')}],\n`
  body += `  flexibleMinVersion: ${flexMin === null ? 'null' : flexMin},\n`
  body += `  requestHeaderVersion(${requestHeader.includes('version') ? 'version' : ''}) {\n    return ${requestHeader}\n  },\n`
  body += `  responseHeaderVersion(${responseHeader.includes('version') ? 'version' : ''}) {\n    return ${responseHeader}\n  },\n`
  body += methods({ encode: 'encodeRequest', decode: 'decodeRequest', arg: 'request', what: 'request' }, req, apiName, ctx, rangeArgs(range))
  body += methods({ encode: 'encodeResponse', decode: 'decodeResponse', arg: 'response', what: 'response' }, res, apiName, ctx, rangeArgs(range))
  body += '}\n'

  const content = header([request, response]) + importsText(ctx, 'ApiDefinition') + '\n' + body
  return { path: `${OUTPUT_DIR}/${apiName}.ts`, content: content.replace(/\n+$/, '\n') }
}

/** The module of one header or data message, with its `<Name>Data` definition object. */
export function dataFile(message: MessageModel): GeneratedFile {
  const ctx = new FileContext()
  const types = new MessageTypes(message, ctx)
  const codec = new MessageCodec(types, message.name)
  const names = codec.generate()
  const range = stableRange(message)
  const constName = `${message.name}Data`
  let body = types.interfaces() + codec.functionsText()
  body += `/**\n * ${message.name} (a ${message.type} structure, not an API), versions ${range.min}-${range.max}.\n *\n`
  body += ` * @example\n * \`\`\`ts\n * const value = ${constName}.decode(new Reader(bytes), ${range.max})\n * \`\`\`\n */\n`
  body += `export const ${constName}: DataDefinition<${message.name}> = {\n`
  body += `  name: ${quote(message.name)},\n  minVersion: ${range.min},\n  maxVersion: ${range.max},\n`
  body += methods({ encode: 'encode', decode: 'decode', arg: 'value', what: 'value' }, names, message.name, ctx, rangeArgs(range))
  body += '}\n'
  const content = header([message]) + importsText(ctx, 'DataDefinition') + '\n' + body
  return { path: `${OUTPUT_DIR}/${message.name}.ts`, content: content.replace(/\n+$/, '\n') }
}

/** index.ts: every module re-exported, plus ALL_APIS and API_BY_KEY. */
export function indexFile(apis: readonly ApiModel[], data: readonly MessageModel[]): GeneratedFile {
  let out = `${GENERATED_MARK} from protocol-spec/, do not edit: the index of every generated module\n`
  out += "import type { ApiDefinition } from '../api.js'\n"
  for (const { name } of apis) out += `import { ${name}Api } from './${name}.js'\n`
  out += '\n'
  for (const name of [...apis.map((a) => a.name), ...data.map((d) => d.name)].sort()) out += `export * from './${name}.js'\n`
  out += '\n/** Every API this client can encode and decode, in api-key order. */\n'
  out += 'export const ALL_APIS = [\n'
  for (const { name } of apis) out += `  ${name}Api,\n`
  out += '] as const\n\n'
  out += '/** Any one of the generated API definitions. */\nexport type AnyApi = (typeof ALL_APIS)[number]\n\n'
  out += '/**\n * API definitions by api key, for code that only has the number (such as a broker\n * decoding a request header).\n *\n'
  out += ' * @example\n * ```ts\n * const api = API_BY_KEY.get(header.requestApiKey)\n * ```\n */\n'
  out += 'export const API_BY_KEY: ReadonlyMap<number, ApiDefinition<unknown, unknown>> = new Map<number, ApiDefinition<unknown, unknown>>(\n'
  out += '  ALL_APIS.map((api) => [api.apiKey, api as ApiDefinition<unknown, unknown>]),\n)\n'
  return { path: `${OUTPUT_DIR}/index.ts`, content: out }
}
