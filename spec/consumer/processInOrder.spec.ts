import { describe, expect, it } from 'vitest'
import type { Observable } from 'rxjs'
import { processInOrder } from '../../lib/consumer/processInOrder.js'
import { setup, upper } from './doneable-fixtures.js'
import type { Msg } from './doneable-fixtures.js'

describe('processInOrder', () => {
  it('never and empty', () => {
    const { scheduler, log } = setup()
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const never = hot<Msg>('-')
      expectObservable(never.pipe(processInOrder(() => cold('-x|')))).toBe('-')
      expectSubscriptions(never.subscriptions).toBe('^')
      expectObservable(cold<Msg>('|').pipe(processInOrder(() => cold('-x|')))).toBe('|')
    })
    expect(log).toEqual([])
  })

  it('one: marks done when the handler completes', () => {
    const { scheduler, log, m } = setup()
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('a|', m).pipe(processInOrder((msg) => cold('-x|', { x: upper(msg) })))).toBe('-A|')
    })
    expect(log).toEqual([['a', 2]])
  })

  it('many: one at a time, done in arrival order (the documented marble)', () => {
    const { scheduler, log, m } = setup()
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('ab------|', m)
      expectObservable(source.pipe(processInOrder((msg) => cold('--x|', { x: upper(msg) })))).toBe('--A--B--|')
    })
    expect(log).toEqual([['a', 3], ['b', 6]])
  })

  it('a handler that completes without values still marks done', () => {
    const { scheduler, log, m } = setup()
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('a-b|', m).pipe(processInOrder(() => cold('|')))).toBe('---|')
    })
    expect(log).toEqual([['a', 0], ['b', 2]])
  })

  it('error: the failing message is not done, the stream errors, later messages are not started', () => {
    const { scheduler, log, m } = setup()
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('abc|', m)
      const failing = cold('-#', undefined, 'handler failed')
      const handler = (msg: Msg): Observable<string> => (msg.id === 'b' ? failing : cold('-x|', { x: upper(msg) }))
      expectObservable(source.pipe(processInOrder(handler))).toBe('-A-#', undefined, 'handler failed')
      expectSubscriptions(failing.subscriptions).toBe('--^!')
    })
    expect(log).toEqual([['a', 2]])
  })

  it('early unsubscribe: unsubscribes the source and the running handler; its message is not done', () => {
    const { scheduler, log, m } = setup()
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-b|', m)
      const work = cold('---x|')
      expectObservable(source.pipe(processInOrder(() => work)), '--!').toBe('--')
      expectSubscriptions(source.subscriptions).toBe('^-!')
      expectSubscriptions(work.subscriptions).toBe('^-!')
    })
    expect(log).toEqual([])
  })

  it('a throwing handler or done() errors the stream with what was thrown', () => {
    const { scheduler, log, m } = setup()
    scheduler.run(({ cold, expectObservable }) => {
      const bug = new Error('handler bug')
      expectObservable(cold('a|', m).pipe(processInOrder(() => { throw bug }))).toBe('#', undefined, bug)
      const doneBug = new Error('done bug')
      const exploding: Msg = { id: 'x', done: () => { throw doneBug } }
      expectObservable(cold('x|', { x: exploding }).pipe(processInOrder(() => cold('-r|')))).toBe('-r#', undefined, doneBug)
    })
    expect(log).toEqual([])
  })
})
