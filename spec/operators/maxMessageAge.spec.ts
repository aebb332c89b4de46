import { describe, expect, it } from 'vitest'
import { TestScheduler } from 'rxjs/testing'
import { maxMessageAge } from '../../lib/operators/maxMessageAge.js'
import { StaleMessageError, OperatorOptionError } from '../../lib/errors/index.js'
import type { MaxAge, MaxMessageAgeOptions, TimestampedMessage } from '../../lib/operators/maxMessageAge.js'

function createScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
}

interface Msg extends TimestampedMessage {
  readonly id: string
}

const msg = (id: string, timestamp: number | bigint, topic = 't'): Msg => ({ id, topic, timestamp, partition: 0, offset: 7n })
const m = { a: msg('a', 0), b: msg('b', 2) }

function staleLog(): { seen: Array<[string, number, number]>; options: MaxMessageAgeOptions<Msg> } {
  const seen: Array<[string, number, number]> = []
  return { seen, options: { onStale: (message, ageMs, maxAgeMs) => { seen.push([message.id, ageMs, maxAgeMs]) } } }
}

describe('maxMessageAge', () => {
  it('never: passes nothing and stays subscribed', () => {
    createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<Msg>('-')
      expectObservable(source.pipe(maxMessageAge(5))).toBe('-')
      expectSubscriptions(source.subscriptions).toBe('^')
    })
  })

  it('empty and one', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<Msg>('|').pipe(maxMessageAge(5))).toBe('|')
      expectObservable(cold('a|', m).pipe(maxMessageAge(5))).toBe('a|', m)
    })
  })

  it('many: passes fresh messages, drops stale ones and reports them; exactly at the limit is fresh', () => {
    const { seen, options } = staleLog()
    const scheduler = createScheduler()
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('-----a-b---a|', m)
      expectObservable(source.pipe(maxMessageAge(5, { ...options, scheduler }))).toBe('-----a-b----|', m)
    })
    expect(seen).toEqual([['a', 11, 5]])
  })

  it('the boundary: 1 ms past the limit is stale', () => {
    const { seen, options } = staleLog()
    createScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('-----aa|', m).pipe(maxMessageAge(5, options))).toBe('-----a-|', m)
    })
    expect(seen).toEqual([['a', 6, 5]])
  })

  it("mode 'error': reports, then errors with StaleMessageError", () => {
    const { seen, options } = staleLog()
    createScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-----a-----a-a|', m)
      expectObservable(source.pipe(maxMessageAge(5, { ...options, mode: 'error' }))).toBe('-----a-----#', m,
        expect.objectContaining({ code: 'MESSAGE_TOO_OLD', topic: 't', partition: 0, offset: 7n, ageMs: 11, maxAgeMs: 5, retriable: false }))
      expectSubscriptions(source.subscriptions).toBe('^----------!')
    })
    expect(seen).toEqual([['a', 11, 5]])
  })

  it('a per-topic limit; undefined or Infinity means no limit for that topic', () => {
    const { seen, options } = staleLog()
    const limits: MaxAge = (topic) => ({ fast: 2, slow: 10, none: Infinity } as Record<string, number>)[topic]
    const v = { f: msg('f', 0, 'fast'), s: msg('s', 0, 'slow'), o: msg('o', 0, 'other'), n: msg('n', 0, 'none') }
    createScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('--fs-fs-fson|', v).pipe(maxMessageAge(limits, options))).toBe('--fs--s--son|', v)
    })
    expect(seen).toEqual([['f', 5, 2], ['f', 8, 2]])
  })

  it('a negative (unknown) timestamp or one from the future is fresh; bigint timestamps work', () => {
    const v = { u: msg('u', -1), f: msg('f', 100), g: msg('g', 0n), h: msg('h', 3n) }
    createScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('-----ufgh|', v).pipe(maxMessageAge(5))).toBe('-----uf-h|', v)
    })
  })

  it('uses the injected clock', () => {
    let clock = 1_000
    const { seen, options } = staleLog()
    createScheduler().run(({ cold, expectObservable }) => {
      const v = { a: msg('a', 995), b: msg('b', 994) }
      expectObservable(cold('ab|', v).pipe(maxMessageAge(5, { ...options, now: () => clock }))).toBe('a-|', v)
    })
    expect(seen).toEqual([['b', 6, 5]])
    clock = 0
  })

  it('error: passes the source error on', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a-#', m, 'down').pipe(maxMessageAge(5))).toBe('a-#', m, 'down')
    })
  })

  it('early unsubscribe: unsubscribes the source', () => {
    createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a---b|', m)
      expectObservable(source.pipe(maxMessageAge(5)), '--!').toBe('a-', m)
      expectSubscriptions(source.subscriptions).toBe('^-!')
    })
  })

  it('a throwing onStale or per-topic function errors the stream with what it threw', () => {
    createScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const boom = new Error('onStale bug')
      const source = hot('-----a-----a-b|', m)
      expectObservable(source.pipe(maxMessageAge(5, { onStale: () => { throw boom } }))).toBe('-----a-----#', m, boom)
      expectSubscriptions(source.subscriptions).toBe('^----------!')

      const limitBug = new Error('limit bug')
      expectObservable(hot('-a|', m).pipe(maxMessageAge(() => { throw limitBug }))).toBe('-#', undefined, limitBug)
    })
  })

  it('a per-topic function returning no usable limit errors with a typed error', () => {
    createScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('-a|', m).pipe(maxMessageAge(() => -1))).toBe('-#', undefined,
        expect.objectContaining({ code: 'INVALID_OPERATOR_OPTION', option: 'maxAge' }))
    })
  })

  it('StaleMessageError says where and what to do', () => {
    const error = new StaleMessageError(msg('x', 0, 'prices'), 90_000, 60_000)
    expect(error.message).toBe('Message is 90000 ms old, older than the maximum age of 60000 ms (topic prices, partition 0, offset 7). '
      + 'The reader lags too far behind: skip ahead (seek to the newest offset) or raise the maximum age for this topic')
  })

  it('rejects unusable options when created', () => {
    expect(() => maxMessageAge(-1)).toThrow(OperatorOptionError)
    expect(() => maxMessageAge(Number.NaN)).toThrow(/maxAge/)
    expect(() => maxMessageAge(undefined as unknown as number)).toThrow(/maxAge/)
    expect(() => maxMessageAge(5, { mode: 'skip' as 'drop' })).toThrow(/mode/)
  })
})
