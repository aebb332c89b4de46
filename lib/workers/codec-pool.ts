/**
 * A small pool of worker threads that compress and checksum the records of
 * sealed batches, and decompress the records of fetched ones, so that on a
 * machine with a spare core that work leaves the main thread.
 *
 * What the main thread keeps: everything that orders. The producer assigns
 * sequence numbers when it seals a batch and keeps the batch in its partition
 * queue; only the bytes go to a worker, and the batch is sent when its bytes are
 * back (results may come back in any order across workers; the caller's queue
 * decides the order). The worker returns the records section with room for the
 * header and its CRC-32C, so the main thread writes 61 header bytes and combines
 * CRCs ({@link sealRecords}); it never reads the records again.
 *
 * Falling back to the calling thread is always correct, and happens, counted in
 * {@link CodecPool.stats}: for batches below `minBytes` (the hand-off costs more
 * than it saves; see docs/bench.md), when `maxPending` tasks are already out,
 * when no worker can be started, after the pool is closed, and for a codec id
 * whose registered codec is not the built-in one (a codec registered with
 * `registerCodec` lives in the main thread's registry only).
 *
 * Memory moves, it is not copied: the records buffer of a batch is transferred
 * to the worker (the caller must not touch it afterwards) and the compressed
 * bytes are transferred back. Input to decompression is copied (it is a slice of
 * a fetch response), so a task can be redone here if its worker dies; a
 * compress task whose worker dies fails with {@link CodecWorkerError}.
 *
 * Teardown: workers are started on the first task that needs one, are
 * `unref()`ed whenever they have nothing to do (an idle pool never keeps the
 * process alive), and `close()` lets the tasks in flight finish, then
 * terminates every worker. {@link acquireCodecPool} shares one pool among users
 * and closes it when the last one releases it.
 */
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { gzipCodec, lz4Codec, noCompressionCodec, snappyCodec, zstdCodec, getCodec, hasCodec } from '../protocol/compression/index.js'
import type { CompressionCodec } from '../protocol/compression/index.js'
import { CodecWorkerError } from '../errors/index.js'

export { CodecWorkerError } from '../errors/index.js'
import type { CompressedRecords, UnsealedRecords } from '../protocol/records/record-batch-builder.js'
import { runCompress, runDecompress, transferable, type CodecReply, type CodecTask } from './codec-tasks.js'

/** Options of a {@link CodecPool}. */
export interface CodecPoolOptions {
  /** Worker threads. Default: the cores beyond the first (`availableParallelism() - 1`), at least 1, at most 4. 0: everything on the calling thread. */
  workers?: number
  /** Tasks out at once (waiting or running); beyond it tasks run on the calling thread. Default 4 per worker. */
  maxPending?: number
  /** Batches with fewer uncompressed bytes than this run on the calling thread. Default {@link DEFAULT_MIN_OFFLOAD_BYTES}. */
  minBytes?: number
  /** Codec ids to hand to workers. Default: every built-in codec except `none` (CRC-32C alone rarely pays for the hand-off). */
  codecs?: readonly number[]
  /** @internal For specs: JavaScript the worker runs instead of codec-worker (to test workers that fail). */
  workerCode?: string
}

/**
 * 64 KiB. Below it the hand-off (two postMessage hops and a wake-up of the
 * worker) costs about what compressing costs; measured in bench/codec-pool.ts.
 */
export const DEFAULT_MIN_OFFLOAD_BYTES = 64 * 1024

/** Counters of a {@link CodecPool}. */
export interface CodecPoolStats {
  /** Workers running now. */
  workers: number
  /** Tasks out to workers now. */
  pending: number
  /** Tasks done by workers. */
  offloaded: number
  /** Tasks done on the calling thread, by reason. */
  inline: { small: number; busy: number; starting: number; noWorker: number; codec: number; closed: number; redone: number }
  /** Workers that died or failed to start. */
  workerFailures: number
  lastError: string | undefined
}

const BUILT_IN: ReadonlyMap<number, CompressionCodec> = new Map([noCompressionCodec, gzipCodec, snappyCodec, lz4Codec, zstdCodec].map((c) => [c.id, c]))
/** After this many worker failures the pool stops starting workers. */
const MAX_WORKER_FAILURES = 3

