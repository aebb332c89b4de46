/**
 * `flushProducers(client)` / `kafka.flush()`: push out what every running
 * producer of a client holds, without ending any stream. Each producer seals
 * its open batches at once and the Promise resolves when every message it had
 * accepted before the call has its result.
 */
import type { ClusterClient } from '../cluster/cluster-client.js'

/** What a running producer offers to flush. */
export interface Flushable {
  flush(): Promise<void>
}

const running = new WeakMap<ClusterClient, Set<Flushable>>()

/** Records a running producer of `client`; the returned function removes it. */
export function registerFlushable(client: ClusterClient, producer: Flushable): () => void {
  let set = running.get(client)
  if (set === undefined) running.set(client, (set = new Set()))
  set.add(producer)
  return () => {
    set.delete(producer)
  }
}

/**
 * Flushes every running producer of the client: open batches are sealed and
 * sent without waiting for their linger, and the Promise resolves once every
 * message accepted before the call has its result (delivered, or failed as a
 * result in errorMode 'result'). It rejects when a producer's stream ends first
 * (unsubscribed, or failed in errorMode 'stream'). Streams stay open.
 *
 * @example
 * ```ts
 * import { createKafka, flushProducers } from 'rxkafka'
 * const kafka = createKafka({ brokers: ['localhost:9092'] })
 * events$.pipe(kafka.produceTo('events', { lingerMs: 1_000 })).subscribe()
 * process.on('SIGTERM', async () => { await flushProducers(kafka.cluster); process.exit(0) })
 * ```
 */
export async function flushProducers(client: ClusterClient): Promise<void> {
  const producers = [...(running.get(client) ?? [])]
  await Promise.all(producers.map((p) => p.flush()))
}
