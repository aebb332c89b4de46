/**
 * The package's entry points as users see them: `rxkafka`, `rxkafka/protocol`,
 * `rxkafka/testing`, `rxkafka/otel` (OpenTelemetry, needing the optional peer `@opentelemetry/api`) and the optional native codecs `rxkafka/codecs/*`. Checks that package.json, tsconfig paths and the
 * vitest aliases agree, that the root entry stays free of the generated
 * message modules, and that every `import { … } from 'rxkafka…'` written in
 * README.md, docs/, the TSDoc examples in lib/ and examples/ names something
 * that entry point really exports (values and types alike).
 */
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Entry point as users spell it -> its source file in this repository. */
const ENTRIES: Record<string, string> = {
  rxkafka: 'lib/index.ts',
  'rxkafka/protocol': 'lib/protocol/index.ts',
  'rxkafka/testing': 'lib/testing/index.ts',
  'rxkafka/otel': 'lib/otel/index.ts',
  'rxkafka/codecs/snappy-native': 'lib/codecs/snappy-native.ts',
  'rxkafka/codecs/lz4-native': 'lib/codecs/lz4-native.ts',
}

function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8')
}

function filesUnder(dir: string, ending: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(ending))
    .map((name) => join(dir, name))
}

/** Every entry point's exported names (values and types), from the TypeScript checker. */
function exportedNames(): Map<string, Set<string>> {
  const files = Object.values(ENTRIES).map((file) => join(ROOT, file))
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: ['node'],
    noEmit: true,
    skipLibCheck: true,
  })
  const checker = program.getTypeChecker()
  const result = new Map<string, Set<string>>()
  for (const [entry, file] of Object.entries(ENTRIES)) {
    const source = program.getSourceFile(join(ROOT, file))
    const symbol = source === undefined ? undefined : checker.getSymbolAtLocation(source)
    if (symbol === undefined) throw new Error(`${file} is not a module the checker can read`)
    result.set(entry, new Set(checker.getExportsOfModule(symbol).map((s) => s.name)))
  }
  return result
}

interface DocImport {
  where: string
  entry: string
  names: string[]
}

const IMPORT = /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'(rxkafka(?:\/[a-z]+)?)'/g

/** `import { a, type B, c as d } from 'rxkafka…'` statements in docs, TSDoc and examples. */
function docImports(): DocImport[] {
  const sources = [
    'README.md',
    ...filesUnder('docs', '.md'),
    ...filesUnder('lib', '.ts').filter((f) => !f.startsWith('lib/protocol/messages/')),
    ...filesUnder('examples', '.ts'),
  ]
  const found: DocImport[] = []
  for (const file of sources) {
    const text = read(file).replace(/^\s*\* ?/gm, '')
    for (const match of text.matchAll(IMPORT)) {
      const line = text.slice(0, match.index).split('\n').length
      const names = match[1]!
        .split(',')
        .map((part) => part.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!.trim())
        .filter((name) => name.length > 0)
      found.push({ where: `${file}:${line}`, entry: match[2]!, names })
    }
  }
  return found
}

describe('package entry points', () => {
  it('package.json, tsconfig paths and vitest aliases name the same entry points', () => {
    const pkg = JSON.parse(read('package.json')) as { exports: Record<string, { types: string; import: string }> }
    const fromPackage = Object.entries(pkg.exports).map(([key, target]) => {
      const entry = key === '.' ? 'rxkafka' : `rxkafka/${key.slice(2)}`
      const built = ENTRIES[entry]?.replace(/^lib\//, './dist/').replace(/\.ts$/, '')
      expect(target, `package.json exports ${key}`).toEqual({ types: `${built}.d.ts`, import: `${built}.js` })
      return entry
    })
    expect(fromPackage.sort()).toEqual(Object.keys(ENTRIES).sort())

    const tsconfig = JSON.parse(read('tsconfig.json')) as { compilerOptions: { paths: Record<string, string[]> } }
    expect(tsconfig.compilerOptions.paths).toEqual(Object.fromEntries(Object.entries(ENTRIES).map(([entry, file]) => [entry, [`./${file}`]])))

    const vitestConfig = read('vitest.config.ts')
    for (const [entry, file] of Object.entries(ENTRIES)) {
      const pattern = `/^${entry.replaceAll('/', '\\/')}$/, replacement: lib('${file.slice('lib/'.length)}')`
      expect(vitestConfig, `vitest alias for ${entry}`).toContain(pattern)
    }
  })

  it('the root entry does not pull in the generated message index', () => {
    const seen = new Set<string>()
    const visit = (file: string): void => {
      if (seen.has(file)) return
      seen.add(file)
      for (const match of read(file).matchAll(/^(?:import|export)(?!\s+type\b)[^'";]*?from\s*'(\.[^']+)'/gm)) {
        visit(relative(ROOT, resolve(ROOT, dirname(file), match[1]!.replace(/\.js$/, '.ts'))))
      }
    }
    visit(ENTRIES.rxkafka!)
    expect(seen.has('lib/protocol/messages/index.ts')).toBe(false)
    expect(seen.has('lib/protocol/index.ts')).toBe(false)
    // The root still works: the client's own message modules are part of it.
    expect(seen.has('lib/protocol/messages/Produce.ts')).toBe(true)
  })

  it('only rxkafka/otel loads @opentelemetry/api (an optional peer dependency)', () => {
    const loads = (entry: string): { files: Set<string>; otel: boolean } => {
      const files = new Set<string>()
      let otel = false
      const visit = (file: string): void => {
        if (files.has(file)) return
        files.add(file)
        for (const match of read(file).matchAll(/^(?:import|export)(?!\s+type\b)[^'";]*?from\s*'([^']+)'/gm)) {
          const target = match[1]!
          if (target.startsWith('@opentelemetry/')) otel = true
          else if (target.startsWith('.')) visit(relative(ROOT, resolve(ROOT, dirname(file), target.replace(/\.js$/, '.ts'))))
        }
      }
      visit(entry)
      return { files, otel }
    }
    for (const [entry, file] of Object.entries(ENTRIES)) {
      expect(loads(file).otel, entry).toBe(entry === 'rxkafka/otel')
    }
    expect(loads(ENTRIES.rxkafka!).files.has('lib/otel/index.ts')).toBe(false)
  })

  it('every import from rxkafka in README, docs, TSDoc and examples names a real export', { timeout: 120_000 }, () => {
    const exports = exportedNames()
    const imports = docImports()
    expect(imports.length).toBeGreaterThan(20)
    const wrong: string[] = []
    for (const { where, entry, names } of imports) {
      const available = exports.get(entry)
      if (available === undefined) {
        wrong.push(`${where}: no entry point ${entry}`)
        continue
      }
      for (const name of names) if (!available.has(name)) wrong.push(`${where}: ${entry} does not export ${name}`)
    }
    expect(wrong).toEqual([])
  })
})