interface Pending {
  kind: CodecTask['kind']
  codec: number
  resolve(value: CompressedRecords | Buffer): void
  reject(error: unknown): void
  /** Does the task here: with the input the worker sent back, or (decompression) with the caller's own copy. */
  redo(input: Uint8Array | undefined): CompressedRecords | Buffer
}

interface Slot {
  worker: Worker
  pending: Map<number, Pending>
  /** The worker said it is loaded; before that it gets no task (a batch sent to a worker that fails to load would be lost). */
  ready: boolean
  /** Settles when the worker is ready or has failed. */
  started: Promise<void>
}

/**
 * How to start a worker: the compiled codec-worker.js next to this file, or, when
 * running from the TypeScript sources in this repository (specs, bench), a
 * bootstrap that registers tsx in the new thread first (loader hooks given with
 * `--import` do not reach worker threads on Node 20).
 */
function workerSource(): { source: URL | string; eval: boolean } {
  const js = new URL('./codec-worker.js', import.meta.url)
  if (existsSync(fileURLToPath(js))) return { source: js, eval: false }
  // tsx's ESM entry: import.meta.resolve where the runtime has it, else the require-resolved file's .mjs twin.
  const resolveImport = (import.meta as { resolve?: (specifier: string) => string }).resolve
  const tsxApi = resolveImport?.('tsx/esm/api') ?? pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href
  const entry = new URL('./codec-worker.ts', import.meta.url).href
  return { source: `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}) })`, eval: true }
}

/**
 * See the module comment.
 *
 * @example
 * ```ts
 * const pool = new CodecPool()
 * const records = builder.takeRecords()                 // sequences were assigned at seal time
 * const compressed = await pool.compress(3, records)    // lz4 and CRC-32C off the main thread
 * const sealed = sealRecords(records, compressed, { producerId, producerEpoch, baseSequence })
 * await pool.close()
 * ```
 */
