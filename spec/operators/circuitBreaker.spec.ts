import { describe, expect, it } from 'vitest'
import { TestScheduler } from 'rxjs/testing'
import { catchError, mergeMap, of, takeUntil } from 'rxjs'
import type { Observable } from 'rxjs'
import { circuitBreaker } from '../../lib/operators/circuitBreaker.js'
import { CircuitOpenError, OperatorOptionError } from '../../lib/errors/index.js'
import type { CircuitBreaker } from '../../lib/operators/circuitBreaker.js'

function createScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
}

const states = { c: 'closed', o: 'open', h: 'half-open' } as const

/** Runs one guarded call per trigger and shows its outcome: the call's values, F for a failure, O for a refusal. */
function outcomes(breaker: CircuitBreaker, triggers: Observable<string>, calls: Record<string, Observable<string>>): Observable<string> {
  return triggers.pipe(mergeMap((key) => breaker.wrap(calls[key]!).pipe(
    catchError((e: unknown) => of(e instanceof CircuitOpenError ? 'O' : 'F')),
  )))
}

describe('circuitBreaker', () => {
  describe('wrap', () => {
    it('never: passes nothing and keeps the call subscribed', () => {
      createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const breaker = circuitBreaker()
        const call = cold('-')
        expectObservable(breaker.wrap(call)).toBe('-')
        expectSubscriptions(call.subscriptions).toBe('^')
      })
    })

    it('empty, one and many: mirror the call, and completion counts as a success', () => {
      createScheduler().run(({ cold, expectObservable }) => {
        const breaker = circuitBreaker({ failureThreshold: 2 })
        breaker.core.canPass(0)
        breaker.core.onFailure(0)
        expect(breaker.core.consecutiveFailures).toBe(1)
        expectObservable(breaker.wrap(cold('|'))).toBe('|')
        expectObservable(breaker.wrap(cold('a|'))).toBe('a|')
        expectObservable(breaker.wrap(cold('a-b-c|'))).toBe('a-b-c|')
      })
    })

    it('resets the failure count on success', () => {
      const scheduler = createScheduler()
      scheduler.run(({ cold }) => {
        const breaker = circuitBreaker({ failureThreshold: 2, scheduler })
        breaker.wrap(cold('-#')).subscribe({ error: () => undefined })
        scheduler.flush()
        expect(breaker.core.consecutiveFailures).toBe(1)
        breaker.wrap(cold('|')).subscribe()
        scheduler.flush()
        expect(breaker.core.consecutiveFailures).toBe(0)
      })
    })

    it('error: passes the error on and counts a failure, unless a value came first', () => {
      const failed = circuitBreaker({ failureThreshold: 3 })
      createScheduler().run(({ cold, expectObservable }) => {
        expectObservable(failed.wrap(cold('--#', undefined, 'down'))).toBe('--#', undefined, 'down')
      })
      expect(failed.core.consecutiveFailures).toBe(1)
      const answered = circuitBreaker({ failureThreshold: 3 })
      createScheduler().run(({ cold, expectObservable }) => {
        expectObservable(answered.wrap(cold('a-#', undefined, 'down'))).toBe('a-#', undefined, 'down')
      })
      expect(answered.core.consecutiveFailures).toBe(0)
    })

    it('early unsubscribe: unsubscribes the call and counts nothing', () => {
      createScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const breaker = circuitBreaker({ failureThreshold: 1 })
        const call = cold('---#')
        expectObservable(breaker.wrap(call), '-!').toBe('-')
        flush()
        expectSubscriptions(call.subscriptions).toBe('^!')
        expect(breaker.state).toBe('closed')
      })
    })
  })

  it('opens after failureThreshold failures in a row, refuses, half-opens after resetAfterMs; a probe success closes it', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, hot, expectObservable }) => {
      const breaker = circuitBreaker({ failureThreshold: 2, resetAfterMs: 10, scheduler })
      const calls = { f: cold('-#'), s: cold('-(s|)') }
      const triggers = hot('f-f-s 8ms s')
      expectObservable(outcomes(breaker, triggers, calls)).toBe('-F-FO 9ms s')
      expectObservable(breaker.state$).toBe('c--o 9ms hc', states)
    })
  })

  it('a probe failure re-opens it for another resetAfterMs', () => {
    createScheduler().run(({ cold, hot, expectObservable }) => {
      const breaker = circuitBreaker({ failureThreshold: 2, resetAfterMs: 10 })
      const calls = { f: cold('-#'), s: cold('-(s|)') }
      const triggers = hot('f-f-s 8ms f 6ms s 3ms s')
      expectObservable(outcomes(breaker, triggers, calls)).toBe('-F-FO 9ms F 5ms O 4ms s')
      expectObservable(breaker.state$).toBe('c--o 9ms ho 9ms hc', states)
    })
  })

  it('half-opens on time for state$ watchers even without calls', () => {
    createScheduler().run(({ cold, hot, expectObservable }) => {
      const breaker = circuitBreaker({ failureThreshold: 1, resetAfterMs: 5 })
      expectObservable(outcomes(breaker, hot('f'), { f: cold('-#') })).toBe('-F')
      expectObservable(breaker.state$).toBe('co----h', states)
      // a late watcher gets the current state once, not a duplicate of a transition due at that moment.
      expectObservable(breaker.state$, '6ms ^').toBe('6ms h', states)
      expectObservable(breaker.state$, '3ms ^').toBe('3ms o--h', states)
    })
  })

  it('lets at most halfOpenMax probes through while half-open', () => {
    createScheduler().run(({ cold, hot, expectObservable }) => {
      const calls = { f: cold('-#'), s: cold('-(s|)') }
      const one = circuitBreaker({ failureThreshold: 2, resetAfterMs: 10, halfOpenMax: 1 })
      expectObservable(outcomes(one, hot('f-f 10ms (ss)'), calls)).toBe('-F-F 9ms Os')
      const two = circuitBreaker({ failureThreshold: 2, resetAfterMs: 10, halfOpenMax: 2 })
      expectObservable(outcomes(two, hot('f-f 10ms (ss)'), calls)).toBe('-F-F 10ms (ss)')
    })
  })

  it('a cancelled probe gives its slot back', () => {
    createScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const breaker = circuitBreaker({ failureThreshold: 1, resetAfterMs: 10 })
      const slowProbe = cold('-----s|')
      const cancelProbe = hot('12ms x')
      const calls = { f: cold('-#'), s: cold('-(s|)') }
      const probe = hot('11ms p').pipe(mergeMap(() => breaker.wrap(slowProbe).pipe(takeUntil(cancelProbe))))
      expectObservable(probe).toBe('')
      expectSubscriptions(slowProbe.subscriptions).toBe('11ms ^!')
      expectObservable(outcomes(breaker, hot('f 12ms s'), calls)).toBe('-F 12ms s')
      expectObservable(breaker.state$).toBe('co 9ms h--c', states)
    })
  })

  it('a call that is not an ObservableInput errors and gives its probe slot back', () => {
    createScheduler().run(({ expectObservable, flush }) => {
      const breaker = circuitBreaker({ failureThreshold: 1, resetAfterMs: 0 })
      breaker.core.canPass(0)
      breaker.core.onFailure(0)
      expectObservable(breaker.wrap(42 as unknown as Observable<string>)).toBe('#', undefined, expect.any(TypeError))
      flush()
      expect(breaker.core.state).toBe('half-open')
      expect(breaker.core.probesInFlight).toBe(0)
    })
  })

  it('a success between failures resets the count', () => {
    createScheduler().run(({ cold, hot, expectObservable }) => {
      const breaker = circuitBreaker({ failureThreshold: 2, resetAfterMs: 10 })
      const calls = { f: cold('-#'), s: cold('-(s|)') }
      expectObservable(outcomes(breaker, hot('f-s-f-f-s'), calls)).toBe('-F-s-F-FO')
    })
  })

  it('errors that isFailure rejects pass through without counting', () => {
    createScheduler().run(({ cold, hot, expectObservable }) => {
      const breaker = circuitBreaker({ failureThreshold: 1, isFailure: (e) => e !== 'bad request' })
      const calls = { i: cold('-#', undefined, 'bad request'), s: cold('-(s|)') }
      expectObservable(outcomes(breaker, hot('i-i-s'), calls)).toBe('-F-F-s')
      expectObservable(breaker.state$).toBe('c', states)
    })
  })

  it('a throwing isFailure errors the call with what it threw and counts a failure', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const boom = new Error('classifier bug')
      const breaker = circuitBreaker({ failureThreshold: 1, isFailure: () => { throw boom } })
      expectObservable(breaker.wrap(cold('-#', undefined, 'down'))).toBe('-#', undefined, boom)
      expectObservable(breaker.state$).toBe('co 9999ms h', states)
    })
  })

  describe('operator', () => {
    const work = (cold: TestScheduler['createColdObservable']) => (v: string) => cold('-x|', { x: v.toUpperCase() })

    it('never and empty', () => {
      createScheduler().run(({ cold, hot, expectObservable }) => {
        const breaker = circuitBreaker()
        expectObservable(hot('-').pipe(breaker.operator(work(cold)))).toBe('-')
        expectObservable(cold('|').pipe(breaker.operator(work(cold)))).toBe('|')
      })
    })

    it('one and many: runs calls one at a time by default, or concurrently', () => {
      createScheduler().run(({ cold, expectObservable }) => {
        const breaker = circuitBreaker()
        expectObservable(cold('a|').pipe(breaker.operator(work(cold)))).toBe('-A|')
        expectObservable(cold('ab|').pipe(breaker.operator(work(cold)))).toBe('-A-B|')
        expectObservable(cold('ab|').pipe(breaker.operator(work(cold), { concurrency: 2 }))).toBe('-AB|')
      })
    })

    it('error: a failed call errors the stream; a throwing work function too, counted as a failure', () => {
      createScheduler().run(({ cold, expectObservable, flush }) => {
        const breaker = circuitBreaker({ failureThreshold: 5 })
        expectObservable(cold('a|').pipe(breaker.operator(() => cold('-#', undefined, 'down')))).toBe('-#', undefined, 'down')
        const bug = new Error('work bug')
        expectObservable(cold('a|').pipe(breaker.operator(() => { throw bug }))).toBe('#', undefined, bug)
        flush()
        expect(breaker.core.consecutiveFailures).toBe(2)
      })
    })

    it('while open, errors with CircuitOpenError at the next value without calling work', () => {
      const calls: string[] = []
      createScheduler().run(({ cold, expectObservable }) => {
        const breaker = circuitBreaker({ failureThreshold: 1, resetAfterMs: 10, name: 'orders/3', location: { topic: 'orders', partition: 3 } })
        breaker.core.canPass(0)
        breaker.core.onFailure(0)
        const out = cold('-a').pipe(breaker.operator((v: string) => { calls.push(v); return cold('-x|') }))
        expectObservable(out).toBe('-#', undefined, expect.objectContaining({
          code: 'CIRCUIT_OPEN', retriable: true, retryAfterMs: 9, topic: 'orders', partition: 3, consecutiveFailures: 1,
        }))
      })
      expect(calls).toEqual([])
    })

    it('early unsubscribe: unsubscribes the source and the running call', () => {
      createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const breaker = circuitBreaker()
        const source = cold('a---')
        const call = cold('---x|')
        expectObservable(source.pipe(breaker.operator(() => call)), '--!').toBe('--')
        expectSubscriptions(source.subscriptions).toBe('^-!')
        expectSubscriptions(call.subscriptions).toBe('^-!')
      })
    })
  })

  it('CircuitOpenError says where, when and what to do', () => {
    const open = new CircuitOpenError('produce orders/3', { retryAfterMs: 2500, consecutiveFailures: 5, topic: 'orders', partition: 3 })
    expect(open.message).toBe('Circuit produce orders/3 is open after 5 failures in a row; call refused (topic orders, partition 3). '
      + 'It half-opens in 2500 ms: retry after that (retryBackoff retries retriable errors), and look at the cause of the failures')
    expect(open.retriable).toBe(true)
    expect(open.name).toBe('CircuitOpenError')
    const probing = new CircuitOpenError('c', { retryAfterMs: undefined, consecutiveFailures: 1 })
    expect(probing.message).toMatch(/half-open and its probe calls are in flight/)
  })

  it('rejects unusable options when created', () => {
    expect(() => circuitBreaker({ failureThreshold: 0 })).toThrow(OperatorOptionError)
    expect(() => circuitBreaker({ halfOpenMax: 1.5 })).toThrow(/halfOpenMax/)
    expect(() => circuitBreaker({ resetAfterMs: -1 })).toThrow(/resetAfterMs/)
    expect(() => circuitBreaker().operator((v: number) => of(v), { concurrency: 0 })).toThrow(/concurrency/)
  })
})
