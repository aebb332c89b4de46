/**
 * A source of `messages` copies of one value, paced by its results the way a
 * real application keeps memory flat (docs/producer.md): it emits in chunks of
 * 10 000, never more than `window` ahead of the results, and waits for
 * `resultsSeen()` to be called when it has run ahead.
 */
import { Observable } from 'rxjs'
import type { ProducerMessage } from '../lib/producer/index.js'

export interface PacedSource {
  source: Observable<ProducerMessage>
  /** Call for every result: counts it, and every 10 000 lets a waiting source go on. */
  resultsSeen(): void
}

export function pacedSource(messages: number, window: number, value: Buffer): PacedSource {
  let done = 0
  let pull: (() => void) | undefined
  const source = new Observable<ProducerMessage>((subscriber) => {
    let sent = 0
    let stopped = false
    const pump = (): void => {
      pull = undefined
      while (!stopped && sent < messages && sent - done < window) {
        const end = Math.min(messages, sent + 10_000, done + window)
        for (; sent < end; sent++) subscriber.next({ value })
        if (sent - done < window) { setImmediate(pump); return }
      }
      if (sent >= messages) subscriber.complete()
      else pull = pump
    }
    pump()
    return () => { stopped = true }
  })
  return {
    source,
    resultsSeen: () => {
      done++
      if (pull !== undefined && done % 10_000 === 0) pull()
    },
  }
}
