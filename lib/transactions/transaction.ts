/**
 * The plain form of a transaction: `transaction(client, { transactionalId },
 * async tx => ...)` writes everything the callback sends atomically. It
 * commits when the callback resolves and aborts when it throws. One
 * transactional producer per client and transactionalId is kept between
 * calls, so a second call does not initialise (and fence) again; calls with
 * the same id run one after another.
 */
import { defer, firstValueFrom } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { RxKafkaError, TransactionAbortedError, TransactionStateError } from '../errors/index.js'
import { checkDuration, checkInteger, checkName } from '../kit/options.js'
import {
  TransactionManager,
  type TransactionalProducerOptions,
  type TransactionalRecord,
  type TransactionalWrite,
  type TransactionGroupMetadata,
  type TransactionOffset,
} from '../producer/transaction-manager.js'

/** A record to send in a transaction, to the topic `send` names. */
export type TransactionMessage = Omit<TransactionalRecord, 'topic'>

/**
 * What the callback of {@link transaction} gets: sends and offset commits that
 * count only if the transaction commits.
 *
 * @example
 * ```ts
 * await kafka.transaction({ transactionalId: 'ledger-1' }, async (tx) => {
 *   await tx.send('debits', [{ key: 'acct-1', value: '-10' }])
 *   await tx.send('credits', [{ key: 'acct-2', value: '+10' }])
 * })
 * ```
 */
export interface TransactionContext {
  /** The transactional id this transaction runs under. */
  readonly transactionalId: string
  /** Writes messages to `topic` in the transaction; resolves with where each was written, once all are acknowledged. */
  send(topic: string, messages: readonly TransactionMessage[]): Promise<TransactionalWrite[]>
  /** Commits a consumer group's offsets in the transaction (KIP-447: the member's generation and id fence zombies). */
  sendOffsets(group: TransactionGroupMetadata, offsets: readonly TransactionOffset[]): Promise<void>
}

interface SharedProducer {
  manager: TransactionManager
  /** The end of the last queued transaction: calls with the same id run one after another. */
  tail: Promise<unknown>
  options: string
}

const producers = new WeakMap<ClusterClient, Map<string, SharedProducer>>()

/**
 * The transactional producer a client keeps for `options.transactionalId`
 * (made on first use). A fenced or failed one is kept too, so a zombie stays
 * fenced instead of fencing its successor by initialising again.
 *
 * @example
 * ```ts
 * const manager = transactionalProducer(kafka.cluster, { transactionalId: 'ledger-1' })
 * console.log(manager.counts.committed)
 * ```
 */
export function transactionalProducer(client: ClusterClient, options: TransactionalProducerOptions): TransactionManager {
  return shared(client, options).manager
}

function shared(client: ClusterClient, options: TransactionalProducerOptions): SharedProducer {
  validateTransactionalOptions(options, 'transaction')
  let byId = producers.get(client)
  if (byId === undefined) producers.set(client, (byId = new Map()))
  const key = JSON.stringify({ ...options, transactionalId: undefined })
  let entry = byId.get(options.transactionalId)
  if (entry === undefined) {
    entry = { manager: new TransactionManager(client, options), tail: Promise.resolve(), options: key }
    byId.set(options.transactionalId, entry)
  } else if (entry.options !== key) {
    throw new TransactionStateError(options.transactionalId, 'this client already has a transactional producer for the id with other options', 'Use the same transactionTimeoutMs, compression and retry settings for every transaction of one transactionalId')
  }
  return entry
}

/** Checks the options every transactional form takes. */
export function validateTransactionalOptions(options: TransactionalProducerOptions, owner: string): void {
  // Required: undefined is checked as the empty name, which is refused.
  checkName(owner, 'transactionalId', options.transactionalId ?? '', 'give each instance of the app its own stable id, such as `${app}-${instance}`')
  checkInteger(owner, 'transactionTimeoutMs', options.transactionTimeoutMs, 1, 2_147_483_647)
  checkDuration(owner, 'retryTimeoutMs', options.retryTimeoutMs)
}

/**
 * Runs `work` in one transaction: everything it sends (and the offsets it
 * commits) becomes visible to `read_committed` readers together when `work`
 * resolves, or not at all when it throws. Resolves with what `work` returned.
 *
 * Rejects with `work`'s own error after aborting, with
 * {@link TransactionAbortedError} when a send or the commit failed in a way
 * that aborts (after aborting), and with TransactionFencedError /
 * TransactionFailedError when the producer cannot go on.
 *
 * @example
 * ```ts
 * import { createKafka } from 'rxkafka'
 * const kafka = createKafka({ brokers: ['localhost:9092'] })
 * const written = await kafka.transaction({ transactionalId: 'orders-import-1' }, async (tx) => {
 *   const [a] = await tx.send('orders', [{ key: 'o-1', value: 'created' }])
 *   await tx.send('order-events', [{ key: 'o-1', value: 'order o-1 created' }])
 *   return a
 * })
 * ```
 */
export function transaction<T>(client: ClusterClient, options: TransactionalProducerOptions, work: (tx: TransactionContext) => Promise<T> | T): Promise<T> {
  let entry: SharedProducer
  try {
    entry = shared(client, options)
  } catch (error) {
    return Promise.reject(error)
  }
  const run = entry.tail.then(() => firstValueFrom(client.use(() => defer(() => runOne(entry.manager, work)))))
  entry.tail = run.catch(() => undefined)
  return run
}

async function runOne<T>(manager: TransactionManager, work: (tx: TransactionContext) => Promise<T> | T): Promise<T> {
  await manager.begin()
  let open = true
  const pending = new Set<Promise<unknown>>()
  const track = <R>(promise: Promise<R>): Promise<R> => {
    pending.add(promise)
    promise.then(() => pending.delete(promise), () => undefined)
    return promise
  }
  const closed = (what: string): Promise<never> =>
    Promise.reject(new TransactionStateError(manager.transactionalId, `${what} after the transaction ended`, 'Await every send inside the transaction callback; the transaction commits when the callback resolves'))
  const tx: TransactionContext = {
    transactionalId: manager.transactionalId,
    send: (topic, messages) => (open ? track(manager.send(messages.map((m) => ({ ...m, topic })))) : closed('send()')),
    sendOffsets: (group, offsets) => (open ? track(manager.sendOffsets(group, offsets)) : closed('sendOffsets()')),
  }
  let result: T
  try {
    result = await work(tx)
    // Sends the callback did not await still belong to the transaction: all must succeed before the commit.
    while (pending.size > 0) await Promise.all([...pending])
  } catch (error) {
    open = false
    await Promise.allSettled([...pending])
    await abortAfter(manager)
    if (manager.fatalError !== undefined) throw manager.fatalError
    throw error
  }
  open = false
  try {
    await manager.commit()
  } catch (error) {
    if (manager.fatalError !== undefined) throw manager.fatalError
    await abortAfter(manager)
    throw new TransactionAbortedError(manager.transactionalId, 'the commit failed', error, 'EndTxn')
  }
  return result
}

/** Aborts; a failure to abort that is not fatal leaves the next begin() to fence the open transaction by re-initialising. */
async function abortAfter(manager: TransactionManager): Promise<void> {
  try {
    await manager.abort()
  } catch (error) {
    if (!(error instanceof RxKafkaError)) throw error
  }
}
