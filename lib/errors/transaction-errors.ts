/**
 * Errors of transactional producing. Kafka sorts what can go wrong inside a
 * transaction into three kinds, and so do these: retriable errors never
 * surface (they are retried), abortable ones abort the transaction and
 * surface as {@link TransactionAbortedError}, fatal ones end the producer:
 * {@link TransactionFencedError} and {@link TransactionFailedError}.
 */
import { RxKafkaError } from './rxkafka-error.js'

/**
 * The producer was fenced: another producer initialised the same
 * `transactionalId` (a newer instance of this app; this one is the zombie), so
 * the broker answered PRODUCER_FENCED or INVALID_PRODUCER_EPOCH. Fatal: the
 * producer stops; nothing it had not committed becomes visible.
 *
 * @example
 * ```ts
 * import { TransactionFencedError } from 'rxkafka'
 * window$.subscribe({ error: (e) => { if (e instanceof TransactionFencedError) process.exit(0) } }) // a newer instance took over
 * ```
 */
export class TransactionFencedError extends RxKafkaError {
  /** The transactional id that was fenced. */
  readonly transactionalId: string

  constructor(transactionalId: string, api: string, cause: unknown) {
    super('TRANSACTION_FENCED', `transactional producer ${JSON.stringify(transactionalId)} was fenced by a newer producer with the same id`, {
      api,
      cause,
      retriable: false,
      hint: 'Another instance initialised this transactionalId after this one: stop this instance (it is a zombie), or give each instance its own transactionalId',
    })
    this.transactionalId = transactionalId
  }
}

/**
 * A transaction was aborted: `cause` is why (an abortable broker error, a
 * delivery that failed, a rebalance that fenced the group generation, or the
 * error the transaction's own code threw). Nothing the transaction produced or
 * committed is visible to `read_committed` readers; the producer can run the
 * next transaction.
 *
 * @example
 * ```ts
 * import { TransactionAbortedError } from 'rxkafka'
 * try { await kafka.transaction({ transactionalId: 'billing-1' }, (tx) => tx.send('out', [{ value: 'a' }])) }
 * catch (e) { if (e instanceof TransactionAbortedError) console.warn('aborted:', e.cause) }
 * ```
 */
export class TransactionAbortedError extends RxKafkaError {
  /** The transactional id whose transaction was aborted. */
  readonly transactionalId: string

  constructor(transactionalId: string, reason: string, cause: unknown, api?: string) {
    const detail = cause instanceof Error ? `: ${cause.message}` : ''
    super('TRANSACTION_ABORTED', `transaction of ${JSON.stringify(transactionalId)} aborted (${reason})${detail}`, {
      api,
      cause,
      retriable: true,
      hint: 'Nothing of it is visible to read_committed readers; run it again (a transactionalWindow re-reads its input by itself)',
    })
    this.transactionalId = transactionalId
  }
}

/**
 * A transactional producer hit an error it cannot recover from: the broker
 * refused the transactional id (authorization), does not support
 * transactions, or answered with a state error. Fatal.
 *
 * @example
 * ```ts
 * import { TransactionFailedError } from 'rxkafka'
 * window$.subscribe({ error: (e) => { if (e instanceof TransactionFailedError) console.error(e.message, e.hint) } })
 * ```
 */
export class TransactionFailedError extends RxKafkaError {
  constructor(transactionalId: string, what: string, options: { api?: string; cause?: unknown; hint: string }) {
    super('TRANSACTION_FAILED', `transactional producer ${JSON.stringify(transactionalId)}: ${what}`, { ...options, retriable: false })
  }
}

/**
 * A transaction call made in a state that does not allow it: `send` after
 * the transaction ended, or a second transaction on one producer while the
 * first is open.
 *
 * @example
 * ```ts
 * import { TransactionStateError } from 'rxkafka'
 * let leaked: TransactionContext | undefined
 * await kafka.transaction({ transactionalId: 't' }, async (tx) => { leaked = tx })
 * await leaked!.send('out', [{ value: 'late' }]).catch((e) => e instanceof TransactionStateError) // true
 * ```
 */
export class TransactionStateError extends RxKafkaError {
  constructor(transactionalId: string, what: string, hint: string) {
    super('TRANSACTION_STATE', `transactional producer ${JSON.stringify(transactionalId)}: ${what}`, { retriable: false, hint })
  }
}
