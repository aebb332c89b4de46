import { describe, expect, it } from 'vitest'
import { backoffDelay, DEFAULT_BACKOFF } from '../../lib/kit/backoff.js'
import { OperatorOptionError } from '../../lib/errors/index.js'

describe('backoffDelay (pure)', () => {
  const exact = { initialMs: 100, factor: 2, maxMs: 10_000, jitter: 0 }

  it('grows by factor per attempt from initialMs', () => {
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, exact))).toEqual([100, 200, 400, 800, 1600])
    expect([0, 1, 2].map((n) => backoffDelay(n, { ...exact, factor: 3 }))).toEqual([100, 300, 900])
    expect(backoffDelay(5, { ...exact, factor: 1 })).toBe(100)
  })

  it('caps at maxMs, also when factor ** attempt overflows', () => {
    expect(backoffDelay(6, exact)).toBe(6400)
    expect(backoffDelay(7, exact)).toBe(10_000)
    expect(backoffDelay(5000, exact)).toBe(10_000)
    expect(backoffDelay(0, { ...exact, initialMs: 50_000 })).toBe(10_000)
  })

  it('jitter shortens the delay by up to the given fraction, never lengthens it', () => {
    const full = { ...exact, jitter: 1 }
    expect(backoffDelay(2, full, () => 0)).toBe(400)
    expect(backoffDelay(2, full, () => 0.5)).toBe(200)
    expect(backoffDelay(2, full, () => 0.999)).toBe(0)
    const equal = { ...exact, jitter: 0.5 }
    expect(backoffDelay(2, equal, () => 0.5)).toBe(300)
    expect(backoffDelay(2, equal, () => 0.999)).toBe(200)
    // at the cap the jitter still applies below maxMs.
    expect(backoffDelay(30, { ...exact, jitter: 0.2 }, () => 0.5)).toBe(9_000)
  })

  it('with Math.random stays inside [d * (1 - jitter), d]', () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const d = backoffDelay(attempt, exact)
      const jittered = backoffDelay(attempt, { ...exact, jitter: 0.2 })
      expect(jittered).toBeGreaterThanOrEqual(Math.round(d * 0.8) - 1)
      expect(jittered).toBeLessThanOrEqual(d)
    }
  })

  it('uses the documented defaults', () => {
    expect(DEFAULT_BACKOFF).toEqual({ initialMs: 100, maxMs: 10_000, factor: 2, jitter: 0.2 })
    expect(backoffDelay(0, {}, () => 0)).toBe(100)
    expect(backoffDelay(0, {}, () => 0.5)).toBe(90)
    expect(backoffDelay(20, {}, () => 0)).toBe(10_000)
  })

  it('does not call random when there is no jitter', () => {
    let calls = 0
    backoffDelay(3, exact, () => { calls++; return 0.5 })
    expect(calls).toBe(0)
  })

  it('rejects a bad attempt, bad options and a random outside [0, 1]', () => {
    expect(() => backoffDelay(-1, exact)).toThrow(OperatorOptionError)
    expect(() => backoffDelay(1.5, exact)).toThrow(/attempt/)
    expect(() => backoffDelay(0, { jitter: -0.1 })).toThrow(/jitter/)
    expect(() => backoffDelay(0, { jitter: 2 })).toThrow(/jitter/)
    expect(() => backoffDelay(0, { factor: Number.NaN })).toThrow(/factor/)
    expect(() => backoffDelay(0, { jitter: 0.5 }, () => 2)).toThrow(/random/)
    expect(() => backoffDelay(0, { jitter: 0.5 }, () => Number.NaN)).toThrow(/random/)
    try {
      backoffDelay(0, { initialMs: -5 })
      expect.unreachable('a negative initialMs must throw')
    } catch (e) {
      expect(e).toBeInstanceOf(OperatorOptionError)
      const err = e as OperatorOptionError
      expect(err.option).toBe('initialMs')
      expect(err.code).toBe('INVALID_OPERATOR_OPTION')
      expect(err.hint).toMatch(/at least 0/)
    }
  })
})
