/**
 * The start-position step of a KIP-848 member: the committed offsets of newly
 * assigned partitions (with the member epoch no generation is checked), then
 * each partition's start. A retriable or coordinator error retries the step
 * for the partitions still open after the fetch backoff; any other error is
 * fatal to the member.
 */
import { Subscription, timer, type SchedulerLike } from 'rxjs'
import { asRxKafkaError } from './fetcher.js'
import { isCoordinatorError } from './group-error-policy.js'
import { committedStarts, startSlots, type PartitionStartContext, type SlotStarted } from './partition-starts.js'
import type { PartitionSlot } from './partition-stream.js'
import type { RxKafkaError } from '../errors/index.js'

/** What the step needs of its member. */
export interface StartPositionSteps {
  readonly starts: PartitionStartContext
  readonly scheduler: SchedulerLike
  readonly retryBackoffMs: number
  /** Holds the step (and each retry) so that the member's end cancels it. */
  readonly lifetime: Subscription
  /** Where the committed offsets found are recorded (the diagnostics and the next commit read them). */
  readonly lastCommitted: Map<string, bigint>
  /** Read at each try: the coordinator may have moved since. */
  coordinator(): number | undefined
  reportError(error: RxKafkaError): void
  fatal(error: unknown): void
}

/** Looks up where `slots` start and calls `started` for each (not for one closed meanwhile: `started` checks). */
export function startPositions(steps: StartPositionSteps, slots: PartitionSlot[], started: SlotStarted): void {
  const coordinator = steps.coordinator()
  if (coordinator === undefined) return
  const work = new Subscription()
  steps.lifetime.add(work)
  work.add(
    committedStarts(steps.starts, coordinator, slots).subscribe({
      next: (committed) => {
        const live = slots.filter((s) => s.state !== 'closed')
        for (const s of live) {
          const c = committed.get(s.key) ?? null
          if (c !== null) steps.lastCommitted.set(s.key, c)
        }
        try {
          work.add(startSlots(steps.starts, live, committed, started))
        } catch (error) {
          steps.fatal(error)
        }
      },
      error: (error: unknown) => {
        const e = asRxKafkaError(error)
        if (!(isCoordinatorError(e) || e.retriable)) {
          steps.fatal(e)
          return
        }
        steps.reportError(e)
        work.add(timer(steps.retryBackoffMs, steps.scheduler).subscribe(() => startPositions(steps, slots.filter((s) => s.state !== 'closed'), started)))
      },
    }),
  )
}
