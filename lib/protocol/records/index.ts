/** Record batches: v2 encoder, lazy decoder of v2 and legacy message sets, CRC-32C. */
export { crc32c, crc32cCombine } from './crc32c.js'
export { CorruptRecordError } from '../../errors/index.js'
export {
  RECORD_BATCH_HEADER_BYTES,
  RecordBatchBuilder,
  SealedRecordBatch,
  buildControlBatch,
  compressRecords,
  sealRecords,
  stampProducerState,
} from './record-batch-builder.js'
export type {
  CompressedRecords,
  ControlBatchOptions,
  ProducerRecord,
  ProducerRecordHeader,
  RecordBatchBuilderOptions,
  SealOptions,
  UnsealedRecords,
} from './record-batch-builder.js'
export { DEFAULT_MAX_DECOMPRESSED_BYTES, decodeRecordBatches } from './record-batch-decoder.js'
export type {
  ConsumedRecord,
  ConsumedRecordHeader,
  DecodeRecordBatchesOptions,
  DecodedRecordBatch,
  DecodedRecordBatches,
  RecordBatchContext,
  TimestampType,
} from './record-batch-decoder.js'
export { parseControlRecord } from './control-record.js'
export type { ControlRecord } from './control-record.js'
