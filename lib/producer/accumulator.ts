/**
 * The accumulator: one message in, serialized (key, value, headers),
 * partitioned, and appended to its partition's open batch, which is sealed
 * (stamped for idempotence, compressed, queued) when full, at linger, or when
 * the cycle says so. This is the per-message hot path: one scratch record is
 * reused for every append, and nothing is allocated per message beyond what
 * the serializers return.
 */
import { batchSealed } from '../observability/producer-events.js'
import { InvalidPartitionError, ProducerInputError, RxKafkaError } from '../errors/index.js'
import type { ProducerRecordHeader } from '../protocol/records/record-batch-builder.js'
import { asError, INITIAL_BATCH_CAPACITY } from './engine-state.js'
import type { EngineHost } from './engine-state.js'
import { addSequence, ProducerBatch } from './producer-batch.js'
import type { PartitionQueues } from './partition-queue.js'
import { estimateSize, headersOf, serialize } from './record-input.js'
import type { EngineMessage, PartitionState, TopicState } from './partition-state.js'

const PARTITIONER_HINT = 'Fix the partitioner: it must return an integer partition of the topic'

export class Accumulator<M> {
  readonly #scratch: { key: Buffer | string | null; value: Buffer | string | null; headers: ProducerRecordHeader[] | undefined; timestamp: number } = {
    key: null,
    value: null,
    headers: undefined,
    timestamp: 0,
  }

  constructor(private readonly host: EngineHost<M>, private readonly queues: PartitionQueues<M>) {}

  /** Serializes, partitions and appends one message to its partition's open batch. */
  append(topic: TopicState<M>, message: EngineMessage<M>, now: number, accepted: number): void {
    const host = this.host
    const options = host.options
    const scratch = this.#scratch
    let key: Buffer | string | null
    let value: Buffer | string | null
    try {
      key = serialize(options.keySerializer, message.key, topic.name, 'key')
      value = serialize(options.valueSerializer, message.value, topic.name, 'value')
      scratch.headers = headersOf(message.headers, topic.name)
    } catch (error) {
      host.failMessage(topic.name, message.partition ?? -1, message.metadata, asError(error), now)
      return
    }
    const partitions = topic.partitions.length
    let partition = message.partition
    if (partition !== undefined) {
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
        host.failMessage(topic.name, partition, message.metadata, new InvalidPartitionError(topic.name, partition, partitions), now)
        return
      }
    } else {
      const available = this.queues.available(topic, now)
      const keyBytes = key === null ? null : typeof key === 'string' ? Buffer.from(key, 'utf8') : key
      try {
        partition = topic.partitioner.partition(keyBytes, message, partitions, available)
      } catch (error) {
        host.failMessage(topic.name, -1, message.metadata, new ProducerInputError('the partitioner threw', topic.name, error, PARTITIONER_HINT), now)
        return
      }
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
        host.failMessage(topic.name, -1, message.metadata, new ProducerInputError(`the partitioner returned ${String(partition)}, not a partition in 0..${partitions - 1}`, topic.name, undefined, PARTITIONER_HINT), now)
        return
      }
      if (!options.strictPartitioning && available.length > 0 && available.length < partitions && !available.includes(partition)) {
        partition = available[partition % available.length]!
      }
    }
    const state = topic.partitions[partition]!
    let batch = state.open
    if (batch !== undefined && batch.recordCount > 0 && batch.sizeInBytes + estimateSize(key, value) > options.batchBytes) {
      this.seal(state, now)
      batch = undefined
    }
    if (batch === undefined) {
      batch = new ProducerBatch<M>(now, options.deliveryTimeoutMs, Math.min(options.batchBytes + 1024, INITIAL_BATCH_CAPACITY))
      batch.firstAccepted = accepted
      state.open = batch
      host.state.openPartitions.add(state)
      host.scheduleWake(now + options.lingerMs)
    }
    const timestamp = message.timestamp ?? now
    scratch.key = key
    scratch.value = value
    scratch.timestamp = timestamp
    const before = batch.sizeInBytes
    try {
      batch.builder!.append(scratch)
    } catch (error) {
      if (batch.recordCount === 0) {
        state.open = undefined
        host.state.openPartitions.delete(state)
      }
      host.failMessage(topic.name, partition, message.metadata, new ProducerInputError('the message could not be encoded as a record', topic.name, error, 'Check the size of its key, value and headers'), now)
      return
    }
    const grown = batch.sizeInBytes - before
    batch.bufferedBytes += grown
    host.state.bufferedBytes += grown
    batch.metadata.push(message.metadata)
    batch.timestamps.push(timestamp)
    if (message.partition !== undefined) batch.pinned = true
    if (batch.recordCount >= options.batchMessages || batch.sizeInBytes >= options.batchBytes) {
      this.seal(state, now)
      host.kick()
    }
  }

  /** Closes the partition's open batch: stamps it (idempotent), compresses it (maybe on a codec worker) and queues it. */
  seal(state: PartitionState<M>, now: number): void {
    const host = this.host
    const { options, pid } = host
    const batch = state.open!
    state.open = undefined
    host.state.openPartitions.delete(state)
    let producerId = -1n
    let epoch = -1
    let sequence = -1
    if (options.idempotent && pid.state === 'ready') {
      this.queues.alignSequence(state)
      if (state.queue.every((b) => pid.stamps(b))) {
        producerId = pid.id
        epoch = pid.epoch
        sequence = state.nextSequence
        state.nextSequence = addSequence(sequence, batch.recordCount)
      }
    }
    try {
      // Large compressed batches go to a codec worker; the batch is queued meanwhile, held back until its bytes are back.
      const pool = options.codecPool
      if (pool !== undefined && batch.goesToWorker(pool, options.compression)) {
        batch.sealOnWorker(now, options.compression, pool, producerId, epoch, sequence, () => {
          batch.compressedAt = host.now()
          host.kick()
        })
      } else batch.seal(now, options.compression, producerId, epoch, sequence)
    } catch (error) {
      // A codec that fails fails every message of the batch; nothing was sent.
      batch.sealedAt = now
      if (sequence >= 0) state.nextSequence = sequence
      this.queues.releaseBuffer(batch)
      // A codec's own error (CodecUnavailableError: zstd without zlib support, ...) says what to do; it is the result's.
      const failure = error instanceof RxKafkaError
        ? error
        : new ProducerInputError(`compressing the batch with ${options.compression} failed`, state.topic.name, error, 'Use another compression, or report the codec failure')
      host.emitBatch(state, batch, undefined, -1, failure)
      return
    }
    batch.compressedAt = host.now()
    state.queue.push(batch)
    batchSealed(host.client.clientId, host.name, state.topic.name, state.partition, batch)
    host.state.pending.add(state)
    state.topic.partitioner.onBatchSealed(state.partition, this.queues.available(state.topic, now))
  }
}
