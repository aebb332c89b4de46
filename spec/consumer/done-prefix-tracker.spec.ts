import { describe, expect, it } from 'vitest'
import { DonePrefixTracker } from '../../lib/consumer/done-prefix-tracker.js'

function tracker(options: { inOrderDone?: boolean; maxMessages?: number; maxBytes?: number; position?: bigint } = {}) {
  const events: string[] = []
  const t = new DonePrefixTracker('t', 0, options.position ?? 10n, options.inOrderDone ?? false, () => events.push('progress'), options.maxMessages ?? 1000, options.maxBytes ?? 1 << 30)
  return { t, events }
}

function deliver(t: DonePrefixTracker, offset: bigint, bytes = 1) {
  return t.deliver(offset, null, Buffer.alloc(bytes), [], 0, -1)
}

describe('DonePrefixTracker', () => {
  it('commits the starting position while nothing was delivered', () => {
    expect(tracker().t.commitPoint).toBe(10n)
  })

  it('keeps the commit point at the first un-done message when later ones are done first', () => {
    const { t } = tracker()
    const m = [10n, 11n, 12n, 13n].map((o) => deliver(t, o))
    expect(t.commitPoint).toBe(10n)
    m[2]!.done()
    m[1]!.done()
    expect(t.commitPoint).toBe(10n)
    expect(t.undoneCount).toBe(2)
    m[0]!.done()
    expect(t.commitPoint).toBe(13n)
    m[3]!.done()
    expect(t.commitPoint).toBe(14n)
    expect(t.undoneCount).toBe(0)
  })

  it('commits past gaps (compaction, control records) once everything before is done', () => {
    const { t } = tracker()
    const a = deliver(t, 10n)
    const b = deliver(t, 15n)
    t.skipTo(20n)
    a.done()
    expect(t.commitPoint).toBe(15n)
    b.done()
    expect(t.commitPoint).toBe(20n)
  })

  it('treats a second done() on a message as a no-op', () => {
    const { t } = tracker()
    const a = deliver(t, 10n)
    deliver(t, 11n)
    a.done()
    a.done()
    expect(t.undoneCount).toBe(1)
    expect(t.commitPoint).toBe(11n)
  })

  it('with inOrderDone, done() on a message settles every earlier one', () => {
    const { t } = tracker({ inOrderDone: true })
    const m = [10n, 11n, 12n, 13n].map((o) => deliver(t, o, 5))
    m[2]!.done()
    expect(t.commitPoint).toBe(13n)
    expect(t.undoneCount).toBe(1)
    expect(t.undoneBytes).toBe(5)
    m[0]!.done() // already settled: nothing changes
    expect(t.undoneCount).toBe(1)
  })

  it('counts un-done messages and bytes against the limits and reports when it drains below them', () => {
    const { t, events } = tracker({ maxMessages: 2, maxBytes: 100 })
    const a = deliver(t, 10n, 10)
    expect(t.full).toBe(false)
    const b = deliver(t, 11n, 10)
    expect(t.full).toBe(true)
    b.done()
    expect(t.full).toBe(false)
    expect(events).toEqual(['progress'])
    a.done()
    expect(events).toEqual(['progress', 'progress'])
    const big = deliver(t, 12n, 100)
    expect(t.full).toBe(true)
    big.done()
    expect(t.undoneBytes).toBe(0)
  })

  it('ignores done() from before a reset, and restarts counting from the new position', () => {
    const { t } = tracker()
    const old = deliver(t, 10n)
    deliver(t, 11n)
    t.reset(10n)
    expect(t.undoneCount).toBe(0)
    old.done()
    expect(t.undoneCount).toBe(0)
    expect(t.commitPoint).toBe(10n)
    const again = deliver(t, 10n)
    expect(t.commitPoint).toBe(10n)
    again.done()
    expect(t.commitPoint).toBe(11n)
  })

  it('markDoneUpTo settles delivered messages below the offset and moves the commit point', () => {
    const { t } = tracker()
    deliver(t, 10n)
    deliver(t, 11n)
    deliver(t, 12n)
    t.markDoneUpTo(12n)
    expect(t.commitPoint).toBe(12n)
    expect(t.undoneCount).toBe(1)
    const fresh = tracker().t
    fresh.markDoneUpTo(42n)
    expect(fresh.commitPoint).toBe(42n)
  })

  it('stays correct over many messages done in a shuffled order (compaction of its queue included)', () => {
    const { t } = tracker({ position: 0n, maxMessages: 1 << 30 })
    const n = 20_000
    const messages = Array.from({ length: n }, (_, i) => deliver(t, BigInt(i)))
    // Deterministic shuffle so a failure reproduces.
    let seed = 12345
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
    const order = messages.map((_, i) => i)
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[order[i], order[j]] = [order[j]!, order[i]!]
    }
    const done = new Array<boolean>(n).fill(false)
    let expectedPrefix = 0
    for (const i of order) {
      messages[i]!.done()
      done[i] = true
      while (expectedPrefix < n && done[expectedPrefix]) expectedPrefix++
      expect(t.commitPoint).toBe(BigInt(expectedPrefix))
    }
    expect(t.undoneCount).toBe(0)
  })
})

describe('DonePrefixTracker.fetchBudget', () => {
  const value = (bytes: number) => Buffer.alloc(bytes)

  it('asks for the full partition size before anything was delivered, within the byte limit', () => {
    expect(new DonePrefixTracker('t', 0, 0n, false, () => undefined, 20, 16_777_216).fetchBudget(1_048_576)).toBe(1_048_576)
    expect(new DonePrefixTracker('t', 0, 0n, false, () => undefined, 20, 1_000_000).fetchBudget(1_048_576)).toBe(1_000_000)
  })

  it('asks only for what the message limit leaves room for, by the size of recent messages', () => {
    const tracker = new DonePrefixTracker('t', 0, 0n, false, () => undefined, 20, 1_000_000)
    const delivered = Array.from({ length: 10 }, (_, i) => tracker.deliver(BigInt(i), null, value(100), [], 0, 0))
    expect(tracker.fetchBudget(1_048_576)).toBe(10 * (100 + 10)) // 10 more messages of ~110 bytes framed
    for (const m of delivered) m.done()
    expect(tracker.fetchBudget(1_048_576)).toBe(20 * 110) // all done: room for 20, sized by the last message
  })

  it('asks only for what the byte limit leaves room for, never below 1 KiB', () => {
    const tracker = new DonePrefixTracker('t', 0, 0n, false, () => undefined, 1_000, 5_000)
    tracker.deliver(0n, null, value(3_000), [], 0, 0)
    expect(tracker.fetchBudget(1_048_576)).toBe(2_000)
    tracker.deliver(1n, null, value(1_990), [], 0, 0)
    expect(tracker.fetchBudget(1_048_576)).toBe(1_024)
  })
})
