import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFINITION_SETS, GENERATED_MARK, OUTPUT_DIR, REPO_ROOT, generateProtocolFiles, setDirectory } from '../../../scripts/protocol-generator/index.js'
import { ALL_APIS } from '../../../lib/protocol/messages/index.js'
import { loadSchemas } from './schema-walk.js'

const generated = generateProtocolFiles()

describe('lib/protocol/messages', () => {
  it('is exactly what the generator makes from protocol-spec/', () => {
    const stale: string[] = []
    for (const file of generated) {
      let committed: string | undefined
      try {
        committed = readFileSync(join(REPO_ROOT, file.path), 'utf8')
      } catch {
        committed = undefined
      }
      if (committed !== file.content) stale.push(file.path)
    }
    const expected = new Set(generated.map((f) => f.path))
    const extra = readdirSync(join(REPO_ROOT, OUTPUT_DIR))
      .map((name) => `${OUTPUT_DIR}/${name}`)
      .filter((path) => !expected.has(path))
    expect(stale, `these generated files are out of date: run npm run generate`).toEqual([])
    expect(extra, `these files are not generated any more: run npm run generate and delete them`).toEqual([])
  })

  it('has an API for every api key and a module for every data message of every definition set', () => {
    const schemas = loadSchemas().filter((s) => s.validVersions !== 'none')
    const requestKeys = new Set(schemas.filter((s) => s.type === 'request').map((s) => s.apiKey))
    expect(new Set(ALL_APIS.map((api) => api.apiKey))).toEqual(requestKeys)
    const dataNames = new Set(schemas.filter((s) => s.type === 'header' || s.type === 'data').map((s) => s.name))
    for (const name of dataNames) expect(generated.some((f) => f.path === `${OUTPUT_DIR}/${name}.ts`), name).toBe(true)
  })

  it('names in each file header the definition files it comes from, and they exist', () => {
    for (const file of generated) {
      expect(file.content.startsWith(`${GENERATED_MARK} from protocol-spec/`), file.path).toBe(true)
      for (const [, set, json] of file.content.matchAll(/^\/\/ {3}.*?(kafka-[\d.]+)\/(\w+\.json)/gm)) {
        expect(DEFINITION_SETS).toContain(set)
        expect(readdirSync(setDirectory(set!)), `${file.path} names ${set}/${json}`).toContain(json)
      }
    }
    const produce = generated.find((f) => f.path.endsWith('/Produce.ts'))!.content.split('\n').slice(0, 3).join('\n')
    expect(produce).toContain('v3-13 kafka-4.4/ProduceRequest.json, v0-2 kafka-4.0/ProduceRequest.json')
  })

  it('is marked as generated in .gitattributes', () => {
    const paths = generated.map((f) => f.path)
    const answer = execFileSync('git', ['check-attr', 'linguist-generated', '--', ...paths], { cwd: REPO_ROOT, encoding: 'utf8' })
    const unmarked = answer
      .trim()
      .split('\n')
      .filter((line) => !line.endsWith(': linguist-generated: true'))
    expect(unmarked).toEqual([])
    expect(answer.trim().split('\n')).toHaveLength(paths.length)
  })

  it('is deterministic', () => {
    expect(generateProtocolFiles()).toEqual(generated)
  })
})
