import { describe, expect, it } from 'vitest'
import { mergeMap } from 'rxjs'
import { handleAndDone } from '../../lib/consumer/handleAndDone.js'
import { setup, upper } from './doneable-fixtures.js'
import type { Msg } from './doneable-fixtures.js'

describe('handleAndDone', () => {
  it('works in any flattening operator', () => {
    const { scheduler, log, m } = setup()
    scheduler.run(({ cold, expectObservable }) => {
      const out = cold('a-b|', m).pipe(mergeMap(handleAndDone((msg: Msg) => cold('-x|', { x: upper(msg) }))))
      expectObservable(out).toBe('-A-B|')
    })
    expect(log).toEqual([['a', 2], ['b', 4]])
  })

  it('never, error and unsubscribe do not mark done; empty does', () => {
    const { scheduler, log, m } = setup()
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const never = cold('-')
      expectObservable(handleAndDone(() => never)(m.a!, 0)).toBe('-')
      expectObservable(handleAndDone(() => cold('--#', undefined, 'failed'))(m.b!, 1)).toBe('--#', undefined, 'failed')
      const slow = cold('----x|')
      expectObservable(handleAndDone(() => slow)(m.c!, 2), '--!').toBe('--')
      expectSubscriptions(slow.subscriptions).toBe('^-!')
      expectObservable(handleAndDone(() => cold('---|'))(m.d!, 3)).toBe('---|')
    })
    expect(log).toEqual([['d', 3]])
  })

  it('passes the message and its index to the handler', () => {
    const { scheduler, m } = setup()
    const seen: Array<[string, number]> = []
    scheduler.run(({ cold, expectObservable }) => {
      const out = cold('ab|', m).pipe(mergeMap(handleAndDone((msg: Msg, index: number) => { seen.push([msg.id, index]); return cold('|') })))
      expectObservable(out).toBe('--|')
    })
    expect(seen).toEqual([['a', 0], ['b', 1]])
  })

  it('accepts promises and arrays as handler results', async () => {
    const done: string[] = []
    const msg: Msg = { id: 'p', done: () => { done.push('p') } }
    const values: number[] = []
    await new Promise<void>((resolve, reject) => {
      handleAndDone((_: Msg) => Promise.resolve(42))(msg, 0).subscribe({ next: (v) => values.push(v), error: reject, complete: resolve })
    })
    expect(values).toEqual([42])
    expect(done).toEqual(['p'])
  })

  it('rejects a handler that is not a function', () => {
    expect(() => handleAndDone(42 as unknown as () => number[])).toThrow(/handler/)
  })
})
