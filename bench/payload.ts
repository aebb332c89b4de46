/**
 * The values every client sends: the same bytes for rxkafka, KafkaJS,
 * node-rdkafka and kcat, so no client gets easier data. Values look like
 * small JSON events (field names repeat, numbers vary), which compresses about
 * as well as real event streams do, unlike all-zero or random bytes.
 */
import { writeFileSync } from 'node:fs'

/** How many distinct values cycle through a run. */
export const DISTINCT_VALUES = 512

const WORDS = ['checkout', 'catalog', 'search', 'cart', 'login', 'profile', 'billing', 'shipping', 'review', 'wishlist', 'coupon', 'refund']

/** Seeded so that every process builds byte-identical values. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * `DISTINCT_VALUES` values of exactly `size` bytes, printable ASCII with no
 * newline (kcat reads them one per line).
 */
export function benchValues(size: number): Buffer[] {
  const random = seededRandom(size * 7919 + 17)
  const pick = (): string => WORDS[Math.floor(random() * WORDS.length)] as string
  const values: Buffer[] = []
  for (let i = 0; i < DISTINCT_VALUES; i++) {
    let text = `{"id":${Math.floor(random() * 1e9)},"user":"u${Math.floor(random() * 1e5)}","page":"/${pick()}/${pick()}","ms":${Math.floor(random() * 5000)},"tags":[`
    while (text.length < size) text += `"${pick()}-${Math.floor(random() * 100)}",`
    const body = text.slice(0, size - 2) + ']}'
    values.push(Buffer.from(body.slice(0, size), 'latin1'))
  }
  return values
}

/**
 * Writes `count` values, one per line, for `kcat -P -l`; with `key`, each line
 * is `key:value` (for `kcat -K :`).
 */
export function writeValueFile(path: string, size: number, count: number, offset = 0, key?: (i: number) => string): void {
  const values = benchValues(size)
  const chunks: Buffer[] = []
  let lines = Buffer.alloc(0)
  if (key === undefined) {
    lines = Buffer.alloc(count * (size + 1))
    for (let i = 0; i < count; i++) {
      const at = i * (size + 1)
      ;(values[(i + offset) % values.length] as Buffer).copy(lines, at)
      lines[at + size] = 0x0a
    }
  } else {
    for (let i = 0; i < count; i++) chunks.push(Buffer.from(`${key(i)}:`), values[(i + offset) % values.length] as Buffer, NEWLINE)
    lines = Buffer.concat(chunks)
  }
  writeFileSync(path, lines)
}

const NEWLINE = Buffer.from('\n')
