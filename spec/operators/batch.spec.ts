import { describe, expect, it } from 'vitest'
import { TestScheduler } from 'rxjs/testing'
import { map, merge, of, Subject, timer } from 'rxjs'
import { batch } from '../../lib/operators/batch.js'
import { OperatorOptionError } from '../../lib/errors/index.js'

function createScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
}

describe('batch', () => {
  it('never: emits nothing and stays subscribed', () => {
    createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-')
      expectObservable(source.pipe(batch({ maxMessages: 2, lingerMs: 5 }))).toBe('-')
      expectSubscriptions(source.subscriptions).toBe('^')
    })
  })

  it('empty: completes without an empty batch', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('|').pipe(batch({ maxMessages: 2, lingerMs: 5 }))).toBe('|')
      expectObservable(cold('---|').pipe(batch(2))).toBe('---|')
    })
  })

  it('one: a partial batch is emitted at completion', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a|').pipe(batch({ maxMessages: 3, lingerMs: 5 }))).toBe('-(x|)', { x: ['a'] })
    })
  })

  it('many: by count', () => {
    createScheduler().run(({ hot, expectObservable }) => {
      const source = hot('-z^abcde|')
      expectObservable(source.pipe(batch(2))).toBe('--x-y-(w|)', { x: ['a', 'b'], y: ['c', 'd'], w: ['e'] })
    })
  })

  it('many: count, linger and error together (the documented marble)', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('a-bc--d--------e-#', undefined, 'down')
      expectObservable(source.pipe(batch({ maxMessages: 3, lingerMs: 4, scheduler })))
        .toBe('---x------y------(z#)', { x: ['a', 'b', 'c'], y: ['d'], z: ['e'] }, 'down')
    })
  })

  it('the linger timer starts at the first value of each batch', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const source = cold('a-b-----c|')
      expectObservable(source.pipe(batch(10, 3))).toBe('---x-----(y|)', { x: ['a', 'b'], y: ['c'] })
    })
  })

  it('lingerMs 0 emits each synchronous burst as one batch', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(abc)--d|').pipe(batch({ lingerMs: 0 }))).toBe('x------y|', { x: ['a', 'b', 'c'], y: ['d'] })
    })
  })

  it('by bytes: exact limit emits, overflow starts the next batch, an oversized value goes alone', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const values = { a: 'aa', b: 'bbb', c: 'cc', d: 'dddddddd', e: 'e' }
      const source = cold('a-b-c-d----e|', values)
      expectObservable(source.pipe(batch({ maxBytes: 5, sizeOf: (s: string) => s.length })))
        .toBe('--x---(yz)--(w|)', { x: ['aa', 'bbb'], y: ['cc'], z: ['dddddddd'], w: ['e'] })
    })
  })

  it('batch limit reached exactly at the linger tick, value first: one full batch, no empty one', () => {
    createScheduler().run(({ hot, expectObservable }) => {
      // the hot source's value at 4 was scheduled before the linger timer, so it runs first.
      const source = hot('a---b---c|')
      expectObservable(source.pipe(batch({ maxMessages: 2, lingerMs: 4 }))).toBe('----x----(y|)', { x: ['a', 'b'], y: ['c'] })
    })
  })

  it('batch limit reached exactly at the linger tick, timer first: the value starts the next batch', () => {
    createScheduler().run(({ expectObservable }) => {
      // the linger timer is scheduled (when a arrives) before timer(4) is, so it runs first at frame 4.
      const source = merge(of('a'), timer(4).pipe(map(() => 'b')))
      expectObservable(source.pipe(batch({ maxMessages: 2, lingerMs: 4 }))).toBe('----(xy|)', { x: ['a'], y: ['b'] })
    })
  })

  it('error: emits the partial batch, then the error', () => {
    createScheduler().run(({ hot, cold, expectObservable }) => {
      expectObservable(hot('ab-#', undefined, 'down').pipe(batch(5))).toBe('---(x#)', { x: ['a', 'b'] }, 'down')
      expectObservable(cold('-#', undefined, 'down').pipe(batch(5))).toBe('-#', undefined, 'down')
    })
  })

  it('early unsubscribe: unsubscribes the source and drops the partial batch', () => {
    createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-b---c|')
      expectObservable(source.pipe(batch({ maxMessages: 5, lingerMs: 5 })), '---!').toBe('---')
      expectSubscriptions(source.subscriptions).toBe('^--!')
    })
  })

  it('a throwing sizeOf emits the batch so far, then errors with what it threw', () => {
    createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const boom = new Error('cannot measure c')
      const source = cold('ab-c-d|')
      const sizeOf = (v: string): number => { if (v === 'c') throw boom; return 1 }
      expectObservable(source.pipe(batch({ maxBytes: 10, sizeOf }))).toBe('---(x#)', { x: ['a', 'b'] }, boom)
      expectSubscriptions(source.subscriptions).toBe('^--!')
    })
  })

  it('a sizeOf that returns no usable size errors with a typed error', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const out = cold('a-b|').pipe(batch({ maxBytes: 10, sizeOf: (v: string) => (v === 'b' ? -1 : 1) }))
      expectObservable(out).toBe('--(x#)', { x: ['a'] }, expect.objectContaining({ code: 'INVALID_OPERATOR_OPTION', option: 'sizeOf' }))
    })
  })

  it('a consumer that pushes more values from inside next gets consistent batches', () => {
    const input = new Subject<number>()
    const out: number[][] = []
    input.pipe(batch(2)).subscribe((values) => {
      out.push(values)
      const last = values[values.length - 1]!
      if (last < 6) {
        input.next(last + 1)
        input.next(last + 2)
      }
    })
    input.next(1)
    input.next(2)
    expect(out).toEqual([[1, 2], [3, 4], [5, 6]])
  })

  it('rejects unusable options when created', () => {
    expect(() => batch({})).toThrow(OperatorOptionError)
    expect(() => batch({ maxBytes: 100 })).toThrow(/sizeOf/)
    expect(() => batch(0)).toThrow(/maxMessages/)
    expect(() => batch({ maxMessages: 2, lingerMs: -1 })).toThrow(/lingerMs/)
    expect(() => batch({ maxBytes: 0, sizeOf: () => 1 })).toThrow(/maxBytes/)
  })
})
