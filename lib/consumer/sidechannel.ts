/**
 * The side-channel offset topic (off by default): a member that gives up
 * partitions publishes their commit points to a topic, and members starting
 * partitions read it, so a hand-over does not rewind when the coordinator
 * refuses commits during the rebalance.
 *
 * Every message of one group goes to one partition of the side-channel topic
 * (murmur2 of the group id, as the producer's default partitioner would), so a
 * member reads a single partition, from the end it finds when it starts.
 * Before choosing start offsets, a member waits (bounded) until it has read
 * everything published so far, so a hand-over published just before the
 * rebalance is seen.
 *
 * Writing is the producer's business, so this module does not import it: the
 * writer comes in as a {@link SidechannelWriter} (the package's `consumeGroup`
 * passes one built on `send`).
 */
import { defer, mergeMap, Observable, of, Subscription, switchMap, take, timer } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { partitionInfo } from '../cluster/cluster-view.js'
import { murmur2Partition } from '../kit/murmur2.js'
import { consumePartitions } from './consume-partitions.js'
import { listOffsets, partitionKey } from './offset-requests.js'

/**
 * Writes one record to the side-channel topic, keyed (so it lands on the
 * partition murmur2 of the key picks), and emits once when the broker has it.
 */
export type SidechannelWriter = (client: ClusterClient, topic: string, record: { key: string; value: string }) => Observable<void>

/** The side channel of a group: its topic and how to write to it. */
export interface SidechannelSettings {
  topic: string
  write: SidechannelWriter
}

/** One published hand-over. */
interface SidechannelRecord {
  v: 1
  groupId: string
  memberId: string
  generationId: number
  /** [topic, partition, offset as a decimal string] */
  offsets: [string, number, string][]
}

/** How long a member waits to catch up with the side channel before choosing start offsets. */
const CATCH_UP_MS = 5_000
const POLL_MS = 20

export class SidechannelOffsets {
  private readonly latest = new Map<string, bigint>()
  private readonly lifetime = new Subscription()
  private partition = -1
  /** Next offset of the side-channel partition the reader will see; -1n until it has started. */
  private nextOffset = -1n

  private readonly topic: string
  private readonly write: SidechannelWriter

  constructor(
    private readonly client: ClusterClient,
    settings: SidechannelSettings,
    private readonly groupId: string,
  ) {
    this.topic = settings.topic
    this.write = settings.write
  }

  /** Starts reading; errors go to `onError` (the side channel is an optimisation, never fatal). */
  start(onError: (error: unknown) => void): void {
    this.lifetime.add(
      this.client
        .ensureTopics([this.topic])
        .pipe(
          take(1),
          switchMap((view) => {
            const count = view.topics.get(this.topic)!.partitions.length
            this.partition = murmur2Partition(Buffer.from(this.groupId), count)
            const leader = partitionInfo(view, this.topic, this.partition)?.leader ?? -1
            return listOffsets(this.client, leader, this.topic, [this.partition], 'latest', 0, 30_000)
          }),
          switchMap((ends) => {
            const start = ends.get(this.partition) ?? 0n
            this.nextOffset = start
            return consumePartitions({ client: this.client, topic: this.topic, partitions: [this.partition], from: start }).pipe(mergeMap((p$) => p$))
          }),
        )
        .subscribe({
          next: (msg) => {
            this.nextOffset = msg.offset + 1n
            this.read(msg.value)
            msg.done()
          },
          error: onError,
        }),
    )
  }

  stop(): void {
    this.lifetime.unsubscribe()
  }

  /** The newest offset handed over for a partition, if any was seen. */
  lookup(topic: string, partition: number): bigint | undefined {
    return this.latest.get(partitionKey(topic, partition))
  }

  /** Publishes commit points; emits once when the broker has them. */
  publish(memberId: string, generationId: number, offsets: readonly { topic: string; partition: number; offset: bigint }[]): Observable<void> {
    if (offsets.length === 0) return of(undefined)
    const record: SidechannelRecord = {
      v: 1,
      groupId: this.groupId,
      memberId,
      generationId,
      offsets: offsets.map((o) => [o.topic, o.partition, o.offset.toString()]),
    }
    return defer(() => this.write(this.client, this.topic, { key: this.groupId, value: JSON.stringify(record) }))
  }

  /** Emits once the reader has seen everything published before this call (or after a bounded wait). */
  caughtUp(): Observable<void> {
    return defer(() => {
      if (this.partition < 0 || this.nextOffset < 0n) return of(undefined)
      const leader = partitionInfo(this.client.currentView(), this.topic, this.partition)?.leader ?? -1
      const started = this.client.scheduler.now()
      return listOffsets(this.client, leader, this.topic, [this.partition], 'latest', 0, CATCH_UP_MS).pipe(
        switchMap((ends) => {
          const target = ends.get(this.partition) ?? 0n
          const poll = (): Observable<void> =>
            this.nextOffset >= target || this.client.scheduler.now() - started >= CATCH_UP_MS
              ? of(undefined)
              : timer(POLL_MS, this.client.scheduler).pipe(switchMap(poll))
          return poll()
        }),
      )
    })
  }

  private read(value: Buffer | null): void {
    if (value === null) return
    let record: SidechannelRecord
    try {
      record = JSON.parse(value.toString('utf8')) as SidechannelRecord
    } catch {
      return // not ours: another writer's message on a shared topic
    }
    if (record.v !== 1 || record.groupId !== this.groupId || !Array.isArray(record.offsets)) return
    for (const [topic, partition, offset] of record.offsets) {
      const key = partitionKey(topic, partition)
      const value = BigInt(offset)
      const known = this.latest.get(key)
      if (known === undefined || value > known) this.latest.set(key, value)
    }
  }
}
