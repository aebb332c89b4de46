/**
 * `consumeShareGroup`: a share group (KIP-932, "queues for Kafka") as an
 * Observable of records, each settled on its own.
 */
import { Observable, Subject } from 'rxjs'
import type { RxKafkaError } from '../../errors/index.js'
import { resolveShareGroupOptions, type ConsumeShareGroupOptions } from './share-group-options.js'
import { ShareGroupMember } from './share-group-member.js'
import type { ShareRecord } from './share-record.js'

/**
 * The Observable `consumeShareGroup` returns, with the problems it recovers
 * from by itself on `errors$` (hot, never completes). Each subscription is
 * one member of the share group.
 */
export class ShareGroupConsumer extends Observable<ShareRecord> {
  /** Problems the member recovers from (retries, rejoins, settlements the broker refused): for logs and alerts. */
  readonly errors$: Observable<RxKafkaError>

  /** @internal Made by {@link consumeShareGroup}. */
  constructor(options: ConsumeShareGroupOptions) {
    const resolved = resolveShareGroupOptions(options)
    const errors = new Subject<RxKafkaError>()
    super((subscriber) =>
      options.client
        .use(
          () =>
            new Observable<ShareRecord>((inner) => {
              const member = new ShareGroupMember(options.client, resolved, inner, (e) => errors.next(e))
              member.start()
              return () => member.stop()
            }),
        )
        .subscribe(subscriber),
    )
    this.errors$ = errors.asObservable()
  }
}

/**
 * Joins a share group and emits the records the broker hands this member.
 * Several members read the same partitions; each record goes to one member at
 * a time under a lock, and is settled with `accept()` (done), `release()`
 * (deliver it again, to anyone) or `reject()` (never again). By default a
 * record is accepted when the subscriber's handling of it returns; with
 * `acknowledge: 'explicit'` the handler settles every record itself. The
 * member holds at most `maxUnacknowledged` un-settled records. Unsubscribing
 * releases what it holds and leaves the group. Needs Apache Kafka 4.2+
 * (share groups are GA there); see docs/share-groups.md.
 *
 * @example
 * ```ts
 * import { consumeShareGroup } from 'rxkafka'
 * import { from, mergeMap, tap } from 'rxjs'
 *
 * consumeShareGroup({ client, groupId: 'mailers', topics: ['emails'], acknowledge: 'explicit' }).pipe(
 *   mergeMap(record => from(send(record.value)).pipe(
 *     tap({ complete: () => record.accept(), error: () => record.deliveryCount < 5 ? record.release() : record.reject() }),
 *   ), 16),
 * ).subscribe()
 * ```
 */
export function consumeShareGroup(options: ConsumeShareGroupOptions): ShareGroupConsumer {
  return new ShareGroupConsumer(options)
}
