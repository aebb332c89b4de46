import { describe, expect, it } from 'vitest'
import { TestScheduler } from 'rxjs/testing'
import { retryBackoff } from '../../lib/operators/retryBackoff.js'
import { OperatorOptionError, ProtocolDecodeError, RxKafkaError } from '../../lib/errors/index.js'

function createScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
}

const noJitter = { initialMs: 10, factor: 2, jitter: 0 }

describe('retryBackoff', () => {
  it('never: mirrors a silent source and stays subscribed', () => {
    createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-')
      expectObservable(source.pipe(retryBackoff(noJitter))).toBe('-')
      expectSubscriptions(source.subscriptions).toBe('^')
    })
  })

  it('empty: completes at once', () => {
    createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('|')
      expectObservable(source.pipe(retryBackoff(noJitter))).toBe('|')
      expectSubscriptions(source.subscriptions).toBe('(^!)')
    })
  })

  it('one and many: passes values through unchanged', () => {
    createScheduler().run(({ cold, hot, expectObservable }) => {
      expectObservable(cold('a|').pipe(retryBackoff(noJitter))).toBe('a|')
      const many = hot('-a-^b-c-d|')
      expectObservable(many.pipe(retryBackoff(noJitter))).toBe('-b-c-d|')
    })
  })

  it('error: retries with exponential delays, then lets the last error through', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--#', undefined, new Error('down'))
      // attempts fail at 2, 14 and 36: waits of 10 then 20 ms between them.
      expectObservable(source.pipe(retryBackoff({ ...noJitter, retries: 2, scheduler }))).toBe('36ms #', undefined, new Error('down'))
      expectSubscriptions(source.subscriptions).toBe(['^-!', '12ms ^-!', '34ms ^-!'])
    })
  })

  it('the number form is a retry count', () => {
    createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('#')
      // retryBackoff(0): no retries at all, the first error passes through.
      expectObservable(source.pipe(retryBackoff(0))).toBe('#')
      expectSubscriptions(source.subscriptions).toBe('(^!)')
    })
  })

  it('caps the delay at maxMs', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('#')
      // delays 10, 20, then 40 and 80 are capped to 25.
      const out = source.pipe(retryBackoff({ ...noJitter, maxMs: 25, retries: 4, scheduler }))
      expectObservable(out).toBe('80ms #')
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '10ms (^!)', '30ms (^!)', '55ms (^!)', '80ms (^!)'])
    })
  })

  it('a value resets the attempt counter, so every wait is initialMs again', () => {
    createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#')
      const out = source.pipe(retryBackoff({ ...noJitter, retries: 1 }))
      // with a budget of one retry, only the reset keeps it going past the second failure.
      expectObservable(out, '45ms !').toBe('-a 12ms a 12ms a 12ms a')
      expectSubscriptions(source.subscriptions).toBe(['^--!', '13ms ^--!', '26ms ^--!', '39ms ^--!'])
    })
  })

  it('resetOnSuccess: false keeps counting across values', () => {
    createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#')
      const out = source.pipe(retryBackoff({ ...noJitter, retries: 2, resetOnSuccess: false }))
      expectObservable(out).toBe('-a 12ms a 22ms a-#')
      expectSubscriptions(source.subscriptions).toBe(['^--!', '13ms ^--!', '36ms ^--!'])
    })
  })

  it('a non-retryable error passes through at once', () => {
    createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#', undefined, 'fatal')
      const out = source.pipe(retryBackoff({ ...noJitter, retryable: (e) => e !== 'fatal' }))
      expectObservable(out).toBe('-a-#', undefined, 'fatal')
      expectSubscriptions(source.subscriptions).toBe('^--!')
    })
  })

  it('by default retries retriable and foreign errors, not non-retriable rxkafka errors', () => {
    createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const fatal = new ProtocolDecodeError('bad bytes')
      const nonRetriable = cold('-#', undefined, fatal)
      expectObservable(nonRetriable.pipe(retryBackoff(noJitter))).toBe('-#', undefined, fatal)
      expectSubscriptions(nonRetriable.subscriptions).toBe('^!')

      const transient = new RxKafkaError('NOT_LEADER_OR_FOLLOWER', 'leader moved', { retriable: true })
      const retriable = cold('-#', undefined, transient)
      expectObservable(retriable.pipe(retryBackoff({ ...noJitter, retries: 1 }))).toBe('12ms #', undefined, transient)
      expectSubscriptions(retriable.subscriptions).toBe(['^!', '11ms ^!'])

      const foreign = cold('-#', undefined, new Error('ECONNRESET'))
      expectObservable(foreign.pipe(retryBackoff({ ...noJitter, retries: 1 }))).toBe('12ms #', undefined, new Error('ECONNRESET'))
    })
  })

  it('passes the error and the 0-based attempt to retryable and onRetry', () => {
    const seen: Array<[string, unknown, number, number?]> = []
    createScheduler().run(({ cold, expectObservable }) => {
      const source = cold('#', undefined, 'e')
      const out = source.pipe(retryBackoff({
        ...noJitter,
        retries: 2,
        retryable: (error, attempt) => { seen.push(['retryable', error, attempt]); return true },
        onRetry: (error, attempt, delayMs) => { seen.push(['onRetry', error, attempt, delayMs]) },
      }))
      expectObservable(out).toBe('30ms #', undefined, 'e')
    })
    expect(seen).toEqual([
      ['retryable', 'e', 0], ['onRetry', 'e', 0, 10],
      ['retryable', 'e', 1], ['onRetry', 'e', 1, 20],
    ])
  })

  it('uses the injected random for jitter', () => {
    createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('#')
      // full jitter with random 0.5: delays 5 then 10.
      const out = source.pipe(retryBackoff({ initialMs: 10, factor: 2, jitter: 1, random: () => 0.5, retries: 2 }))
      expectObservable(out).toBe('15ms #')
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '5ms (^!)', '15ms (^!)'])
    })
  })

  it('early unsubscribe: unsubscribes the source, and during a wait cancels the retry', () => {
    createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const active = cold('---a--|')
      expectObservable(active.pipe(retryBackoff(noJitter)), '--!').toBe('--')
      expectSubscriptions(active.subscriptions).toBe('^-!')

      const failing = cold('-#')
      expectObservable(failing.pipe(retryBackoff(noJitter)), '5ms !').toBe('-')
      // the retry due at 11 never happens.
      expectSubscriptions(failing.subscriptions).toBe('^!')
    })
  })

  it('a throwing retryable or onRetry errors the stream with what it threw', () => {
    createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const boom = new Error('predicate bug')
      const source = cold('-a-#')
      const out = source.pipe(retryBackoff({ ...noJitter, retryable: () => { throw boom } }))
      expectObservable(out).toBe('-a-#', undefined, boom)
      expectSubscriptions(source.subscriptions).toBe('^--!')

      const hookBoom = new Error('hook bug')
      const out2 = cold('-#').pipe(retryBackoff({ ...noJitter, onRetry: () => { throw hookBoom } }))
      expectObservable(out2).toBe('-#', undefined, hookBoom)
    })
  })

  it('rejects unusable options when created', () => {
    expect(() => retryBackoff({ jitter: 1.5 })).toThrow(OperatorOptionError)
    expect(() => retryBackoff({ initialMs: -1 })).toThrow(/initialMs/)
    expect(() => retryBackoff({ factor: 0.5 })).toThrow(/factor/)
    expect(() => retryBackoff(-1)).toThrow(/retries/)
    expect(() => retryBackoff({ retries: 1.5 })).toThrow(/retries/)
    expect(() => retryBackoff({ maxMs: Infinity })).toThrow(/maxMs/)
  })
})
