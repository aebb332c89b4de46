/**
 * Transactions on the virtual cluster (lib/testing/virtual-transactions.ts),
 * in virtual time: commit and abort with their markers, the last stable
 * offset holding read_committed readers back, fencing, and a
 * transactionalWindow whose window at a chosen frame is aborted and re-read.
 *
 * The transactional producer awaits Promises, which TestScheduler.run cannot
 * interleave with its synchronous flush; these specs step a
 * VirtualTimeScheduler one millisecond at a time instead, letting the
 * microtasks of each step settle before the next, which is as deterministic.
 */
import { map, mergeAll, type Observable, VirtualTimeScheduler } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { consumePartitions } from '../../lib/consumer/consume-partitions.js'
import { consumeGroup } from '../../lib/consume-group.js'
import { TransactionFailedError, TransactionFencedError } from '../../lib/errors/index.js'
import { ErrorCode } from '../../lib/protocol/error-codes.js'
import { TransactionManager } from '../../lib/producer/transaction-manager.js'
import { createVirtualCluster, type VirtualCluster } from '../../lib/testing/index.js'
import { transaction, transactionalWindow, type TransactionalWindowResult } from '../../lib/transactions/index.js'

/** Runs the scheduler up to `frame`, a millisecond at a time, settling promises between steps. */
async function advanceTo(scheduler: VirtualTimeScheduler, frame: number): Promise<void> {
  for (let f = scheduler.maxFrames === Infinity ? 0 : scheduler.maxFrames; f <= frame; f++) {
    scheduler.maxFrames = f
    scheduler.flush()
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** Runs `work` while advancing virtual time, until it settles or `limit` frames passed. */
async function inVirtualTime<T>(scheduler: VirtualTimeScheduler, work: Promise<T>, limit = 10_000): Promise<T> {
  let settled = false
  work.then(() => (settled = true), () => (settled = true))
  const start = scheduler.maxFrames === Infinity ? 0 : scheduler.maxFrames
  for (let f = start; !settled && f < start + limit; f++) await advanceTo(scheduler, f)
  return work
}

function values(kafka: VirtualCluster, topic: string, isolationLevel: 'read_committed' | 'read_uncommitted'): string[] {
  const seen: string[] = []
  consumePartitions({ client: kafka, topic, from: 'earliest', isolationLevel })
    .pipe(mergeAll(), map((m) => m.value!.toString()))
    .subscribe((v) => seen.push(v))
  return seen
}

function newCluster(scheduler: VirtualTimeScheduler): VirtualCluster {
  scheduler.maxFrames = 0
  return createVirtualCluster({ scheduler, topics: [{ name: 'in' }, { name: 'out' }] })
}

describe('transactions on the virtual cluster', () => {
  it('commit and abort write markers: read_committed readers see committed records only, read_uncommitted ones everything', async () => {
    const scheduler = new VirtualTimeScheduler()
    const kafka = newCluster(scheduler)
    await inVirtualTime(scheduler, transaction(kafka, { transactionalId: 't' }, (tx) => tx.send('out', [{ value: 'a' }])))
    await inVirtualTime(scheduler, transaction(kafka, { transactionalId: 't' }, async (tx) => {
      await tx.send('out', [{ value: 'x' }])
      throw new Error('abort it')
    }).catch(() => undefined))
    await inVirtualTime(scheduler, transaction(kafka, { transactionalId: 't' }, (tx) => tx.send('out', [{ value: 'b' }])))
    const committed = values(kafka, 'out', 'read_committed')
    const uncommitted = values(kafka, 'out', 'read_uncommitted')
    await advanceTo(scheduler, scheduler.maxFrames + 500)
    expect(committed).toEqual(['a', 'b'])
    expect(uncommitted).toEqual(['a', 'x', 'b'])
    // Three records and three markers.
    expect(kafka.offsets('out', 0).endOffset).toBe(6n)
  })

  it('a cluster without a finalized transaction.version gets transaction version 1: explicit AddPartitionsToTxn, Produce v11, EndTxn v4, InitProducerId after an abort', async () => {
    const scheduler = new VirtualTimeScheduler()
    const kafka = newCluster(scheduler)
    expect(kafka.finalizedFeatures(1)).toEqual(new Map())
    const manager = new TransactionManager(kafka, { transactionalId: 'tv1' })
    await inVirtualTime(scheduler, manager.begin())
    expect(manager.transactionVersion).toBe(1)
    const first = manager.producer
    await inVirtualTime(scheduler, manager.send([{ topic: 'out', partition: 0, value: 'c1' }]))
    await inVirtualTime(scheduler, manager.commit())
    // TV1: a commit keeps the epoch.
    expect(manager.producer).toEqual(first)
    await inVirtualTime(scheduler, manager.begin())
    await inVirtualTime(scheduler, manager.send([{ topic: 'out', partition: 0, value: 'a1' }]))
    await inVirtualTime(scheduler, manager.abort())
    await inVirtualTime(scheduler, manager.begin())
    // TV1: the epoch is bumped by the InitProducerId after the abort.
    expect(manager.producer.producerEpoch).toBe(first.producerEpoch + 1)
    await inVirtualTime(scheduler, manager.abort())
    const log = kafka.requests()
    const versions = (api: string): number[] => [...new Set(log.filter((r) => r.api === api).map((r) => r.version))]
    expect(log.filter((r) => r.api === 'AddPartitionsToTxn')).toHaveLength(2)
    expect(log.filter((r) => r.api === 'InitProducerId')).toHaveLength(2)
    expect(versions('Produce')).toEqual([11])
    expect(versions('EndTxn')).toEqual([4])
  })

  it('an open transaction holds read_committed readers at its first offset (the last stable offset) until it ends', async () => {
    const scheduler = new VirtualTimeScheduler()
    const kafka = newCluster(scheduler)
    kafka.produceDirect('out', 0, [{ value: 'before' }])
    const manager = new TransactionManager(kafka, { transactionalId: 'open' })
    await inVirtualTime(scheduler, manager.begin())
    await inVirtualTime(scheduler, manager.send([{ topic: 'out', partition: 0, value: 'inside' }]))
    const committed = values(kafka, 'out', 'read_committed')
    const uncommitted = values(kafka, 'out', 'read_uncommitted')
    await advanceTo(scheduler, scheduler.maxFrames + 500)
    expect(committed).toEqual(['before'])
    expect(uncommitted).toEqual(['before', 'inside'])
    await inVirtualTime(scheduler, manager.commit())
    await advanceTo(scheduler, scheduler.maxFrames + 500)
    expect(committed).toEqual(['before', 'inside'])
  })

  it('a second producer with the same id fences the first: its open transaction is aborted and its next call fails with TransactionFencedError', async () => {
    const scheduler = new VirtualTimeScheduler()
    const kafka = newCluster(scheduler)
    const zombie = new TransactionManager(kafka, { transactionalId: 'z' })
    await inVirtualTime(scheduler, zombie.begin())
    await inVirtualTime(scheduler, zombie.send([{ topic: 'out', value: 'zombie' }]))
    const successor = new TransactionManager(kafka, { transactionalId: 'z' })
    await inVirtualTime(scheduler, successor.begin())
    const fenced = await inVirtualTime(scheduler, zombie.commit().then(() => undefined, (e: unknown) => e))
    expect(fenced).toBeInstanceOf(TransactionFencedError)
    await inVirtualTime(scheduler, successor.send([{ topic: 'out', value: 'successor' }]))
    await inVirtualTime(scheduler, successor.commit())
    const committed = values(kafka, 'out', 'read_committed')
    await advanceTo(scheduler, scheduler.maxFrames + 500)
    expect(committed).toEqual(['successor'])
  })

  it('transactionalWindow: the window of frame 300 is aborted at its transform and read again; the output holds every input once', async () => {
    const scheduler = new VirtualTimeScheduler()
    const kafka = newCluster(scheduler)
    for (const [frame, value] of [[100, 'a'], [200, 'b'], [300, 'c'], [400, 'd']] as const) {
      scheduler.schedule(() => kafka.produceDirect('in', 0, [{ value }]), frame)
    }
    let failedOnce = false
    const group = consumeGroup({ client: kafka, groupId: 'g', topics: ['in'], commitIntervalMs: 0, fromBeginning: true })
    const windows: Observable<TransactionalWindowResult> = group.pipe(
      transactionalWindow({ client: kafka, transactionalId: 'w', count: 1, timeMs: 10 }, (messages) => {
        if (messages[0]!.value!.toString() === 'c' && !failedOnce) {
          failedOnce = true
          throw new Error(`failed at frame ${scheduler.now()}`)
        }
        return messages.map((m) => ({ topic: 'out', value: m.value }))
      }),
    )
    const timeline: string[] = []
    const subscription = windows.subscribe((w) => timeline.push(`${w.outcome} ${w.offsets[0]!.offset} attempt ${w.attempt}${w.error === undefined ? '' : ` (${(w.error.cause as Error).message})`}`))
    await advanceTo(scheduler, 1_000)
    expect(timeline).toEqual([
      'committed 1 attempt 0',
      'committed 2 attempt 0',
      'aborted 3 attempt 0 (failed at frame 300)',
      'committed 3 attempt 1',
      'committed 4 attempt 0',
    ])
    const committed = values(kafka, 'out', 'read_committed')
    await advanceTo(scheduler, 1_500)
    expect(committed).toEqual(['a', 'b', 'c', 'd'])
    // The group's committed offset came from the transactions alone (the group commits nothing by itself).
    expect(kafka.committedOffsets('g').map((o) => [o.topic, o.partition, o.offset])).toEqual([['in', 0, 4n]])
    subscription.unsubscribe()
  })

  it('retriable errors inside a transaction are retried: CONCURRENT_TRANSACTIONS on AddPartitionsToTxn, NOT_COORDINATOR on EndTxn', async () => {
    const scheduler = new VirtualTimeScheduler()
    const kafka = newCluster(scheduler)
    kafka.injectError('AddPartitionsToTxn', ErrorCode.CONCURRENT_TRANSACTIONS, { count: 2 })
    kafka.injectError('EndTxn', ErrorCode.NOT_COORDINATOR)
    await inVirtualTime(scheduler, transaction(kafka, { transactionalId: 'r' }, (tx) => tx.send('out', [{ value: 'a' }])))
    const committed = values(kafka, 'out', 'read_committed')
    await advanceTo(scheduler, scheduler.maxFrames + 500)
    expect(committed).toEqual(['a'])
    const calls = kafka.requests().map((r) => r.api)
    expect(calls.filter((a) => a === 'AddPartitionsToTxn')).toHaveLength(3)
    expect(calls.filter((a) => a === 'EndTxn')).toHaveLength(2)
  })

  it('an abortable error (ILLEGAL_GENERATION on TxnOffsetCommit) aborts the window, whose input is read again', async () => {
    const scheduler = new VirtualTimeScheduler()
    const kafka = newCluster(scheduler)
    for (const value of ['a', 'b']) kafka.produceDirect('in', 0, [{ value }])
    kafka.injectError('TxnOffsetCommit', ErrorCode.ILLEGAL_GENERATION)
    const outcomes: string[] = []
    const subscription = consumeGroup({ client: kafka, groupId: 'g', topics: ['in'], commitIntervalMs: 0, fromBeginning: true })
      .pipe(transactionalWindow({ client: kafka, transactionalId: 'w', count: 2, timeMs: 10 }, (messages) => messages.map((m) => ({ topic: 'out', value: m.value }))))
      .subscribe((w) => outcomes.push(`${w.outcome}:${w.messages}${w.error === undefined ? '' : `:${(w.error.cause as { code?: string }).code}`}`))
    await advanceTo(scheduler, 1_000)
    expect(outcomes).toEqual(['aborted:2:ILLEGAL_GENERATION', 'committed:2'])
    const committed = values(kafka, 'out', 'read_committed')
    const uncommitted = values(kafka, 'out', 'read_uncommitted')
    await advanceTo(scheduler, 1_500)
    expect(committed).toEqual(['a', 'b'])
    // The aborted window's records are in the log, hidden from read_committed readers.
    expect(uncommitted).toEqual(['a', 'b', 'a', 'b'])
    subscription.unsubscribe()
  })

  it('a fatal error (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) ends the window stream with TransactionFailedError', async () => {
    const scheduler = new VirtualTimeScheduler()
    const kafka = newCluster(scheduler)
    kafka.produceDirect('in', 0, [{ value: 'a' }])
    kafka.injectError('InitProducerId', ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    let error: unknown
    consumeGroup({ client: kafka, groupId: 'g', topics: ['in'], commitIntervalMs: 0, fromBeginning: true })
      .pipe(transactionalWindow({ client: kafka, transactionalId: 'denied', count: 1 }, (messages) => messages.map((m) => ({ topic: 'out', value: m.value }))))
      .subscribe({ error: (e: unknown) => (error = e) })
    await advanceTo(scheduler, 500)
    expect(error).toBeInstanceOf(TransactionFailedError)
    expect((error as TransactionFailedError).code).toBe('TRANSACTION_FAILED')
  })
})
