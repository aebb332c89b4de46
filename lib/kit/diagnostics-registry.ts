/**
 * The one registry of long-lived parts (producers, group members, ...) a
 * diagnostics snapshot reads. Each client owns one (`client.parts`): a part
 * adds itself while it runs and removes itself when it stops, so
 * `kafka.diagnostics()` needs no global state to find what runs on a client.
 */

/** A kind of part and the snapshot type it gives, such as `PRODUCER_PARTS`. */
export interface PartKind<T> {
  /** The kind's name, such as `producer`. */
  readonly name: string
  /** Carries the snapshot type; never set. */
  readonly snapshotType?: T
}

/** Something that can describe itself for diagnostics. */
export interface Diagnosable<T> {
  /** A snapshot of the part now. */
  diagnostics(): T
}

/**
 * A kind of part, to register and list parts by.
 *
 * @example
 * ```ts
 * const PRODUCER_PARTS = partKind<ProducerDiagnostics>('producer')
 * ```
 */
export function partKind<T>(name: string): PartKind<T> {
  return { name }
}

/** Registries that hold at least one part, for the "every client" views (`producerDiagnostics()` without a client). */
const holding = new Set<DiagnosticsRegistry>()

/**
 * The parts of one client, by kind.
 *
 * @example
 * ```ts
 * const remove = client.parts.add(PRODUCER_PARTS, engine)
 * client.parts.snapshot(PRODUCER_PARTS) // [engine.diagnostics()]
 * remove()
 * ```
 */
export class DiagnosticsRegistry {
  readonly #parts = new Map<PartKind<unknown>, Set<Diagnosable<unknown>>>()
  #count = 0

  /** Adds a running part; the returned function removes it (idempotent). */
  add<T>(kind: PartKind<T>, part: Diagnosable<T>): () => void {
    let set = this.#parts.get(kind)
    if (set === undefined) this.#parts.set(kind, (set = new Set()))
    if (!set.has(part)) {
      set.add(part)
      if (this.#count++ === 0) holding.add(this)
    }
    return () => {
      if (set.delete(part) && --this.#count === 0) holding.delete(this)
    }
  }

  /** A snapshot of each running part of `kind`, in the order they were added. */
  snapshot<T>(kind: PartKind<T>): T[] {
    const set = this.#parts.get(kind) as Set<Diagnosable<T>> | undefined
    return set === undefined ? [] : [...set].map((part) => part.diagnostics())
  }

  /** Snapshots of `kind` over every registry that holds parts. */
  static snapshotAll<T>(kind: PartKind<T>): T[] {
    return [...holding].flatMap((registry) => registry.snapshot(kind))
  }
}
