/**
 * InitProducerId in the virtual cluster: producer ids handed out from 1000 on,
 * the epoch of each, and the id a transactional id keeps across its
 * producers' lives. A new epoch of a transactional id tells the transaction
 * coordinator (virtual-transactions.ts), which aborts what the older epoch
 * left open; an epoch past Kafka's limit continues under a fresh id.
 */
import { ErrorCode } from '../protocol/error-codes.js'
import type { InitProducerIdRequest, InitProducerIdResponse } from '../protocol/messages/InitProducerId.js'
import { answering, virtualApi } from './virtual-handler.js'

const FIRST_PRODUCER_ID = 1000n
const MAX_EPOCH = 0x7fff

/** What the producer ids need from the cluster they belong to. */
export interface ProducerIdHost {
  /** The broker that coordinates a transactional id, -1 when none is up. */
  coordinatorFor(transactionalId: string): number
  /** A transactional id has this producer id and epoch from now on. */
  onInitProducerId(transactionalId: string, producerId: bigint, epoch: number): void
}

export const INIT_PRODUCER_ID_API = virtualApi<InitProducerIdRequest>({
  apiKey: 22,
  name: 'InitProducerId',
  versions: { minVersion: 0, maxVersion: 5 },
  handle: answering((brokers, request, ctx) => brokers.producerIds.initProducerId(request, ctx.broker)),
  failed: (_request, _version, errorCode) => refusal(errorCode),
})

/** The answer that gives no producer id. */
function refusal(errorCode: number): InitProducerIdResponse {
  return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 }
}

/** The producer ids of one virtual cluster. */
export class VirtualProducerIds {
  private nextProducerId = FIRST_PRODUCER_ID
  private readonly producerEpochs = new Map<bigint, number>()
  private readonly transactionalProducers = new Map<string, bigint>()

  constructor(private readonly host: ProducerIdHost) {}

  /** Answers InitProducerId sent to `broker`. */
  initProducerId(request: InitProducerIdRequest, broker: number): InitProducerIdResponse {
    let producerId: bigint
    if (request.transactionalId !== null) {
      if (this.host.coordinatorFor(request.transactionalId) !== broker) return refusal(ErrorCode.NOT_COORDINATOR)
      const known = this.transactionalProducers.get(request.transactionalId)
      if (known === undefined) {
        producerId = this.nextProducerId++
        this.transactionalProducers.set(request.transactionalId, producerId)
        this.producerEpochs.set(producerId, 0)
        this.host.onInitProducerId(request.transactionalId, producerId, 0)
        return { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: 0 }
      }
      producerId = known
    } else if ((request.producerId ?? -1n) >= 0n) {
      // KIP-360: an idempotent producer may ask to bump its epoch after a sequence error.
      producerId = request.producerId!
      const current = this.producerEpochs.get(producerId)
      if (current === undefined || current !== request.producerEpoch) return refusal(ErrorCode.INVALID_PRODUCER_EPOCH)
    } else {
      producerId = this.nextProducerId++
      this.producerEpochs.set(producerId, 0)
      return { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: 0 }
    }
    const epoch = this.producerEpochs.get(producerId)! + 1
    if (epoch > MAX_EPOCH) {
      // The epoch ran out: the producer continues under a fresh id.
      const fresh = this.nextProducerId++
      this.producerEpochs.set(fresh, 0)
      if (request.transactionalId !== null) {
        this.transactionalProducers.set(request.transactionalId, fresh)
        this.host.onInitProducerId(request.transactionalId, fresh, 0)
      }
      return { throttleTimeMs: 0, errorCode: 0, producerId: fresh, producerEpoch: 0 }
    }
    this.producerEpochs.set(producerId, epoch)
    // A new epoch fences the older one: the transaction it left open is aborted.
    if (request.transactionalId !== null) this.host.onInitProducerId(request.transactionalId, producerId, epoch)
    return { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: epoch }
  }
}
