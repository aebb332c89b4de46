/**
 * `npm start`: the whole toolkit in one small stream app, in timed phases.
 *
 * 1. produce: a burst of lz4-compressed JSON orders through `produceTo`, nobody reading yet;
 * 2. join: a consumer group of two members (cooperative-sticky) forms its first generation;
 * 3. consume: the two members read the burst back; half-way, member B leaves (it commits what it has done, then
 *    sends LeaveGroup) and member A takes over B's partitions while it goes on reading its own;
 * 4. latency: messages sent one at a time with `send()` while member A reads them live;
 * then a summary whose phase times add up to the run's wall time.
 *
 * Every pause is named when it starts, with the reason and, where a setting decides it, the setting. Throughput is
 * measured only over the time a phase actually moves messages, so it compares with the bench lanes named beside it.
 *
 * Options (environment): KAFKA_BROKERS=host:port,... to use a real cluster (DEMO_TOPIC, default rxkafka-demo, must
 * exist there or be auto-created; the group reads only the offsets this run produced); DEMO_MESSAGES (default
 * 200000); DEMO_TOPIC.
 */
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { lastValueFrom, map, mergeMap, range, Subject, takeUntil, tap, finalize, type Subscription } from 'rxjs'
import { cooperativeStickyAssignor, createKafka, type ConsumerMessage, type GroupAssignmentEvent, type Kafka } from '../lib/index.js'
import { startMockCluster, type MockCluster } from '../lib/testing/mock-cluster.js'

/** What the demo needs to know about where it runs; the embedded mock and a real cluster differ in their pauses. */
export interface DemoSettings {
  /** Messages in the burst. */
  messages: number
  /** Messages of the latency phase, sent one at a time. */
  latencyMessages: number
  topic: string
  groupId: string
  /** Passed to both members. On the mock the session timeout also sets how long a rebalance stays open. */
  sessionTimeoutMs?: number
  heartbeatIntervalMs?: number
  /** Fetch `maxWaitMs` of both members; the consumer's default (500) when absent. */
  maxWaitMs?: number
  /** The generation a new group's first assignment carries on this broker (Kafka: 1; librdkafka's mock: 2). */
  firstGeneration: number
  /** Why the group join pauses, as shown to the user (for example the broker's initial rebalance delay). */
  joinPause: string
  /** Why the rebalance after member B leaves pauses, as shown to the user. */
  rebalancePause: string
  say: (line: string) => void
  /** Stops the demo early (Ctrl-C). */
  stop?: Subject<void>
}

/** One timed phase of the run. */
export interface DemoPhase {
  name: string
  ms: number
}

/** What the demo measured. */
export interface DemoSummary {
  produced: number
  /** Messages of the burst read back, each counted once. */
  consumed: number
  /** Messages of the burst read a second time (at-least-once), with the reason in `redeliveryReason`. */
  redelivered: number
  /** Generation of the first assignment that gave every partition to one of the two members. */
  firstFullGeneration: number
  /** Generation in which member A held every partition, after B left. */
  takeOverGeneration: number
  produceRate: number
  /** Messages per second over the time the group was stable (before B left and after A took over). */
  consumeRate: number
  /** How long the group join and the rebalance paused, in ms. */
  joinMs: number
  rebalanceMs: number
  /** send() to acknowledgement, and send() to arrival at member A, in ms. */
  sendLatency: { p50: number; p99: number }
  endToEndLatency: { p50: number; p99: number }
  phases: DemoPhase[]
}

