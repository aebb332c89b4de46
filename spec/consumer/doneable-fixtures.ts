import { expect } from 'vitest'
import { TestScheduler } from 'rxjs/testing'
import type { Doneable } from '../../lib/consumer/consumer-message.js'

/** Shared fixtures of the specs of the message-handling operators. */
export interface Msg extends Doneable {
  readonly id: string
}

/** Messages a..e whose done() records [id, virtual time]. */
function messages(scheduler: TestScheduler, log: Array<[string, number]>): Record<string, Msg> {
  const make = (id: string): Msg => ({ id, done: () => { log.push([id, scheduler.now()]) } })
  return { a: make('a'), b: make('b'), c: make('c'), d: make('d'), e: make('e') }
}

export function setup(): { scheduler: TestScheduler; log: Array<[string, number]>; m: Record<string, Msg> } {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
  const log: Array<[string, number]> = []
  return { scheduler, log, m: messages(scheduler, log) }
}

export const upper = (msg: Msg): string => msg.id.toUpperCase()
