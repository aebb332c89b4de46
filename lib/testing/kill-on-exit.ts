/**
 * The processes the testing kit starts (Kafka nodes, the librdkafka mock) are
 * killed when the Node process exits, even when a test forgot `stop()`: one
 * registry and one 'exit' handler for all of them.
 */

/** Something that can be killed synchronously, as an 'exit' handler must. */
export interface KillableNow {
  /** Kills its processes with SIGKILL (by PID) and removes its temporary files, synchronously. */
  killNow(): void
}

const live = new Set<KillableNow>()
let exitHookInstalled = false

/** Kills `target` when the process exits, unless `forgetOnExit` was called first. */
export function killOnExit(target: KillableNow): void {
  live.add(target)
  if (exitHookInstalled) return
  exitHookInstalled = true
  // 'exit' handlers must be synchronous; process.kill is, and a SIGKILL cannot be ignored.
  process.on('exit', () => {
    for (const t of live) t.killNow()
  })
}

/** Stops tracking `target` (it was stopped). */
export function forgetOnExit(target: KillableNow): void {
  live.delete(target)
}