/** Thrown by {@link runDemo} when `settings.stop` fires before the demo is through. */
export class DemoStopped extends Error {
  constructor() {
    super('the demo was stopped before it finished')
    this.name = 'DemoStopped'
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

const ms = (n: number): string => `${Math.round(n).toLocaleString('en-US')} ms`
const rate = (n: number): string => `${Math.round(n).toLocaleString('en-US')} msg/s`
const partitionsOf = (a: GroupAssignmentEvent): number[] => a.assigned.flatMap((t) => t.partitions).sort((x, y) => x - y)

/** Resolves when `check` first holds, checked now and on every call of the returned poke until then. */
function when(check: () => boolean): { done: Promise<void>; poke: () => void } {
  let resolve!: () => void
  let held = false
  const done = new Promise<void>((r) => (resolve = r))
  const poke = () => {
    if (held || !check()) return
    held = true
    resolve()
  }
  poke()
  return { done, poke }
}

/** Runs the four phases against `kafka`; the topic must exist. */
export async function runDemo(kafka: Kafka, settings: DemoSettings): Promise<DemoSummary> {
  const { say, topic } = settings
  const stop = settings.stop ?? new Subject<void>()
  let halted = false
  const stopped = new Promise<void>((resolve) =>
    stop.subscribe(() => {
      halted = true
      resolve()
    }),
  )
  const phases: DemoPhase[] = []
  const phase = (name: string, since: number) => phases.push({ name, ms: performance.now() - since })

  // ---- 1. produce ----------------------------------------------------------------------------------------------
  say(`produce: ${settings.messages.toLocaleString('en-US')} orders (JSON, about 30 bytes each, keyed by customer), lz4, acks=all, idempotent, lingerMs 5`)
  const firstOffset = new Map<number, bigint>() // partition -> first offset this run wrote: where the group starts
  const endOffset = new Map<number, bigint>() // partition -> one past the last offset of the burst
  let produced = 0
  const produceStarted = performance.now()
  await lastValueFrom(
    range(0, settings.messages).pipe(
      map((i) => ({ key: `customer-${i % 1000}`, value: JSON.stringify({ order: i, amount: (i * 7) % 500 }) })),
      kafka.produceTo(topic, { compression: 'lz4', lingerMs: 5, acks: 'all' }),
      tap((r) => {
        if (r.error !== undefined) throw r.error
        produced++
        if (!firstOffset.has(r.partition) || r.offset < firstOffset.get(r.partition)!) firstOffset.set(r.partition, r.offset)
        if (r.offset + 1n > (endOffset.get(r.partition) ?? 0n)) endOffset.set(r.partition, r.offset + 1n)
      }),
      takeUntil(stop),
    ),
    { defaultValue: undefined },
  )
  if (halted) throw new DemoStopped()
  phase('produce', produceStarted)
  const produceRate = produced / (phases.at(-1)!.ms / 1000)
  say(`  ${produced.toLocaleString('en-US')} acknowledged in ${ms(phases.at(-1)!.ms)}: ${rate(produceRate)} (compare the bench lane produce-100B-lz4)`)

  // ---- 2. join ---------------------------------------------------------------------------------------------------
  const latest = new Map<string, GroupAssignmentEvent>()
  const next = new Map<number, bigint>() // partition -> next offset of the burst not read yet
  let consumed = 0
  let redelivered = 0
  let stableMs = 0 // time the group read while stable, for the rate
  let stableMessages = 0
  let firstFullGeneration = -1
  let takeOverGeneration = -1
  const sentAt = new Map<number, number>()
  const endToEnd: number[] = []
  const onMessage = (msg: ConsumerMessage) => {
    const end = endOffset.get(msg.partition) ?? 0n
    if (msg.offset < end) {
      const expected = next.get(msg.partition) ?? firstOffset.get(msg.partition) ?? 0n
      if (msg.offset < expected) redelivered++
      else {
        consumed += Number(msg.offset - expected) + 1
        next.set(msg.partition, msg.offset + 1n)
      }
    } else {
      const i = Number(msg.key?.toString().slice('latency-'.length))
      const at = sentAt.get(i)
      if (at !== undefined) {
        endToEnd.push(performance.now() - at)
        sentAt.delete(i)
      }
    }
    msg.done()
    progress.poke()
  }
  const progress = { poke: () => undefined as void }
  const member = (name: string, leave$: Subject<void>, onAssignment: () => void) => {
    const group = kafka.consumeGroup({
      groupId: settings.groupId,
      topics: [topic],
      assignors: [cooperativeStickyAssignor],
      // Read exactly what this run produced, also on a real topic that holds older messages.
      startingOffset: (_t, partition, committed) => committed ?? firstOffset.get(partition) ?? 'latest',
      commitIntervalMs: 500,
      ...(settings.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: settings.sessionTimeoutMs }),
      ...(settings.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: settings.heartbeatIntervalMs }),
      ...(settings.maxWaitMs === undefined ? {} : { maxWaitMs: settings.maxWaitMs }),
    })
    group.assignments$.subscribe((a) => {
      latest.set(name, a)
      onAssignment()
    })
    return group.pipe(
      mergeMap((partition$) => partition$.pipe(tap(onMessage))),
      takeUntil(leave$),
      takeUntil(stop),
      finalize(() => say(`  ${name} left the group`)),
    )
  }

