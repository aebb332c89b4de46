// @ts-check
/**
 * The API reference (`npm run docs`, written to docs/api/): every entry point
 * of package.json's exports (rxkafka, rxkafka/protocol, rxkafka/testing, rxkafka/otel,
 * rxkafka/codecs/*). Every warning is an error, so `npm test` (which runs
 * `npm run docs`) fails on a broken {@link}, a public export without TSDoc, or
 * a public type that references one that is not exported.
 */
import { readFileSync } from 'node:fs'

// ErrorCode's members are Kafka's own names for its error codes; what each one means
// and what to do is in ERROR_CODES / errorCodeInfo() and docs/error-codes.md, not
// repeated as 135 comments on the constant.
const errorCodeNames = [...readFileSync(new URL('./lib/protocol/error-codes.ts', import.meta.url), 'utf8')
  .slice(0, 8000)
  .matchAll(/^ {2}([A-Z][A-Z0-9_]*): -?\d+,$/gm)].map((m) => m[1])
if (errorCodeNames.length < 100) throw new Error(`found only ${errorCodeNames.length} ErrorCode names in lib/protocol/error-codes.ts`)

// CLIENT_ERROR_CODES maps each of rxkafka's own codes to a string that says what it means,
// which the reference shows as the property's value; a comment on each would say it twice.
const clientCodeSource = readFileSync(new URL('./lib/errors/codes.ts', import.meta.url), 'utf8')
const clientCodeBody = clientCodeSource.slice(clientCodeSource.indexOf('export const CLIENT_ERROR_CODES = {'), clientCodeSource.indexOf('} as const'))
const clientCodeNames = [...clientCodeBody.matchAll(/^ {2}([A-Z][A-Z0-9_]*): /gm)].map((m) => m[1])
if (clientCodeNames.length < 30) throw new Error(`found only ${clientCodeNames.length} CLIENT_ERROR_CODES names in lib/errors/codes.ts`)

/** @type {Partial<import('typedoc').TypeDocOptions>} */
const config = {
  entryPoints: ['lib/index.ts', 'lib/protocol/index.ts', 'lib/testing/index.ts', 'lib/otel/index.ts', 'lib/codecs/snappy-native.ts', 'lib/codecs/lz4-native.ts'],
  tsconfig: 'tsconfig.build.json',
  out: 'docs/api',
  name: 'rxkafka',
  readme: 'none',
  excludePrivate: true,
  excludeProtected: true,
  excludeInternal: true,
  // Members inherited from RxJS (Observable.pipe, forEach, ...) are documented by RxJS.
  excludeExternals: true,
  validation: { notExported: true, invalidLink: true, rewrittenLink: true, notDocumented: true, unusedMergeModuleWith: true },
  treatWarningsAsErrors: true,
  // The reference is built locally from the checkout (docs/api/ is not committed), so its "Defined in" lines
  // would link to a git remote that a clone may not have (a checkout without `origin` made TypeDoc warn, which
  // fails npm test); the sources are beside it anyway.
  disableSources: true,
  intentionallyNotDocumented: [
    ...errorCodeNames.map((name) => `rxkafka/protocol.ErrorCode.__type.${name}`),
    ...clientCodeNames.map((name) => `rxkafka.CLIENT_ERROR_CODES.__type.${name}`),
  ],
}
export default config
