/** Deterministic inputs for codec specs: pseudo-random bytes and compressible text. */

/** `length` pseudo-random bytes from `seed` (the same on every run and machine). */
export function seededBytes(seed: number, length: number): Buffer {
  let state = seed >>> 0
  const out = Buffer.alloc(length)
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    out[i] = (t ^ (t >>> 14)) & 0xff
  }
  return out
}

/** `count` lines of text, each a little different: compresses as real text does. */
export function textOfLines(count: number): Buffer {
  let text = ''
  for (let n = 0; n < count; n++) text += `line ${n}: the quick brown fox jumps over the lazy dog ${(n * n) % 9973}\n`
  return Buffer.from(text)
}