  const coversAll = (names: string[]): number => {
    const as = names.map((n) => latest.get(n))
    if (as.some((a) => a === undefined)) return -1
    const generation = as[0]!.generationId
    if (as.some((a) => a!.generationId !== generation)) return -1
    const held = new Set(as.flatMap((a) => partitionsOf(a!)))
    return held.size >= endOffset.size ? generation : -1
  }
  say(`join: members A and B join group ${settings.groupId} (${settings.joinPause})`)
  const joinStarted = performance.now()
  const joined = when(() => (firstFullGeneration = coversAll(['A', 'B'])) >= 0)
  let tookOver = { done: Promise.resolve(), poke: () => undefined as void }
  const onAssignment = () => {
    joined.poke()
    tookOver.poke()
  }
  const aLeaves = new Subject<void>()
  const bLeaves = new Subject<void>()
  const subscriptions: Subscription[] = [
    member('A', aLeaves, onAssignment).subscribe({ error: (e: unknown) => say(`member A failed: ${String(e)}`) }),
    member('B', bLeaves, onAssignment).subscribe({ error: (e: unknown) => say(`member B failed: ${String(e)}`) }),
  ]
  try {
    await Promise.race([joined.done, stopped])
    if (halted) throw new DemoStopped()
    const joinMs = performance.now() - joinStarted
    phases.push({ name: 'join', ms: joinMs })
    say(
      `  generation ${firstFullGeneration} after ${ms(joinMs)}: A holds [${partitionsOf(latest.get('A')!).join(', ')}], B holds [${partitionsOf(latest.get('B')!).join(', ')}]` +
        (firstFullGeneration > settings.firstGeneration
          ? ` (${firstFullGeneration - settings.firstGeneration} generation(s) formed before both members had joined, each a rebalance)`
          : settings.firstGeneration > 1
            ? ` (the broker's first generation of a new group is ${settings.firstGeneration})`
            : ''),
    )

    // ---- 3. consume, with a rebalance half-way --------------------------------------------------------------
    say('consume: A and B read the burst back' + (settings.maxWaitMs === undefined ? '' : ` (fetch maxWaitMs ${settings.maxWaitMs}: the mock holds a fetch that finds no data for all of maxWaitMs, even when data arrives meanwhile)`))
    const consumeStarted = performance.now()
    const consumedAtJoin = consumed
    let leaveAt = 0
    let consumedAtLeave = 0
    let rebalanceMs = 0
    let consumedAtTakeOver = 0
    const halfway = when(() => consumed >= settings.messages / 2)
    const all = when(() => consumed >= produced)
    progress.poke = () => {
      halfway.poke()
      all.poke()
    }
    await Promise.race([halfway.done, stopped])
    if (halted) throw new DemoStopped()
    leaveAt = performance.now()
    consumedAtLeave = consumed
    stableMs += leaveAt - consumeStarted
    stableMessages += consumed - consumedAtJoin
    say(
      `  ${(consumed - consumedAtJoin).toLocaleString('en-US')} read in ${ms(leaveAt - consumeStarted)}: ${rate((consumed - consumedAtJoin) / ((leaveAt - consumeStarted) / 1000))} with two members (compare the bench lane consume-group)` +
        (consumedAtJoin > 0 ? `; ${consumedAtJoin.toLocaleString('en-US')} more were read by a member while the group was still forming` : ''),
    )
    say(`rebalance: member B leaves: it commits what it has done, sends LeaveGroup, and A takes over its partitions (${settings.rebalancePause}); A goes on reading its own partitions meanwhile`)
    tookOver = when(() => {
      const a = latest.get('A')
      if (a === undefined || a.generationId <= firstFullGeneration || partitionsOf(a).length < endOffset.size) return false
      takeOverGeneration = a.generationId
      return true
    })
    bLeaves.next()
    await Promise.race([tookOver.done, stopped])
    if (halted) throw new DemoStopped()
    rebalanceMs = performance.now() - leaveAt
    phases.push({ name: 'rebalance', ms: rebalanceMs })
    consumedAtTakeOver = consumed
    say(
      `  generation ${takeOverGeneration} after ${ms(rebalanceMs)}: A holds [${partitionsOf(latest.get('A')!).join(', ')}]; ` +
        `A read ${(consumedAtTakeOver - consumedAtLeave).toLocaleString('en-US')} of its own meanwhile`,
    )
    const takeOverAt = performance.now()
    await Promise.race([all.done, stopped])
    if (halted) throw new DemoStopped()
    const doneAt = performance.now()
    stableMs += doneAt - takeOverAt
    stableMessages += consumed - consumedAtTakeOver
    phases.push({ name: 'consume', ms: leaveAt - consumeStarted + (doneAt - takeOverAt) })
    say(`  the other ${(consumed - consumedAtTakeOver).toLocaleString('en-US')} read by A alone in ${ms(doneAt - takeOverAt)}`)
    const consumeRate = stableMessages / (stableMs / 1000)

    // ---- 4. latency ---------------------------------------------------------------------------------------------
    say(`latency: ${settings.latencyMessages.toLocaleString('en-US')} messages sent one at a time with send() (acks=all), read live by A`)
    const latencyStarted = performance.now()
    const sendLatency: number[] = []
    const arrivedAll = when(() => endToEnd.length >= settings.latencyMessages)
    progress.poke = arrivedAll.poke
    for (let i = 0; i < settings.latencyMessages && !halted; i++) {
      const at = performance.now()
      sentAt.set(i, at)
      await kafka.send(topic, { key: `latency-${i}`, value: JSON.stringify({ ping: i }) }, { acks: 'all', lingerMs: 0 })
      sendLatency.push(performance.now() - at)
    }
    await Promise.race([arrivedAll.done, stopped])
    if (halted) throw new DemoStopped()
    phase('latency', latencyStarted)
    sendLatency.sort((x, y) => x - y)
    endToEnd.sort((x, y) => x - y)
    const lat = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99) })
    const summary: DemoSummary = {
      produced,
      consumed,
      redelivered,
      firstFullGeneration,
      takeOverGeneration,
      produceRate,
      consumeRate,
      joinMs,
      rebalanceMs,
      sendLatency: lat(sendLatency),
      endToEndLatency: lat(endToEnd),
      phases,
    }
    say(`  send -> ack p50 ${summary.sendLatency.p50.toFixed(2)} ms, p99 ${summary.sendLatency.p99.toFixed(2)} ms (compare the bench lane send-latency); send -> read by A p50 ${summary.endToEndLatency.p50.toFixed(2)} ms, p99 ${summary.endToEndLatency.p99.toFixed(2)} ms`)
    return summary
  } finally {
    aLeaves.next()
    bLeaves.next()
    for (const s of subscriptions) s.unsubscribe()
  }
}

