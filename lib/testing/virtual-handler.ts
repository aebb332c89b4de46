/**
 * What one API of the virtual brokers is: its key, name and versions, the
 * handler that answers a decoded request, and the shape of the response that
 * fails the whole request (for injected errors). The subject files
 * (virtual-produce-fetch.ts, virtual-metadata.ts, virtual-group-apis.ts,
 * virtual-producer-ids.ts, virtual-transactions.ts, virtual-admin.ts) each
 * define theirs; virtual-apis.ts puts them in the table the brokers dispatch by.
 */
import type { VersionRange } from '../protocol/versions.js'
import type { VirtualBrokers } from './virtual-broker.js'

/** Where a handler runs and how it answers. `reply` may be called later (long polls, rebalances). */
export interface HandlerContext {
  broker: number
  version: number
  clientId: string
  nowMs: number
  reply: (response: unknown) => void
}

/** A handler's way to stop waiting when the request is abandoned (its broker went down). */
export type CancelWaiting = () => void

/** One API the virtual brokers serve. */
export interface VirtualApi {
  readonly apiKey: number
  /** The name as the protocol spells it. */
  readonly name: string
  /** The versions served: the recent ones a Kafka 3.7+/4.x broker speaks. */
  readonly versions: VersionRange
  /** Answers through `ctx.reply`, at once or later; returns how to stop a request that is still waiting. */
  handle(brokers: VirtualBrokers, request: unknown, ctx: HandlerContext): CancelWaiting | undefined
  /** The response a broker gives when it fails the whole request with `errorCode`, at the level the API reports errors; absent where none is modelled. */
  failed?(request: unknown, version: number, errorCode: number): unknown
}

/** An API whose handler and error shape see the request as its own type (the codecs decoded it at the negotiated version). */
export function virtualApi<Request>(api: {
  apiKey: number
  name: string
  versions: VersionRange
  handle(brokers: VirtualBrokers, request: Request, ctx: HandlerContext): CancelWaiting | undefined
  failed?(request: Request, version: number, errorCode: number): unknown
}): VirtualApi {
  return api as VirtualApi
}

/** A handler that answers at once with what `answer` returns. */
export function answering<Request>(
  answer: (brokers: VirtualBrokers, request: Request, ctx: HandlerContext) => unknown,
): (brokers: VirtualBrokers, request: Request, ctx: HandlerContext) => undefined {
  return (brokers, request, ctx) => {
    ctx.reply(answer(brokers, request, ctx))
    return undefined
  }
}
