/** Records: delete everything before an offset (DeleteRecords, at each partition's leader). */
import { map, type Observable, of } from 'rxjs'
import { AdminArgumentError } from '../errors/index.js'
import { DeleteRecordsApi } from '../protocol/messages/DeleteRecords.js'
import { settle, tpKey, type AdminRouter, type ItemAnswers } from './admin-routing.js'
import type { AdminItem, TopicPartition } from './admin-types.js'

/**
 * A partition's new earliest offset after DeleteRecords, or why not.
 *
 * @example
 * ```ts
 * const [r] = await kafka.admin.deleteRecords([{ topic: 'orders', partition: 0, before: 100n }])
 * if (r.ok) console.log(r.lowWatermark) // 100n
 * ```
 */
export type DeleteRecordsResult = AdminItem<TopicPartition, {
  /** The partition's first offset now. */
  lowWatermark: bigint
}>

/**
 * Deletes the records of each partition before `before` (-1n: before the
 * high watermark, so everything). OFFSET_OUT_OF_RANGE when `before` is past the end.
 *
 * @example
 * ```ts
 * deleteRecords(router, [{ topic: 'orders', partition: 0, before: 100n }]).subscribe(console.log)
 * ```
 */
export function deleteRecords(router: AdminRouter, partitions: readonly (TopicPartition & { before: bigint })[]): Observable<DeleteRecordsResult[]> {
  partitions.forEach((p, i) => {
    if (typeof p.before !== 'bigint' || p.before < -1n) throw new AdminArgumentError('deleteRecords', `partitions[${i}].before`, `must be a bigint >= -1n, got ${String(p.before)}`, 'pass an offset such as 100n, or -1n for everything')
  })
  if (partitions.length === 0) return of([])
  return router
    .toLeaders<TopicPartition & { before: bigint }, { lowWatermark: bigint }>(partitions, (leader, items) =>
      router.client
        .request(leader, DeleteRecordsApi, {
          timeoutMs: router.timeoutMs,
          topics: [...new Set(items.map((i) => i.topic))].map((name) => ({
            name,
            partitions: items.filter((i) => i.topic === name).map((i) => ({ partitionIndex: i.partition, offset: i.before })),
          })),
        })
        .pipe(
          map((response) => {
            const answers: ItemAnswers<{ lowWatermark: bigint }> = new Map()
            for (const t of response.topics) for (const p of t.partitions) answers.set(tpKey(t.name, p.partitionIndex), { errorCode: p.errorCode, value: { lowWatermark: p.lowWatermark } })
            return answers
          }),
        ),
    )
    .pipe(map((answers) => partitions.map((p) => settle({ topic: p.topic, partition: p.partition }, answers.get(tpKey(p.topic, p.partition)), { api: 'DeleteRecords', topic: p.topic, partition: p.partition }))))
}
