/**
 * `transactionalWindow`: exactly-once consume-transform-produce over a
 * consumer group. The group's messages (all its partitions, merged) are cut
 * into windows by count, bytes or time; each window is one transaction:
 *
 *   begin -> transform(window) -> send its records -> commit the window's
 *   offsets (AddOffsetsToTxn + TxnOffsetCommit with the member's generation
 *   and id) -> commit -> done() on the window's messages
 *
 * A window whose transform or transaction fails with an abortable error is
 * aborted and its input read again: every partition substream is subscribed
 * anew, which restarts it at its first un-done message (nothing of an
 * uncommitted window was marked done). Fatal errors (fenced) end the stream.
 *
 * ```
 * group:    --a-b-c----d-e----|        (messages of every partition, merged)
 * windows:  --[a b c]--[d e]--         (count 3, or timeMs after the first)
 * output:   -------W1-------W2-|       (one result per committed or aborted window)
 * ```
 */
import { from, Observable, type ObservableInput, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { ConsumerGroup } from '../consumer/consume-group.js'
import type { ConsumerMessage } from '../consumer/consumer-message.js'
import type { PartitionStream } from '../consumer/partition-stream.js'
import { TransactionAbortedError, TransactionFailedError, TransactionFencedError, TransactionStateError } from '../errors/index.js'
import { checkCount, checkDuration, checkInteger } from '../kit/options.js'
import {
  TransactionManager,
  type TransactionalProducerOptions,
  type TransactionalRecord,
  type TransactionGroupMetadata,
  type TransactionOffset,
} from '../producer/transaction-manager.js'
import { validateTransactionalOptions } from './transaction.js'

/** How windows are cut, and the transactional producer that writes them. */
export interface TransactionalWindowOptions extends TransactionalProducerOptions {
  /** A window closes at this many messages. Default 500. */
  count?: number
  /** ... or when its keys and values add up to this many bytes. Default 1 MiB. */
  bytes?: number
  /** ... or this long after its first message arrived. Default 100 ms. */
  timeMs?: number
  /** The clock of the window timer. Default: the client's scheduler. */
  scheduler?: SchedulerLike
}

/** {@link TransactionalWindowOptions} for the standalone form, which names the client. */
export interface TransactionalWindowOptionsWithClient extends TransactionalWindowOptions {
  /** The cluster the producer writes to (the group's own client). */
  client: ClusterClient
}

/**
 * The records a window produces: an array, an Observable or a Promise of
 * records (or of arrays of records).
 */
export type WindowTransform = (messages: readonly ConsumerMessage[]) => ObservableInput<TransactionalRecord | readonly TransactionalRecord[]>

/** What happened to one window. */
export interface TransactionalWindowResult {
  /** `committed`: its records and offsets are visible together; `aborted`: neither is, and its input is read again. */
  outcome: 'committed' | 'aborted'
  /** Messages consumed in the window. */
  messages: number
  /** Records it produced (written, for a committed window). */
  records: number
  /** The offsets committed with it: the next offset to read per partition. */
  offsets: TransactionOffset[]
  /** Windows aborted in a row before this one (0 for a first attempt). */
  attempt: number
  /** Why it was aborted. */
  error?: TransactionAbortedError
}

/**
 * Exactly-once consume-transform-produce: each window of the group's
 * messages is transformed, and its records and its offsets are committed in
 * one transaction. Apply it to a {@link ConsumerGroup} (the Observable
 * `consumeGroup` returns); the group's own commits never run ahead of the
 * transactions, since a message is marked done only once its window commits.
 * Read the input with `isolationLevel: 'read_committed'` when it is itself
 * written transactionally.
 *
 * Emits one result per window, committed or aborted. Errors with
 * TransactionFencedError when a newer instance took the transactionalId, and
 * with TransactionFailedError or the group's own error when it cannot go on.
 *
 * @example
 * ```ts
 * kafka.consumeGroup({ groupId: 'enrich', topics: ['in'], isolationLevel: 'read_committed' }).pipe(
 *   kafka.transactionalWindow({ transactionalId: `enrich-${instance}`, count: 500, timeMs: 100 }, (messages) =>
 *     messages.map((m) => ({ topic: 'out', key: m.key, value: enrich(m.value) })),
 *   ),
 * ).subscribe((w) => console.log(w.outcome, w.messages))
 * ```
 */
export function transactionalWindow(options: TransactionalWindowOptionsWithClient, transform: WindowTransform): OperatorFunction<PartitionStream, TransactionalWindowResult> {
  validateTransactionalOptions(options, 'transactionalWindow')
  checkCount('transactionalWindow', 'count', options.count, 1)
  checkInteger('transactionalWindow', 'bytes', options.bytes, 1)
  checkDuration('transactionalWindow', 'timeMs', options.timeMs)
  const count = options.count ?? 500
  const maxBytes = options.bytes ?? 1024 * 1024
  const timeMs = options.timeMs ?? 100
  const client = options.client
  const scheduler = options.scheduler ?? client.scheduler

  return (source) =>
    new Observable<TransactionalWindowResult>((subscriber) => {
      if (!(source instanceof ConsumerGroup)) {
        subscriber.error(new TransactionStateError(options.transactionalId, 'transactionalWindow was applied to an Observable that is not a consumer group', 'Apply it directly to what consumeGroup returns: kafka.consumeGroup({...}).pipe(kafka.transactionalWindow(...))'))
        return
      }
      if (source.commitIntervalMs !== 0) {
        // A periodic commit of the done prefix while a later window's transactional offsets are pending would be
        // appended after them and win when that transaction commits: the committed offset would fall back.
        subscriber.error(new TransactionStateError(options.transactionalId, `transactionalWindow needs a group that does not commit by itself, but it commits every ${source.commitIntervalMs} ms`, 'Pass commitIntervalMs: 0 to consumeGroup (as a Java exactly-once app sets enable.auto.commit=false): the windows commit the offsets'))
        return
      }
      const manager = new TransactionManager(client, options)
      /** The member's current identity, from its latest assignment. */
      let member: TransactionGroupMetadata | undefined
      /** Live partition substreams and their current subscription. */
      const live = new Map<PartitionStream, Subscription>()
      let buffer: ConsumerMessage[] = []
      let bufferBytes = 0
      let timer: Subscription | undefined
      let running = false
      let stopped = false
      let abortsInARow = 0

      const subscribePartition = (partition$: PartitionStream): void => {
        const subscription = partition$.subscribe({
          next: (message) => {
            buffer.push(message)
            bufferBytes += (message.key?.length ?? 0) + (message.value?.length ?? 0)
            maybeCut()
          },
          error: (error: unknown) => fail(error),
          complete: () => {
            if (live.get(partition$) === subscription) live.delete(partition$)
          },
        })
        if (subscription.closed) return
        live.set(partition$, subscription)
      }

      const maybeCut = (): void => {
        if (running || stopped || buffer.length === 0) return
        if (buffer.length >= count || bufferBytes >= maxBytes) {
          cut()
          return
        }
        timer ??= scheduler.schedule(() => {
          timer = undefined
          if (!running) cut()
        }, timeMs)
      }

      const cut = (): void => {
        timer?.unsubscribe()
        timer = undefined
        const window = buffer.length > count ? buffer.slice(0, count) : buffer
        buffer = buffer.length > count ? buffer.slice(count) : []
        bufferBytes = buffer.reduce((n, m) => n + (m.key?.length ?? 0) + (m.value?.length ?? 0), 0)
        running = true
        runWindow(window).then(
          (result) => {
            running = false
            if (stopped) return
            subscriber.next(result)
            maybeCut()
          },
          (error: unknown) => fail(error),
        )
      }

      const runWindow = async (window: ConsumerMessage[]): Promise<TransactionalWindowResult> => {
        const offsets = nextOffsets(window)
        const partitions = new Set(window.map((m) => `${m.topic}\u0000${m.partition}`))
        let records = 0
        try {
          await manager.begin()
          const output = await collect(transform(window))
          if (stopped) throw new TransactionAbortedError(options.transactionalId, 'the stream was unsubscribed', undefined)
          records = output.length
          const identity = member
          if (identity === undefined) throw new TransactionAbortedError(options.transactionalId, 'the group member has no assignment yet', undefined)
          // The writes and the offsets do not depend on each other: sent together, they cost one round trip less.
          await settleBoth(manager.send(output), manager.sendOffsets(identity, offsets))
          // A partition whose substream ended (revoked past the rebalance timeout) belongs to someone else now.
          const gone = [...partitions].some((key) => ![...live.keys()].some((p) => `${p.topic}\u0000${p.partition}` === key))
          if (gone) throw new TransactionAbortedError(options.transactionalId, 'a partition of the window was revoked before it committed', undefined)
          await manager.commit()
        } catch (error) {
          if (error instanceof TransactionFencedError || error instanceof TransactionFailedError) throw error
          await abortQuietly()
          if (manager.fatalError !== undefined) throw manager.fatalError
          const aborted = error instanceof TransactionAbortedError ? error : new TransactionAbortedError(options.transactionalId, 'the window failed', error)
          const attempt = abortsInARow++
          reread()
          return { outcome: 'aborted', messages: window.length, records: 0, offsets, attempt, error: aborted }
        }
        for (const m of window) m.done()
        const attempt = abortsInARow
        abortsInARow = 0
        return { outcome: 'committed', messages: window.length, records, offsets, attempt }
      }

      const abortQuietly = async (): Promise<void> => {
        try {
          await manager.abort()
        } catch {
          // Not fatal: the next begin() re-initialises the producer id, which aborts it at the coordinator.
        }
      }

      /** Every buffered message is dropped and every substream restarted at its first un-done message. */
      const reread = (): void => {
        buffer = []
        bufferBytes = 0
        timer?.unsubscribe()
        timer = undefined
        if (stopped) return
        for (const [partition$, subscription] of [...live]) {
          live.delete(partition$)
          subscription.unsubscribe()
          subscribePartition(partition$)
        }
      }

      const fail = (error: unknown): void => {
        if (stopped) return
        stop()
        subscriber.error(error)
      }

      const stop = (): void => {
        stopped = true
        timer?.unsubscribe()
        timer = undefined
        for (const s of live.values()) s.unsubscribe()
        live.clear()
        assignments?.unsubscribe()
        group?.unsubscribe()
        // An open transaction is aborted so it does not hold back read_committed readers until it times out.
        if (manager.inTransaction) void abortQuietly()
      }

      // Fence the predecessor first: its open transaction keeps the group's offsets unstable until it is aborted.
      manager.initialize().catch((error: unknown) => {
        if (error instanceof TransactionFencedError || error instanceof TransactionFailedError) fail(error)
      })
      let assignments: Subscription | undefined
      let group: Subscription | undefined
      assignments = source.assignments$.subscribe((event) => {
        member = { groupId: event.groupId, generationId: event.generationId, memberId: event.memberId, groupInstanceId: null }
      })
      group = source.subscribe({
        next: (partition$) => subscribePartition(partition$),
        error: (error: unknown) => fail(error),
        complete: () => {
          // The group ended (it was unsubscribed from elsewhere): finish the open window, then complete.
          const finish = (): void => {
            if (running) {
              scheduler.schedule(finish, 10)
              return
            }
            if (!stopped) {
              stop()
              subscriber.complete()
            }
          }
          finish()
        },
      })
      if (stopped) group.unsubscribe()
      return () => {
        if (!stopped) stop()
      }
    })
}

/** Per partition, one past the highest offset of the window (its messages arrive in offset order per partition). */
function nextOffsets(window: readonly ConsumerMessage[]): TransactionOffset[] {
  const byPartition = new Map<string, TransactionOffset>()
  for (const m of window) {
    const key = `${m.topic}\u0000${m.partition}`
    const next = m.offset + 1n
    const known = byPartition.get(key)
    if (known === undefined || next > known.offset) byPartition.set(key, { topic: m.topic, partition: m.partition, offset: next, leaderEpoch: m.leaderEpoch })
  }
  return [...byPartition.values()]
}

/** Both settled; rejects with the first failure (a fatal one first), so nothing is left running when the window aborts. */
async function settleBoth(a: Promise<unknown>, b: Promise<unknown>): Promise<void> {
  const [x, y] = await Promise.allSettled([a, b])
  const failures = [x, y].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
  if (failures.length === 0) return
  throw failures.find((e) => e instanceof TransactionFencedError || e instanceof TransactionFailedError) ?? failures[0]
}

function collect(input: ObservableInput<TransactionalRecord | readonly TransactionalRecord[]>): Promise<TransactionalRecord[]> {
  return new Promise((resolve, reject) => {
    const out: TransactionalRecord[] = []
    from(input).subscribe({
      next: (item) => {
        if (Array.isArray(item)) out.push(...(item as readonly TransactionalRecord[]))
        else out.push(item as TransactionalRecord)
      },
      error: reject,
      complete: () => resolve(out),
    })
  })
}