/** The summary, as printed at the end of `npm start`. */
export function describeSummary(s: DemoSummary, wallMs: number): string[] {
  const lines = [
    '',
    'summary',
    `  messages   ${s.produced.toLocaleString('en-US')} produced, ${s.consumed.toLocaleString('en-US')} read back, ${s.redelivered.toLocaleString('en-US')} read twice` +
      (s.redelivered === 0
        ? ' (B committed what it had done before leaving, and A kept its partitions through the cooperative rebalance)'
        : ' (at-least-once: done but not yet committed when their partition changed hands)'),
    `  produce    ${rate(s.produceRate)} (lz4, acks=all, idempotent)`,
    `  consume    ${rate(s.consumeRate)} while the group was stable (two members, then one)`,
    `  latency    send -> ack p50 ${s.sendLatency.p50.toFixed(2)} ms; send -> consumed p50 ${s.endToEndLatency.p50.toFixed(2)} ms, p99 ${s.endToEndLatency.p99.toFixed(2)} ms`,
    `  pauses     join ${ms(s.joinMs)}, rebalance ${ms(s.rebalanceMs)}`,
    `  wall time  ${ms(wallMs)}: ${s.phases.map((p) => `${p.name} ${ms(p.ms)}`).join(', ')}, the rest starting and closing`,
  ]
  return lines
}

