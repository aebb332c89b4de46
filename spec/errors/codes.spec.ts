/**
 * The closed list of error codes stays true: every code of CLIENT_ERROR_CODES
 * is raised somewhere in lib/ and documented in docs/error-codes.md, and every
 * error class of lib/ lives in lib/errors/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CLIENT_ERROR_CODES, ConnectionError, RxKafkaError, UnknownTopicError, brokerError } from '../../lib/errors/index.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'messages' ? [] : sources(path)
    return name.endsWith('.ts') ? [path] : []
  })
}

describe('error codes', () => {
  const lib = sources(join(ROOT, 'lib'))
  const code = (path: string): string => readFileSync(path, 'utf8')

  it('every client code is raised in lib/ and has a row in docs/error-codes.md', () => {
    const raising = lib.filter((p) => !p.endsWith(join('errors', 'codes.ts'))).map(code).join('\n')
    const docs = readFileSync(join(ROOT, 'docs', 'error-codes.md'), 'utf8')
    const unused = Object.keys(CLIENT_ERROR_CODES).filter((c) => !raising.includes(`'${c}'`))
    const undocumented = Object.keys(CLIENT_ERROR_CODES).filter((c) => !docs.includes(`| \`${c}\` |`))
    expect(unused).toEqual([])
    expect(undocumented).toEqual([])
  })

  it('every error class is declared in lib/errors/', () => {
    const elsewhere = lib
      .filter((p) => !relative(join(ROOT, 'lib'), p).startsWith('errors'))
      .filter((p) => /class \w+ extends (RxKafkaError|\w+Error)\b/.test(code(p)))
      .map((p) => relative(ROOT, p))
    expect(elsewhere).toEqual([])
  })

  it('codes are what the classes carry: a client code, or the broker error name', () => {
    expect(new ConnectionError('x').code).toBe('CONNECTION')
    expect(new UnknownTopicError('t', 10, 3).code).toBe('UNKNOWN_TOPIC')
    expect(brokerError(6).code).toBe('NOT_LEADER_OR_FOLLOWER')
    expect(brokerError(9_999).code).toBe('UNKNOWN_ERROR_CODE')
    expect(new RxKafkaError('CLOSED', 'closed')).toBeInstanceOf(Error)
  })
})
