import type { FetchResponsePartitionData } from '../protocol/messages/Fetch.js'
import type { DecodedRecordBatch } from '../protocol/records/record-batch-decoder.js'

/** Control record type of an ABORT marker (the key is version int16, type int16). */
const CONTROL_TYPE_ABORT = 0

/**
 * read_committed bookkeeping for one partition's answer (Kafka's algorithm):
 * a producer's data is aborted from the first offset of an aborted transaction
 * until that producer's ABORT marker.
 */
export class AbortedTransactions {
  private readonly pending: { producerId: bigint; firstOffset: bigint }[]
  private readonly active = new Set<bigint>()

  constructor(data: FetchResponsePartitionData) {
    this.pending = [...(data.abortedTransactions ?? [])].sort((x, y) => (x.firstOffset < y.firstOffset ? -1 : x.firstOffset > y.firstOffset ? 1 : 0))
  }

  isAborted(batch: DecodedRecordBatch): boolean {
    this.advance(batch)
    return this.active.has(batch.producerId)
  }

  onControlBatch(batch: DecodedRecordBatch): void {
    this.advance(batch)
    const first = batch.records()[0]
    if (first === undefined || first.key === null || first.key.length < 4) return
    if (first.key.readInt16BE(2) === CONTROL_TYPE_ABORT) this.active.delete(batch.producerId)
  }

  private advance(batch: DecodedRecordBatch): void {
    while (this.pending.length > 0 && this.pending[0]!.firstOffset <= batch.lastOffset) this.active.add(this.pending.shift()!.producerId)
  }
}
