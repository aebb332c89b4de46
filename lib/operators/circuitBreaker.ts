import { asyncScheduler, defer, from, mergeMap, Observable } from 'rxjs'
import type { ObservableInput, OperatorFunction, SchedulerLike, Subscriber, Subscription } from 'rxjs'
import { CircuitOpenError } from '../errors/index.js'
import type { ErrorLocation } from '../errors/index.js'
import { checkCount, checkDuration, checkFunction } from '../kit/options.js'

/** The three states of a circuit breaker. */
export type CircuitState = 'closed' | 'open' | 'half-open'

/** Options of {@link CircuitBreakerState}. */
export interface CircuitBreakerStateOptions {
  /** Failures in a row (no success between them) that open the circuit. Default 5. */
  failureThreshold?: number
  /** How long the circuit stays open before it lets probe calls through, in ms. Default 10 000. */
  resetAfterMs?: number
  /** How many probe calls may be in flight at once while half-open. Default 1. */
  halfOpenMax?: number
  /** Called on every change of state, synchronously, e.g. to record it in diagnostics. */
  onTransition?: (to: CircuitState, from: CircuitState, now: number) => void
}

/** The defaults of {@link CircuitBreakerStateOptions}. */
export const DEFAULT_CIRCUIT_BREAKER: Readonly<Required<Pick<CircuitBreakerStateOptions, 'failureThreshold' | 'resetAfterMs' | 'halfOpenMax'>>> = Object.freeze({
  failureThreshold: 5,
  resetAfterMs: 10_000,
  halfOpenMax: 1,
})

function validateStateOptions(options: CircuitBreakerStateOptions, operator: string): void {
  checkCount(operator, 'failureThreshold', options.failureThreshold, 1)
  checkDuration(operator, 'resetAfterMs', options.resetAfterMs)
  checkCount(operator, 'halfOpenMax', options.halfOpenMax, 1)
  checkFunction(operator, 'onTransition', options.onTransition)
}

/**
 * The state machine of a circuit breaker, with no RxJS and no timers: the
 * caller passes the current time to every method. Cheap enough to keep one
 * per partition and per broker and to consult for every message.
 *
 * ```
 *            failureThreshold failures in a row
 *   closed ------------------------------------> open
 *     ^                                           |  resetAfterMs later, at the next canPass/advance
 *     |  a success                                v
 *     +-------------------------------------- half-open --- a failure ---> open (timer restarts)
 * ```
 *
 * Contract: every `canPass(now) === true` is followed by exactly one of
 * `onSuccess`, `onFailure` or `onAbandon` for that call, because while
 * half-open `canPass` reserves one of the `halfOpenMax` probe slots.
 *
 * Results of calls that were let through before the circuit opened are
 * ignored while it is open (the circuit is already open; a late success says
 * nothing about now). While half-open any result counts, so a slow call from
 * before the opening can decide the probe; that is deliberate, as it carries
 * the same news as a probe would.
 *
 * @example
 * ```ts
 * import { CircuitBreakerState } from 'rxkafka'
 * const breaker = new CircuitBreakerState({ failureThreshold: 3, resetAfterMs: 5_000 })
 * if (breaker.canPass(Date.now())) {
 *   send(batch).then(() => breaker.onSuccess(Date.now()), () => breaker.onFailure(Date.now()))
 * } else {
 *   failFast(batch, breaker.halfOpensAt)
 * }
 * ```
 */
export class CircuitBreakerState {
  /** Failures in a row that open the circuit. */
  readonly failureThreshold: number
  /** How long it stays open before letting probes through, in ms. */
  readonly resetAfterMs: number
  /** Probes let through at once while half-open. */
  readonly halfOpenMax: number
  readonly #onTransition: ((to: CircuitState, from: CircuitState, now: number) => void) | undefined
  #state: CircuitState = 'closed'
  #consecutiveFailures = 0
  #openedAt = 0
  #probesInFlight = 0

