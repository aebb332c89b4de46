/**
 * Helpers for the consumer integration specs: test data produced by a client
 * we did not write (kcat), and small waits that poll a condition instead of
 * sleeping for a guessed time.
 */
import { runKcat } from '../testing/mock-helpers.js'

/** Produces `count` messages `key-i:value-i` (i from `start`) to one partition with kcat; `batchSize` caps messages per record batch. */
export async function produceWithKcat(bootstrap: string, topic: string, partition: number, count: number, start = 0, batchSize?: number): Promise<void> {
  const lines: string[] = []
  for (let i = start; i < start + count; i++) lines.push(`p${partition}-k${i}:p${partition}-v${i}`)
  const batching = batchSize === undefined ? [] : ['-X', `batch.num.messages=${batchSize}`]
  const result = await runKcat(['-P', '-b', bootstrap, '-t', topic, '-p', String(partition), '-K:', ...batching], `${lines.join('\n')}\n`)
  if (result.code !== 0) throw new Error(`kcat -P failed (${result.code}): ${result.stderr}`)
}

/** Resolves when `condition()` holds; rejects with `what` if it does not within `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const started = Date.now()
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
