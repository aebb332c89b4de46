import { describe, expect, it } from 'vitest'
import { CircuitBreakerState, DEFAULT_CIRCUIT_BREAKER } from '../../lib/operators/circuitBreaker.js'
import type { CircuitState } from '../../lib/operators/circuitBreaker.js'
import { OperatorOptionError } from '../../lib/errors/index.js'

function failTimes(breaker: CircuitBreakerState, times: number, now: number): void {
  for (let i = 0; i < times; i++) {
    expect(breaker.canPass(now)).toBe(true)
    breaker.onFailure(now)
  }
}

describe('CircuitBreakerState (pure)', () => {
  it('starts closed with the documented defaults', () => {
    const breaker = new CircuitBreakerState()
    expect(breaker.state).toBe('closed')
    expect(DEFAULT_CIRCUIT_BREAKER).toEqual({ failureThreshold: 5, resetAfterMs: 10_000, halfOpenMax: 1 })
    failTimes(breaker, 4, 0)
    expect(breaker.state).toBe('closed')
    failTimes(breaker, 1, 0)
    expect(breaker.state).toBe('open')
    expect(breaker.halfOpensAt).toBe(10_000)
  })

  it('opens at failureThreshold failures in a row; a success in between starts the count again', () => {
    const breaker = new CircuitBreakerState({ failureThreshold: 3, resetAfterMs: 100 })
    failTimes(breaker, 2, 0)
    breaker.canPass(1)
    breaker.onSuccess(1)
    expect(breaker.consecutiveFailures).toBe(0)
    failTimes(breaker, 2, 2)
    expect(breaker.state).toBe('closed')
    failTimes(breaker, 1, 3)
    expect(breaker.state).toBe('open')
    expect(breaker.halfOpensAt).toBe(103)
  })

  it('refuses until exactly resetAfterMs after opening, then half-opens', () => {
    const breaker = new CircuitBreakerState({ failureThreshold: 1, resetAfterMs: 100 })
    failTimes(breaker, 1, 50)
    expect(breaker.canPass(50)).toBe(false)
    expect(breaker.canPass(149)).toBe(false)
    expect(breaker.state).toBe('open')
    expect(breaker.advance(150)).toBe('half-open')
    expect(breaker.halfOpensAt).toBeUndefined()
    expect(breaker.canPass(150)).toBe(true)
  })

  it('lets halfOpenMax probes through; a cancelled probe frees its slot', () => {
    const breaker = new CircuitBreakerState({ failureThreshold: 1, resetAfterMs: 10, halfOpenMax: 2 })
    failTimes(breaker, 1, 0)
    expect(breaker.canPass(10)).toBe(true)
    expect(breaker.canPass(10)).toBe(true)
    expect(breaker.canPass(11)).toBe(false)
    expect(breaker.probesInFlight).toBe(2)
    breaker.onAbandon(12)
    expect(breaker.probesInFlight).toBe(1)
    expect(breaker.canPass(12)).toBe(true)
    expect(breaker.canPass(12)).toBe(false)
  })

  it('a probe success closes it; a probe failure re-opens it from the time of the failure', () => {
    const breaker = new CircuitBreakerState({ failureThreshold: 2, resetAfterMs: 10 })
    failTimes(breaker, 2, 0)
    expect(breaker.canPass(10)).toBe(true)
    breaker.onFailure(15)
    expect(breaker.state).toBe('open')
    expect(breaker.halfOpensAt).toBe(25)
    expect(breaker.canPass(24)).toBe(false)
    expect(breaker.canPass(25)).toBe(true)
    breaker.onSuccess(26)
    expect(breaker.state).toBe('closed')
    expect(breaker.consecutiveFailures).toBe(0)
    expect(breaker.probesInFlight).toBe(0)
    // closed again: the full threshold applies.
    failTimes(breaker, 1, 27)
    expect(breaker.state).toBe('closed')
  })

  it('ignores results that arrive while open', () => {
    const breaker = new CircuitBreakerState({ failureThreshold: 1, resetAfterMs: 10 })
    expect(breaker.canPass(0)).toBe(true)
    expect(breaker.canPass(0)).toBe(true)
    breaker.onFailure(1)
    breaker.onSuccess(2)
    expect(breaker.state).toBe('open')
    breaker.onFailure(5)
    expect(breaker.halfOpensAt).toBe(11)
  })

  it('reports each transition with from, to and time', () => {
    const seen: Array<[CircuitState, CircuitState, number]> = []
    const breaker = new CircuitBreakerState({ failureThreshold: 1, resetAfterMs: 10, onTransition: (to, from, now) => seen.push([to, from, now]) })
    failTimes(breaker, 1, 1)
    breaker.canPass(11)
    breaker.onFailure(12)
    breaker.advance(30)
    breaker.onSuccess(31)
    expect(seen).toEqual([['open', 'closed', 1], ['half-open', 'open', 11], ['open', 'half-open', 12], ['half-open', 'open', 30], ['closed', 'half-open', 31]])
  })

  it('rejects unusable options', () => {
    expect(() => new CircuitBreakerState({ failureThreshold: 0 })).toThrow(OperatorOptionError)
    expect(() => new CircuitBreakerState({ resetAfterMs: Number.NaN })).toThrow(/resetAfterMs/)
    expect(() => new CircuitBreakerState({ halfOpenMax: 0 })).toThrow(/halfOpenMax/)
  })
})