  constructor(options: CircuitBreakerStateOptions = {}) {
    validateStateOptions(options, 'CircuitBreakerState')
    this.failureThreshold = options.failureThreshold ?? DEFAULT_CIRCUIT_BREAKER.failureThreshold
    this.resetAfterMs = options.resetAfterMs ?? DEFAULT_CIRCUIT_BREAKER.resetAfterMs
    this.halfOpenMax = options.halfOpenMax ?? DEFAULT_CIRCUIT_BREAKER.halfOpenMax
    this.#onTransition = options.onTransition
  }

  /** The state as of the last call; use {@link advance} to account for time that has passed since. */
  get state(): CircuitState {
    return this.#state
  }

  /** Failures in a row since the last success (reset when the circuit closes). */
  get consecutiveFailures(): number {
    return this.#consecutiveFailures
  }

  /** Probe calls in flight while half-open. */
  get probesInFlight(): number {
    return this.#probesInFlight
  }

  /** When an open circuit will let probes through (time in the caller's clock), or undefined if not open. */
  get halfOpensAt(): number | undefined {
    return this.#state === 'open' ? this.#openedAt + this.resetAfterMs : undefined
  }

  /** Applies the passage of time (open turns half-open after `resetAfterMs`) and returns the state. */
  advance(now: number): CircuitState {
    if (this.#state === 'open' && now >= this.#openedAt + this.resetAfterMs) {
      this.#probesInFlight = 0
      this.#transition('half-open', now)
    }
    return this.#state
  }

