/**
 * The built-in codecs as they were at a git revision, for before/after
 * comparisons in one process: `lib/` at REV is extracted into
 * bench/.baseline/REV (git-ignored) and imported from there, beside today's.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Path of `lib/protocol/compression/index.ts` at `revision` (extracted on first use). */
export function baselineCompressionModule(revision: string): string {
  const dir = join(ROOT, 'bench', '.baseline', revision.replace(/[^\w.-]/g, '_'))
  if (!existsSync(join(dir, 'lib'))) {
    mkdirSync(dir, { recursive: true })
    const tar = execFileSync('git', ['archive', revision, 'lib'], { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 })
    execFileSync('tar', ['-x', '-C', dir], { input: tar })
  }
  return join(dir, 'lib', 'protocol', 'compression', 'index.ts')
}

/** Path of today's `lib/protocol/compression/index.ts`. */
export const CURRENT_COMPRESSION_MODULE = join(ROOT, 'lib', 'protocol', 'compression', 'index.ts')