/** The initial rebalance delay `npm start` gives the embedded mock. */
export const MOCK_INITIAL_REBALANCE_DELAY_MS = 300
const MOCK_SESSION_MS = 2_000

/**
 * The settings that depend on the broker. On the mock, a rebalance after a member leaves stays open for the session
 * timeout minus 1 s (librdkafka's mock waits that long for members to rejoin), so a short session keeps that pause
 * short; and an empty fetch is held for all of maxWaitMs, so a short one keeps reads prompt. A real broker closes a
 * rebalance as soon as every remaining member has rejoined and answers a waiting fetch when data arrives, so the
 * consumer's defaults are used there (with a 1 s heartbeat, so A hears of the rebalance soon).
 */
export function brokerSettings(
  broker: 'mock' | 'cluster',
  initialRebalanceDelayMs = MOCK_INITIAL_REBALANCE_DELAY_MS,
): Pick<DemoSettings, 'sessionTimeoutMs' | 'heartbeatIntervalMs' | 'maxWaitMs' | 'firstGeneration' | 'joinPause' | 'rebalancePause'> {
  if (broker === 'cluster') {
    return {
      heartbeatIntervalMs: 1_000,
      firstGeneration: 1,
      joinPause: "the broker's group.initial.rebalance.delay.ms (3 s by default) lets more members arrive before it forms the first generation",
      rebalancePause: 'A hears of it at its next heartbeat, within 1 s, and the broker forms the next generation as soon as A has rejoined',
    }
  }
  return {
    sessionTimeoutMs: MOCK_SESSION_MS,
    heartbeatIntervalMs: 500,
    maxWaitMs: 10,
    firstGeneration: 2,
    joinPause: `the mock's initial rebalance delay: ${ms(initialRebalanceDelayMs)}, so both members land in the first generation`,
    rebalancePause: `the mock holds a rebalance open for the session timeout minus 1 s: ${ms(MOCK_SESSION_MS - 1_000)}; A hears of it at its next heartbeat, within 500 ms`,
  }
}

async function main(): Promise<void> {
  const wallStarted = performance.now()
  const say = (line: string) => console.log(line)
  const messages = Number(process.env.DEMO_MESSAGES ?? 200_000)
  const topic = process.env.DEMO_TOPIC ?? 'rxkafka-demo'
  let mock: MockCluster | undefined
  let brokers = process.env.KAFKA_BROKERS?.split(',')
  if (brokers === undefined) {
    const started = performance.now()
    mock = await startMockCluster({ brokers: 3, topics: [{ name: topic, partitions: 6 }] })
    // The first generation forms this long after the first member joins (Kafka's group.initial.rebalance.delay.ms,
    // 3 s by default): long enough for both members to land in it, so the group forms once.
    await mock.setGroupInitialRebalanceDelay(MOCK_INITIAL_REBALANCE_DELAY_MS)
    brokers = mock.bootstrap.split(',')
    say(`started an embedded librdkafka mock cluster with 3 brokers in ${ms(performance.now() - started)}`)
  }
  say(`brokers: ${brokers.join(', ')}   topic: ${topic}`)
  const kafka = createKafka({ ...(mock?.clientConfig ?? {}), brokers, clientId: 'rxkafka-demo' })
  const stop = new Subject<void>()
  process.once('SIGINT', () => stop.next())
  try {
    const summary = await runDemo(kafka, {
      messages,
      latencyMessages: 1_000,
      topic,
      groupId: `rxkafka-demo-${process.pid}`,
      say,
      stop,
      ...brokerSettings(mock === undefined ? 'cluster' : 'mock'),
    })
    const closing = performance.now()
    await kafka.close()
    await mock?.stop()
    mock = undefined
    for (const line of describeSummary(summary, performance.now() - wallStarted)) say(line)
    say(`  (closing the client and the mock took ${ms(performance.now() - closing)})`)
  } finally {
    await kafka.close()
    await mock?.stop()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error)
      process.exit(1)
    },
  )
}
