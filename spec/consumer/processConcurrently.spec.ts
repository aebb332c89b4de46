import { describe, expect, it } from 'vitest'
import type { Observable } from 'rxjs'
import { processConcurrently } from '../../lib/consumer/processConcurrently.js'
import { OperatorOptionError } from '../../lib/errors/index.js'
import { setup, upper } from './doneable-fixtures.js'
import type { Msg } from './doneable-fixtures.js'

describe('processConcurrently', () => {
  const durations: Record<string, string> = { a: '----x|', b: '-x|', c: '-x|', d: '-x|' }

  it('never and empty', () => {
    const { scheduler } = setup()
    scheduler.run(({ cold, hot, expectObservable }) => {
      expectObservable(hot<Msg>('-').pipe(processConcurrently(() => cold('-x|'), { concurrency: 2 }))).toBe('-')
      expectObservable(cold<Msg>('|').pipe(processConcurrently(() => cold('-x|'), 2))).toBe('|')
    })
  })

  it('one', () => {
    const { scheduler, log, m } = setup()
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('a|', m).pipe(processConcurrently((msg) => cold('-x|', { x: upper(msg) }), 3))).toBe('-A|')
    })
    expect(log).toEqual([['a', 2]])
  })

  it('many: at most `concurrency` at once, done out of order (the documented marble)', () => {
    const { scheduler, log, m } = setup()
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('abc-------|', m)
      const out = source.pipe(processConcurrently((msg) => cold(durations[msg.id]!, { x: upper(msg) }), { concurrency: 2 }))
      expectObservable(out).toBe('--B-(AC)--|')
    })
    expect(log).toEqual([['b', 3], ['a', 5], ['c', 5]])
  })

  it('Infinity runs everything at once', () => {
    const { scheduler, log, m } = setup()
    scheduler.run(({ cold, expectObservable }) => {
      const out = cold('abc|', m).pipe(processConcurrently((msg) => cold(durations[msg.id]!, { x: upper(msg) }), Infinity))
      expectObservable(out).toBe('--BCA|')
    })
    expect(log).toEqual([['b', 3], ['c', 4], ['a', 5]])
  })

  it('error: the other running handlers are unsubscribed, their messages not done', () => {
    const { scheduler, log, m } = setup()
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const slow = cold('----x|')
      const handler = (msg: Msg): Observable<string> => (msg.id === 'a' ? slow : cold('-#', undefined, 'b failed'))
      expectObservable(cold('ab|', m).pipe(processConcurrently(handler, 2))).toBe('--#', undefined, 'b failed')
      expectSubscriptions(slow.subscriptions).toBe('^-!')
    })
    expect(log).toEqual([])
  })

  it('early unsubscribe: unsubscribes the source and every running handler', () => {
    const { scheduler, log, m } = setup()
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('ab--c|', m)
      const work = cold('---x|')
      expectObservable(source.pipe(processConcurrently(() => work, 2)), '--!').toBe('--')
      expectSubscriptions(source.subscriptions).toBe('^-!')
      expectSubscriptions(work.subscriptions).toBe(['^-!', '-^!'])
    })
    expect(log).toEqual([])
  })

  it('a throwing handler errors the stream', () => {
    const { scheduler, m } = setup()
    scheduler.run(({ cold, expectObservable }) => {
      const bug = new Error('handler bug')
      expectObservable(cold('-a|', m).pipe(processConcurrently(() => { throw bug }, 2))).toBe('-#', undefined, bug)
    })
  })

  it('rejects a missing or unusable concurrency', () => {
    expect(() => processConcurrently(() => [1], 0)).toThrow(OperatorOptionError)
    expect(() => processConcurrently(() => [1], { concurrency: 1.5 })).toThrow(/concurrency/)
    expect(() => processConcurrently(() => [1], undefined as unknown as number)).toThrow(/concurrency is missing/)
  })
})