export class CodecPool {
  readonly #workers: number
  readonly #maxPending: number
  readonly #minBytes: number
  readonly #codecs: ReadonlySet<number>
  readonly #workerCode: string | undefined
  readonly #slots: Slot[] = []
  #nextId = 1
  #pending = 0
  #closed = false
  #closing: Promise<void> | undefined
  readonly #inFlight = new Set<Promise<unknown>>()
  readonly #stats: CodecPoolStats = {
    workers: 0,
    pending: 0,
    offloaded: 0,
    inline: { small: 0, busy: 0, starting: 0, noWorker: 0, codec: 0, closed: 0, redone: 0 },
    workerFailures: 0,
    lastError: undefined,
  }

  constructor(options: CodecPoolOptions = {}) {
    const workers = options.workers ?? Math.min(4, Math.max(1, availableParallelism() - 1))
    if (!Number.isInteger(workers) || workers < 0) throw new RangeError(`workers must be a whole number >= 0, got ${workers}`)
    this.#workers = workers
    this.#maxPending = options.maxPending ?? 4 * Math.max(1, workers)
    if (!Number.isInteger(this.#maxPending) || this.#maxPending < 1) throw new RangeError(`maxPending must be a whole number >= 1, got ${options.maxPending}`)
    this.#minBytes = options.minBytes ?? DEFAULT_MIN_OFFLOAD_BYTES
    this.#codecs = new Set(options.codecs ?? [1, 2, 3, 4])
    this.#workerCode = options.workerCode
  }

  /**
   * Compresses and checksums a batch's records with `codec` (a Kafka codec id).
   * The records' buffer is handed over: do not use `records.buffer` afterwards.
   * Resolves with the records section behind 61 bytes of header room and its
   * CRC-32C, for {@link sealRecords}. Rejects with the codec's own error, or
   * with {@link CodecWorkerError} if the worker died holding the task.
   */
  compress(codec: number, records: UnsealedRecords): Promise<CompressedRecords> {
    const { end } = records
    const route = this.#route(codec, end)
    if (route !== undefined) return this.#inline(route, () => runCompress(codec, records.buffer, end))
    const buffer = transferable(records.buffer) ? records.buffer : new Uint8Array(records.buffer.subarray(0, end))
    const redo = (input: Uint8Array | undefined): CompressedRecords => {
      if (input === undefined) throw new CodecWorkerError(`the codec worker holding this batch's records stopped (${this.#stats.lastError})`)
      return runCompress(codec, input, end)
    }
    return this.#send({ kind: 'compress', id: this.#nextId++, codec, buffer, end }, buffer.buffer as ArrayBuffer, redo) as Promise<CompressedRecords>
  }

  /**
   * Decompresses the records section of a fetched batch, at most
   * `maxOutputBytes` (as {@link CompressionCodec.decompress}). `bytes` is copied,
   * so it may be a view of a larger fetch response.
   */
  decompress(codec: number, bytes: Uint8Array, maxOutputBytes: number): Promise<Buffer> {
    const here = (): Buffer => runDecompress(codec, bytes, maxOutputBytes)
    // Compressed input is smaller than its output: weigh it at a typical ratio.
    const route = this.#route(codec, bytes.length * 3)
    if (route !== undefined) return this.#inline(route, here)
    const copy = new Uint8Array(bytes)
    return this.#send({ kind: 'decompress', id: this.#nextId++, codec, bytes: copy, maxOutputBytes }, copy.buffer, here) as Promise<Buffer>
  }

  /**
   * Whether a batch of `bytes` uncompressed bytes compressed with `codec` would
   * go to a worker now (otherwise {@link compress} runs it on this thread). A
   * caller that must wait for a worker anyway, such as a producer that queues
   * the batch meanwhile, asks first and compresses the rest on its own thread.
   *
   * @example
   * ```ts
   * if (pool.offloads(3, records.end)) sealed = sealRecords(records, await pool.compress(3, records))
   * ```
   */
  offloads(codec: number, bytes: number): boolean {
    return this.#route(codec, bytes) === undefined
  }

  /**
   * Starts the workers now instead of on first use and resolves when they are
   * ready (or have failed to start: see {@link stats}). Until a worker is ready
   * tasks run on the calling thread, so calling this is never needed, only
   * useful: a producer can warm the pool when it starts.
   *
   * @example
   * ```ts
   * await pool.start()
   * ```
   */
  async start(): Promise<void> {
    while (!this.#closed && this.#slots.length < this.#workers && this.#stats.workerFailures < MAX_WORKER_FAILURES) {
      if (this.#start() === undefined) break
    }
    await Promise.all(this.#slots.map((slot) => slot.started))
  }

  /** @internal The worker threads running now (specs stop one to test a worker's death). */
  get threads(): readonly Worker[] {
    return this.#slots.map((slot) => slot.worker)
  }

  /** Counters: how much went to workers, how much stayed here and why. */
  stats(): CodecPoolStats {
    return { ...this.#stats, inline: { ...this.#stats.inline }, workers: this.#slots.length, pending: this.#pending }
  }

  /** Lets the tasks in flight finish, then terminates every worker. Later tasks run on the calling thread. Idempotent. */
  close(): Promise<void> {
    this.#closed = true
    this.#closing ??= (async () => {
      await Promise.allSettled(this.#inFlight)
      const slots = this.#slots.splice(0)
      await Promise.all(slots.map((slot) => slot.worker.terminate()))
    })()
    return this.#closing
  }

  /** Why a task must stay on this thread, or undefined to send it to a worker. */
  #route(codec: number, bytes: number): keyof CodecPoolStats['inline'] | undefined {
    if (this.#closed) return 'closed'
    if (!this.#codecs.has(codec) || !hasCodec(codec) || getCodec(codec) !== BUILT_IN.get(codec)) return 'codec'
    if (bytes < this.#minBytes) return 'small'
    if (this.#workers === 0 || this.#stats.workerFailures >= MAX_WORKER_FAILURES) return 'noWorker'
    if (this.#pending >= this.#maxPending) return 'busy'
    return undefined
  }

  #inline<T>(reason: keyof CodecPoolStats['inline'], work: () => T): Promise<T> {
    this.#stats.inline[reason]++
    try {
      return Promise.resolve(work())
    } catch (error) {
      return Promise.reject(error)
    }
  }

  #send(task: CodecTask, transfer: ArrayBuffer, redo: (input: Uint8Array | undefined) => CompressedRecords | Buffer): Promise<CompressedRecords | Buffer> {
    const slot = this.#slot()
    if (slot === undefined) {
      const input = task.kind === 'compress' ? task.buffer : task.bytes
      return this.#inline(this.#slots.length > 0 ? 'starting' : 'noWorker', () => redo(input))
    }
    const promise = new Promise<CompressedRecords | Buffer>((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref()
      slot.pending.set(task.id, { kind: task.kind, codec: task.codec, resolve, reject, redo })
      this.#pending++
      slot.worker.postMessage(task, [transfer])
    })
    this.#inFlight.add(promise)
    const forget = (): void => void this.#inFlight.delete(promise)
    promise.then(forget, forget)
    return promise
  }

  /** The ready worker with the fewest tasks; starts another while fewer than `workers` run and all are busy. */
  #slot(): Slot | undefined {
    let best: Slot | undefined
    for (const slot of this.#slots) if (slot.ready && (best === undefined || slot.pending.size < best.pending.size)) best = slot
    if ((best === undefined || best.pending.size > 0) && this.#slots.length < this.#workers && this.#stats.workerFailures < MAX_WORKER_FAILURES) this.#start()
    return best
  }

  #start(): Slot | undefined {
    let worker: Worker
    try {
      const entry = this.#workerCode === undefined ? workerSource() : { source: this.#workerCode, eval: true }
      worker = new Worker(entry.source, { eval: entry.eval, name: 'rxkafka-codec' })
    } catch (error) {
      this.#failed(error)
      return undefined
    }
    worker.unref()
    let settle!: () => void
    const slot: Slot = { worker, pending: new Map(), ready: false, started: new Promise<void>((resolve) => (settle = resolve)) }
    this.#slots.push(slot)
    worker.on('message', (reply: CodecReply | { ready: true }) => {
      if ('ready' in reply) {
        slot.ready = true
        settle()
      } else {
        this.#reply(slot, reply)
      }
    })
    worker.once('exit', () => settle())
    worker.on('error', (error) => this.#lost(slot, error))
    worker.on('exit', (code) => {
      if (this.#slots.includes(slot)) this.#lost(slot, new Error(`codec worker exited with code ${code}`))
    })
    return slot
  }

  #reply(slot: Slot, reply: CodecReply): void {
    const pending = slot.pending.get(reply.id)
    if (pending === undefined) return
    slot.pending.delete(reply.id)
    this.#pending--
    if (slot.pending.size === 0) slot.worker.unref()
    if (reply.ok) {
      this.#stats.offloaded++
      const bytes = Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength)
      pending.resolve(pending.kind === 'compress' ? { bytes, recordsCrc: reply.recordsCrc, codec: pending.codec } : bytes)
      return
    }
    // The codec failed on the worker: redo it here with the input it sent back, for the exact typed error.
    this.#stats.inline.redone++
    try {
      pending.resolve(pending.redo(reply.input))
    } catch (error) {
      pending.reject(error)
    }
  }

  /** A worker died: redo what can be redone here, fail the rest, and forget the worker. */
  #lost(slot: Slot, error: unknown): void {
    const at = this.#slots.indexOf(slot)
    if (at < 0) return
    this.#slots.splice(at, 1)
    this.#failed(error)
    for (const pending of slot.pending.values()) {
      this.#pending--
      // Decompression input was copied, so it can be redone here; compress input went to the worker.
      if (pending.kind === 'decompress') this.#stats.inline.redone++
      try {
        pending.resolve(pending.redo(undefined))
      } catch (redoError) {
        pending.reject(redoError)
      }
    }
    slot.pending.clear()
    void slot.worker.terminate()
  }

  #failed(error: unknown): void {
    this.#stats.workerFailures++
    this.#stats.lastError = error instanceof Error ? error.message : String(error)
  }
}

let shared: { pool: CodecPool; users: number } | undefined

/** A share of the process-wide {@link CodecPool}; see {@link acquireCodecPool}. */
export interface CodecPoolLease {
  readonly pool: CodecPool
  /** Gives the share back; the last release closes the pool (its workers end). Idempotent. */
  release(): Promise<void>
}

/**
 * A share of one process-wide pool (created on first use with `options`; later
 * callers share it as it is). When the last share is released the pool closes
 * and its workers end, so no thread outlives its last user.
 *
 * @example
 * ```ts
 * const lease = acquireCodecPool()
 * try { await lease.pool.compress(3, builder.takeRecords()) } finally { await lease.release() }
 * ```
 */
export function acquireCodecPool(options?: CodecPoolOptions): CodecPoolLease {
  shared ??= { pool: new CodecPool(options), users: 0 }
  const entry = shared
  entry.users++
  let released = false
  return {
    pool: entry.pool,
    release(): Promise<void> {
      if (released) return Promise.resolve()
      released = true
      entry.users--
      if (entry.users > 0) return Promise.resolve()
      if (shared === entry) shared = undefined
      return entry.pool.close()
    },
  }
}