  /**
   * Whether a call may go ahead now. While half-open, a `true` reserves a probe
   * slot that the call's `onSuccess`/`onFailure`/`onAbandon` gives back.
   */
  canPass(now: number): boolean {
    switch (this.advance(now)) {
      case 'closed':
        return true
      case 'open':
        return false
      case 'half-open':
        if (this.#probesInFlight >= this.halfOpenMax) return false
        this.#probesInFlight++
        return true
    }
  }

  /** A call that was let through succeeded. */
  onSuccess(now: number): void {
    if (this.#state === 'open') return
    this.#consecutiveFailures = 0
    if (this.#state === 'half-open') {
      this.#probesInFlight = 0
      this.#transition('closed', now)
    }
  }

  /** A call that was let through failed. */
  onFailure(now: number): void {
    if (this.#state === 'open') return
    this.#consecutiveFailures++
    if (this.#state === 'half-open' || this.#consecutiveFailures >= this.failureThreshold) {
      this.#openedAt = now
      this.#probesInFlight = 0
      this.#transition('open', now)
    }
  }

  /** A call that was let through ended without telling success from failure (cancelled, or an error that is not a failure). */
  onAbandon(_now: number): void {
    if (this.#state === 'half-open' && this.#probesInFlight > 0) this.#probesInFlight--
  }

  #transition(to: CircuitState, now: number): void {
    const from = this.#state
    this.#state = to
    this.#onTransition?.(to, from, now)
  }
}

/** Options of {@link circuitBreaker}. */
export interface CircuitBreakerOptions extends Omit<CircuitBreakerStateOptions, 'onTransition'> {
  /** Which errors count as failures; others pass through without counting either way. A throw errors the call with what was thrown and counts as a failure. Default: every error. */
  isFailure?: (error: unknown) => boolean
  /** Named in errors, such as `produce orders/3`. Default `circuit`. */
  name?: string
  /** Where the guarded operation works; copied into each {@link CircuitOpenError}. */
  location?: ErrorLocation
  /** Clock of the state machine and scheduler of the half-open timer of `state$`. Default `asyncScheduler`. */
  scheduler?: SchedulerLike
}

/** Options of {@link CircuitBreaker.operator}. */
export interface CircuitBreakerOperatorOptions {
  /** How many calls may run at once. Default 1 (calls run one after another, in order, like `concatMap`). */
  concurrency?: number
}

/**
 * A circuit breaker for Observables: {@link CircuitBreaker.wrap} guards one
 * call, {@link CircuitBreaker.operator} guards a call per value, and `state$`
 * shows the state. Create it with {@link circuitBreaker}.
 *
 * A call succeeds at its first value or, if it has none, at completion; it
 * fails when it errors first with an error that `isFailure` accepts; an
 * unsubscribe before either gives its probe slot back.
 *
 * @example
 * ```ts
 * import { circuitBreaker } from 'rxkafka'
 * const breaker = circuitBreaker({ name: 'geo-lookup', failureThreshold: 3, resetAfterMs: 2_000 })
 * const location$ = breaker.wrap(lookup(ip))      // refused at once while the circuit is open
 * if (breaker.state === 'open') console.warn('geo-lookup is failing')
 * ```
 */
export class CircuitBreaker {
  /** The state machine; share it with code that checks the breaker without Observables. */
  readonly core: CircuitBreakerState
  /** The current state on subscribe, then every change, including open turning half-open on time. */
  readonly state$: Observable<CircuitState>
  readonly #isFailure: (error: unknown) => boolean
  readonly #name: string
  readonly #location: ErrorLocation
  readonly #scheduler: SchedulerLike
  readonly #watchers = new Set<Subscriber<CircuitState>>()
  #halfOpenTimer: Subscription | undefined

  constructor(options: CircuitBreakerOptions = {}) {
    validateStateOptions(options, 'circuitBreaker')
    checkFunction('circuitBreaker', 'isFailure', options.isFailure)
    this.#isFailure = options.isFailure ?? (() => true)
    this.#name = options.name ?? 'circuit'
    this.#location = options.location ?? {}
    this.#scheduler = options.scheduler ?? asyncScheduler
    this.core = new CircuitBreakerState({
      failureThreshold: options.failureThreshold,
      resetAfterMs: options.resetAfterMs,
      halfOpenMax: options.halfOpenMax,
      onTransition: (to) => this.#onTransition(to),
    })
    this.state$ = new Observable<CircuitState>((subscriber) => {
      // Advance before registering, so a transition due now is not delivered twice.
      const current = this.core.advance(this.#scheduler.now())
      this.#watchers.add(subscriber)
      subscriber.next(current)
      if (this.core.state === 'open') this.#armHalfOpenTimer()
      return () => {
        this.#watchers.delete(subscriber)
        if (this.#watchers.size === 0) this.#disarmHalfOpenTimer()
      }
    })
  }

  /** The current state, accounting for the time passed since the last call. */
  get state(): CircuitState {
    return this.core.advance(this.#scheduler.now())
  }

  /**
   * Guards one call: on subscribe, refuses with {@link CircuitOpenError} if the
   * circuit does not let it pass, else subscribes to `call` and records its outcome.
   *
   * ```
   * failureThreshold: 1, resetAfterMs: 5
   * call:     --#
   * wrap:     --#         (the same error; the call counted as a failure)
   * state$:   c-o----h    (half-opens resetAfterMs after the failure)
   * call:     a-#         (a value first: counted as a success, the later error passes uncounted)
   * ```
   */
  wrap<R>(call: ObservableInput<R>): Observable<R> {
    return new Observable<R>((subscriber) => {
      const core = this.core
      const scheduler = this.#scheduler
      if (!core.canPass(scheduler.now())) {
        subscriber.error(this.#refusal())
        return undefined
      }
      let input: Observable<R>
      try {
        input = from(call)
      } catch (error) {
        // Not an ObservableInput: nothing was tried, so give the slot back.
        core.onAbandon(scheduler.now())
        subscriber.error(error)
        return undefined
      }
      let settled = false
      const inner = input.subscribe({
        next: (value) => {
          if (!settled) {
            settled = true
            core.onSuccess(scheduler.now())
          }
          subscriber.next(value)
        },
        error: (error: unknown) => {
          if (settled) {
            subscriber.error(error)
            return
          }
          settled = true
          let failure: boolean
          try {
            failure = this.#isFailure(error)
          } catch (thrown) {
            core.onFailure(scheduler.now())
            subscriber.error(thrown)
            return
          }
          if (failure) core.onFailure(scheduler.now())
          else core.onAbandon(scheduler.now())
          subscriber.error(error)
        },
        complete: () => {
          if (!settled) {
            settled = true
            core.onSuccess(scheduler.now())
          }
          subscriber.complete()
        },
      })
      return () => {
        inner.unsubscribe()
        if (!settled) {
          settled = true
          core.onAbandon(scheduler.now())
        }
      }
    })
  }

  /**
   * An operator that runs `work` for each value, guarded by this breaker. While
   * the circuit is open the stream errors with {@link CircuitOpenError} at the
   * next value, without calling `work` (catch it inside a flattening operator
   * to skip values instead).
   *
   * ```
   * source:  a-b-c|          work(v) = -V|   (V: v in upper case)
   * output:  -A-B-C|         (concurrency 1: one call at a time, in order)
   *
   * source:  -a              (circuit open)
   * output:  -#              (CircuitOpenError; work is not called)
   * ```
   *
   * @example
   * ```ts
   * import { circuitBreaker } from 'rxkafka'
   * const breaker = circuitBreaker({ name: 'billing-api', failureThreshold: 3, resetAfterMs: 5_000 })
   * breaker.state$.subscribe(s => console.log('billing-api is', s))
   * invoices$.pipe(breaker.operator(invoice => postInvoice(invoice), { concurrency: 4 })).subscribe()
   * ```
   */
  operator<T, R>(work: (value: T, index: number) => ObservableInput<R>, options: CircuitBreakerOperatorOptions = {}): OperatorFunction<T, R> {
    checkFunction('circuitBreaker.operator', 'work', work)
    checkCount('circuitBreaker.operator', 'concurrency', options.concurrency, 1)
    return mergeMap((value: T, index: number) => this.wrap(defer(() => work(value, index))), options.concurrency ?? 1)
  }

  #refusal(): CircuitOpenError {
    const halfOpensAt = this.core.halfOpensAt
    return new CircuitOpenError(this.#name, {
      ...this.#location,
      retryAfterMs: halfOpensAt === undefined ? undefined : Math.max(0, halfOpensAt - this.#scheduler.now()),
      consecutiveFailures: this.core.consecutiveFailures,
    })
  }

  #onTransition(to: CircuitState): void {
    if (to === 'open') this.#armHalfOpenTimer()
    else this.#disarmHalfOpenTimer()
    for (const watcher of this.#watchers) watcher.next(to)
  }

  // The half-open timer exists only while someone watches state$: calls see the
  // transition through canPass anyway, and an idle breaker must not hold a timer.
  #armHalfOpenTimer(): void {
    this.#disarmHalfOpenTimer()
    if (this.#watchers.size === 0) return
    const due = this.core.halfOpensAt
    if (due === undefined || due === Infinity) return
    const check = (): void => {
      this.#halfOpenTimer = undefined
      if (this.core.advance(this.#scheduler.now()) === 'open') {
        // A timer may fire a little before the clock it is compared with says it is due.
        const remaining = (this.core.halfOpensAt ?? 0) - this.#scheduler.now()
        this.#halfOpenTimer = this.#scheduler.schedule(check, Math.max(1, remaining))
      }
    }
    this.#halfOpenTimer = this.#scheduler.schedule(check, Math.max(0, due - this.#scheduler.now()))
  }

  #disarmHalfOpenTimer(): void {
    this.#halfOpenTimer?.unsubscribe()
    this.#halfOpenTimer = undefined
  }
}

/**
 * Creates a {@link CircuitBreaker}: after `failureThreshold` failures in a row
 * it opens and refuses calls at once with {@link CircuitOpenError}; after
 * `resetAfterMs` it half-opens and lets up to `halfOpenMax` probe calls
 * through; a probe success closes it, a probe failure opens it again.
 *
 * ```
 * failureThreshold: 2, resetAfterMs: 10
 * f: a call that fails after 1 ms, s: a call that answers s after 1 ms
 *
 * calls:    f-f-s--------s
 * results:  -F-FO---------s    (F: failed; O: refused at once with CircuitOpenError)
 * state$:   c--o---------hc    (open at the 2nd failure, half-open 10 ms later, the probe closes it)
 * ```
 *
 * @example
 * ```ts
 * import { circuitBreaker, retryBackoff } from 'rxkafka'
 * const breaker = circuitBreaker({ failureThreshold: 5, resetAfterMs: 10_000, isFailure: e => !(e instanceof ValidationError) })
 * requests$.pipe(
 *   breaker.operator(req => callService(req)),
 *   retryBackoff({ retryable: e => e instanceof CircuitOpenError }),
 * ).subscribe()
 * ```
 */
export function circuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  return new CircuitBreaker(options)
}
