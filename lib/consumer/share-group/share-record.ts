/**
 * A record of a share group (KIP-932): delivered to one member at a time,
 * under a lock, and settled by that member on its own with `accept()`,
 * `release()` or `reject()`. The first settlement counts; later calls are
 * ignored. The settlement reaches the broker with the member's next ShareFetch
 * or ShareAcknowledge of the record's partition.
 */
import type { ConsumedRecordFields, MessageHeader } from '../consumer-message.js'

/** How a share record was settled: Kafka's acknowledge types 1, 2 and 3. */
export type ShareAcknowledgement = 'accept' | 'release' | 'reject'

/**
 * One record delivered to this member of a share group.
 *
 * @example
 * ```ts
 * consumeShareGroup({ client, groupId: 'work', topics: ['jobs'], acknowledge: 'explicit' }).pipe(
 *   mergeMap(record => handle(record.value).pipe(
 *     tap({ complete: () => record.accept(), error: () => record.release() }),
 *   ), 8),
 * ).subscribe()
 * ```
 */
export interface ShareRecord extends ConsumedRecordFields {
  /** How many times the broker has delivered it, this delivery included (1 the first time). */
  readonly deliveryCount: number
  /** How it was settled, undefined while it is not. */
  readonly acknowledgement: ShareAcknowledgement | undefined
  /** Processed: the broker marks it done for the whole group. */
  accept(): void
  /** Not processed here: the broker delivers it again (to any member), with a higher delivery count. */
  release(): void
  /** Unprocessable: the broker archives it and delivers it to nobody again. */
  reject(): void
}

/** The member's representation of a delivered record. */
export class DeliveredShareRecord implements ShareRecord {
  acknowledgement: ShareAcknowledgement | undefined

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: bigint,
    readonly key: Buffer | null,
    readonly value: Buffer | null,
    readonly headers: readonly MessageHeader[],
    readonly timestamp: number,
    readonly deliveryCount: number,
    /** Called once, with the first settlement. */
    private readonly settle: (record: DeliveredShareRecord, how: ShareAcknowledgement) => void,
  ) {}

  accept(): void {
    this.acknowledge('accept')
  }

  release(): void {
    this.acknowledge('release')
  }

  reject(): void {
    this.acknowledge('reject')
  }

  private acknowledge(how: ShareAcknowledgement): void {
    if (this.acknowledgement !== undefined) return
    this.acknowledgement = how
    this.settle(this, how)
  }
}

/** Kafka's AcknowledgeType codes (0 is a gap: an acquired offset with no record). */
export const ACKNOWLEDGE_TYPE: Readonly<Record<ShareAcknowledgement | 'gap', number>> = { gap: 0, accept: 1, release: 2, reject: 3 }
