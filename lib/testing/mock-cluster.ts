/**
 * librdkafka's mock cluster, run in a child process and steered from
 * TypeScript: real Kafka protocol on loopback ports, with fault injection.
 *
 * The child (native/mock-cluster.c) answers every control with exactly one
 * line, so each control here is a Promise that settles with the mock's own
 * verdict. The child dies with its parent (PR_SET_PDEATHSIG and EOF on
 * stdin), so a crashed test run leaves no brokers behind.
 */
import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'
import { buildMockClusterBinary } from './mock-build.js'
import { MockClusterArgumentError, MockClusterControlError, MockClusterError, MockClusterStoppedError } from '../errors/index.js'
import { fetchApiVersions } from './mock-wire.js'
import type { ApiVersionRange } from './mock-wire.js'
import type { BrokerCompatibility } from '../connection/broker-compatibility.js'
import { forgetOnExit, killOnExit } from './kill-on-exit.js'

/**
 * What librdkafka's mock needs from a client that Apache Kafka does not
 * (every item checked against the mock by the specs; docs/mock-cluster.md):
 * - JoinGroup v6+ and SyncGroup v4+ (the flexible encodings) and LeaveGroup
 *   v3+: the mock advertises them but reads their arrays in the classic layout
 *   and drops the connection, so v5, v3 and v2 are the highest it gets;
 * - it writes null in non-nullable fields (SyncGroup assignment bytes of error answers);
 * - it answers some ApiVersions versions in a layout that decodes in no version;
 * - it answers Produce with acks 0, which expects no answer.
 */
export const MOCK_COMPATIBILITY: BrokerCompatibility = Object.freeze({
  maxVersions: Object.freeze({ JoinGroup: 5, SyncGroup: 3, LeaveGroup: 2 }),
  nullsInNonNullableFields: true,
  undecodableApiVersions: true,
  unexpectedAnswers: true,
})

/** A topic to create when the cluster starts. */
export interface MockTopicSpec {
  /** The topic's name. */
  name: string
  /** At least 1. */
  partitions: number
  /** 1..brokers. Default: min(3, brokers), as the mock does for auto-created topics. */
  replicationFactor?: number
}

/** Options for {@link startMockCluster}. */
export interface MockClusterOptions {
  /** Number of brokers, ids 1..brokers. Default 3; at most 64. */
  brokers?: number
  /**
   * Topics to create before the promise resolves. Topics not listed here are
   * auto-created on first Metadata request with 4 partitions (the mock's fixed
   * default, not configurable through librdkafka's public API).
   */
  topics?: MockTopicSpec[]
  /** Give up starting (build included) after this long. Default 120 000 ms. */
  startTimeoutMs?: number
  /**
   * Fixed ports: broker i (1..N) listens on `port + i - 1`. Default: ports the
   * kernel picks, which is what tests want (parallel runs never collide); a
   * fixed port is for a broker you develop against by hand (`npm run broker -- --port 9092`).
   * Starting fails, naming the port, when one is taken.
   */
  port?: number
  /**
   * Receives one line for each thing a consumer group does in the mock: state
   * changes (with the reason), rebalances (leader, generation), members leaving
   * or whose session timed out. Turns on librdkafka's mock debug log, which
   * costs the mock some CPU per request; for tools, not benchmarks.
   */
  onGroupLog?: (line: string) => void
}

/** One broker of the mock cluster. Only loopback addresses are ever used. */
export interface MockBroker {
  /** The broker id, 1..N. */
  id: number
  /** Its listener's host (a loopback address). */
  host: string
  /** Its listener's port. */
  port: number
}

/** An error to inject into one broker's answer, with an extra delay. */
export interface MockBrokerError {
  /** Kafka error code, 0 for no error (a pure delay). -195 (`_TRANSPORT`) makes the broker drop the connection. */
  code: number
  /** Delay before the answer, in milliseconds. Default 0. */
  rttMs?: number
}

/** One request the mock received while tracking was on. */
export interface MockRequest {
  /** Kafka API key, such as 0 for Produce. */
  apiKey: number
  /** Broker that received it. */
  brokerId: number
  /**
   * When it arrived, in microseconds of a monotonic clock: only differences
   * between requests mean something. (The mock does not record the request's
   * API version.)
   */
  timestampUs: number
}

/** A coordinator kind, as FindCoordinator's key type. */
export type MockCoordinatorType = 'group' | 'transaction'

/**
 * A running mock cluster. Every control resolves when the mock confirms it
 * and rejects with a {@link MockClusterError} subclass otherwise:
 * {@link MockClusterArgumentError} for arguments refused before sending,
 * {@link MockClusterControlError} when the mock refuses,
 * {@link MockClusterStoppedError} after `stop()` or if the process died.
 */
export interface MockCluster {
  /** Bootstrap servers, `host:port,host:port,...`, in broker id order. */
  readonly bootstrap: string
  /**
   * Settings for `createKafka` or `KafkaCluster` against this mock: the
   * bootstrap brokers and {@link MOCK_COMPATIBILITY}, the deviations of
   * librdkafka's mock that a client must tolerate (docs/mock-cluster.md).
   * Spread your own settings next to them.
   */
  readonly clientConfig: {
    /** The bootstrap brokers, in id order. */
    brokers: string[]
    /** {@link MOCK_COMPATIBILITY}: what a client needs for the mock's deviations from the protocol spec. */
    compatibility: BrokerCompatibility
  }
  /** Every broker, in id order (ids 1..N). */
  readonly brokers: readonly MockBroker[]
  /** PID of the process that hosts the cluster. */
  readonly pid: number
  /** Whether `stop()` was called or the process exited. */
  readonly stopped: boolean
  /** Settles (never rejects) once the process has exited, whether by `stop()` or on its own. */
  readonly exited: Promise<void>
  /**
   * Version ranges the mock advertised at start, before any `setApiVersion`:
   * the most it implements. Indexed by nothing; search by `apiKey`.
   */
  readonly implementedApiVersions: readonly ApiVersionRange[]

  /** Kills the process and waits until it is gone. Idempotent; safe to call concurrently. */
  stop(): Promise<void>

  /** Creates a topic (the mock has no CreateTopics API; this is the way). Rejects if it exists. */
  createTopic(name: string, partitions: number, replicationFactor?: number): Promise<void>
  /** Closes the broker's connections and refuses new ones. Does not move leadership. */
  brokerDown(brokerId: number): Promise<void>
  /** Accepts connections again on the same port. */
  brokerUp(brokerId: number): Promise<void>
  /** Makes `brokerId` the partition's leader (bumping its leader epoch), or `-1` for no leader. */
  setPartitionLeader(topic: string, partition: number, brokerId: number): Promise<void>
  /** Sets the preferred read replica a Fetch (v11+) will point consumers at; need not be a real broker. */
  setPartitionFollower(topic: string, partition: number, brokerId: number): Promise<void>
  /** Sets the follower's low/high watermarks; `null` follows the leader's again. */
  setFollowerWatermarks(topic: string, partition: number, low: number | null, high: number | null): Promise<void>
  /** Queues one Metadata answer with this leader and leader epoch for the partition (consumed by the next Metadata request). */
  pushLeaderResponse(topic: string, partition: number, leaderId: number, leaderEpoch: number): Promise<void>
  /** Sets the topic-level error returned in Metadata (and AddPartitionsToTxn); 0 clears it. Creates the topic if missing. */
  setTopicError(topic: string, errorCode: number): Promise<void>
  /** The next `errorCodes.length` requests of `apiKey`, on any broker, fail with these codes, in order. */
  pushRequestErrors(apiKey: number, errorCodes: readonly number[]): Promise<void>
  /** Forgets errors queued with `pushRequestErrors` for `apiKey`. */
  clearRequestErrors(apiKey: number): Promise<void>
  /** The next requests of `apiKey` to `brokerId` get these errors and delays, in order; they win over cluster-wide errors. */
  pushBrokerRequestErrors(brokerId: number, apiKey: number, errors: readonly MockBrokerError[]): Promise<void>
  /** How many errors queued with `pushBrokerRequestErrors` are still waiting for a request. */
  brokerRequestErrorsLeft(brokerId: number, apiKey: number): Promise<number>
  /** Delays every answer of `brokerId` (or of every broker, with `-1`) by `rttMs`. */
  setBrokerRtt(brokerId: number, rttMs: number): Promise<void>
  /** Sets the rack Metadata reports for `brokerId` (or every broker, with `-1`). */
  setBrokerRack(brokerId: number, rack: string): Promise<void>
  /** Makes FindCoordinator name `brokerId` for this group id or transactional id. The broker need not exist. */
  setCoordinator(type: MockCoordinatorType, key: string, brokerId: number): Promise<void>
  /**
   * Sets the version range ApiVersions advertises for `apiKey`, within what the
   * mock implements; `(-1, -1)` removes the API. Requests outside the range get
   * UNSUPPORTED_VERSION.
   */
  setApiVersion(apiKey: number, minVersion: number, maxVersion: number): Promise<void>
  /** Asks a broker (default: the first) what it advertises now, over a fresh connection. */
  apiVersions(brokerId?: number): Promise<ApiVersionRange[]>
  /** Sets group.initial.rebalance.delay.ms for classic groups (the mock's default is 3000). */
  setGroupInitialRebalanceDelay(ms: number): Promise<void>
  /** Sets group.consumer.session.timeout.ms (KIP-848 groups; default 30000). */
  setGroupConsumerSessionTimeout(ms: number): Promise<void>
  /** Sets group.consumer.heartbeat.interval.ms (KIP-848 groups; default 3000). */
  setGroupConsumerHeartbeatInterval(ms: number): Promise<void>
  /** Starts recording every request the brokers receive. */
  startRequestTracking(): Promise<void>
  /** Stops recording; what was recorded stays. */
  stopRequestTracking(): Promise<void>
  /** What was recorded, oldest first. */
  requests(): Promise<MockRequest[]>
  /** Forgets what was recorded. */
  clearRequests(): Promise<void>
}

const INT32_MAX = 0x7fffffff
const INT16_MIN = -0x8000
const INT16_MAX = 0x7fff
const STDERR_LINES_KEPT = 40


/**
 * Starts a librdkafka mock cluster in a child process (building the host
 * program first if needed) and resolves once its brokers listen and the
 * requested topics exist.
 *
 * @throws {@link MockClusterBuildError} when the host program cannot be built,
 * {@link MockClusterArgumentError} for bad options, {@link MockClusterStoppedError}
 * when the process fails to start.
 *
 * @example
 * ```ts
 * import { startMockCluster } from 'rxkafka/testing'
 *
 * const cluster = await startMockCluster({ brokers: 3, topics: [{ name: 'orders', partitions: 6 }] })
 * try {
 *   await cluster.setPartitionLeader('orders', 0, 2)
 *   await cluster.pushRequestErrors(0, [6, 6]) // the next two Produce requests: NOT_LEADER_OR_FOLLOWER
 *   // ... run the client under test against cluster.bootstrap ...
 * } finally {
 *   await cluster.stop()
 * }
 * ```
 */
export async function startMockCluster(options: MockClusterOptions = {}): Promise<MockCluster> {
  const brokerCount = options.brokers ?? 3
  checkInteger('startMockCluster', 'brokers', brokerCount, 1, 64)
  const topics = options.topics ?? []
  for (const [i, topic] of topics.entries()) {
    checkName('startMockCluster', `topics[${i}].name`, topic.name)
    checkInteger('startMockCluster', `topics[${i}].partitions`, topic.partitions, 1, 100_000)
    if (topic.replicationFactor !== undefined) {
      checkInteger('startMockCluster', `topics[${i}].replicationFactor`, topic.replicationFactor, 1, brokerCount)
    }
  }
  const startTimeoutMs = options.startTimeoutMs ?? 120_000
  if (options.port !== undefined) checkInteger('startMockCluster', 'port', options.port, 1, 65536 - brokerCount)
  const args = [String(brokerCount)]
  if (options.port !== undefined) args.push('--port', String(options.port))
  if (options.onGroupLog !== undefined) args.push('--log-groups')

  const { binaryPath } = await buildMockClusterBinary()
  const cluster = await MockClusterProcess.spawn(binaryPath, args, startTimeoutMs, options.onGroupLog)
  try {
    for (const topic of topics) {
      await cluster.createTopic(topic.name, topic.partitions, topic.replicationFactor)
    }
    await cluster.learnImplementedApiVersions()
  } catch (error) {
    await cluster.stop()
    throw error
  }
  return cluster
}

interface Pending {
  control: string
  resolve: (json: string | undefined) => void
  reject: (error: Error) => void
}

class MockClusterProcess implements MockCluster {
  bootstrap = ''
  get clientConfig(): { brokers: string[]; compatibility: BrokerCompatibility } {
    return { brokers: this.bootstrap.split(','), compatibility: MOCK_COMPATIBILITY }
  }
  brokers: readonly MockBroker[] = []
  implementedApiVersions: readonly ApiVersionRange[] = []
  readonly pid: number

  private readonly child: ChildProcessWithoutNullStreams
  private readonly pending = new Map<number, Pending>()
  private readonly stderrTail: string[] = []
  private nextId = 1
  private hasExited = false
  private stopRequested = false
  readonly exited: Promise<void>
  private stopPromise: Promise<void> | undefined
  private onReady: ((line: string) => void) | undefined

  private constructor(child: ChildProcessWithoutNullStreams, onGroupLog: ((line: string) => void) | undefined) {
    this.child = child
    if (child.pid === undefined) throw new MockClusterStoppedError('the mock cluster process did not start')
    this.pid = child.pid
    this.exited = new Promise<void>((resolve) => {
      child.on('exit', (code, signal) => {
        this.hasExited = true
        forgetOnExit(this)
        const why = this.stopRequested
          ? 'the mock cluster was stopped'
          : `the mock cluster process ${this.pid} exited unexpectedly (${signal ?? `code ${code}`})${this.stderrSummary()}`
        for (const [, pending] of this.pending) {
          pending.reject(new MockClusterStoppedError(`${pending.control}: ${why}`, {
            hint: this.stopRequested ? 'Call controls before stop()' : 'The stderr lines above say why it died',
          }))
        }
        this.pending.clear()
        resolve()
      })
    })
    child.stdin.on('error', () => {
      // EPIPE after the child died; the 'exit' handler reports it to the callers.
    })
    const stderrLines = createInterface({ input: child.stderr })
    stderrLines.on('line', (line) => {
      if (line.startsWith('group ')) {
        onGroupLog?.(line.slice('group '.length))
        return
      }
      this.stderrTail.push(line)
      if (this.stderrTail.length > STDERR_LINES_KEPT) this.stderrTail.shift()
    })
    const stdoutLines = createInterface({ input: child.stdout })
    stdoutLines.on('line', (line) => this.onLine(line))
  }

  static async spawn(
    binaryPath: string,
    args: readonly string[],
    startTimeoutMs: number,
    onGroupLog: ((line: string) => void) | undefined,
  ): Promise<MockClusterProcess> {
    const child = spawn(binaryPath, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    const spawnError = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined))
      child.once('error', (error) => resolve(error))
    })
    if (spawnError !== undefined) {
      throw new MockClusterStoppedError(`cannot run the mock cluster host ${binaryPath}: ${spawnError.message}`, {
        cause: spawnError,
        hint: 'Delete native/build/ to force a rebuild',
      })
    }
    const cluster = new MockClusterProcess(child, onGroupLog)
    killOnExit(cluster)
    try {
      await cluster.waitReady(startTimeoutMs)
    } catch (error) {
      await cluster.stop()
      throw error
    }
    cluster.updateRef()
    return cluster
  }

  get stopped(): boolean {
    return this.stopRequested || this.hasExited
  }

  /** Synchronous last resort for process exit; stop() is the normal way. */
  killNow(): void {
    if (this.hasExited) return
    this.stopRequested = true
    try {
      process.kill(this.pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }

  stop(): Promise<void> {
    if (this.stopPromise !== undefined) return this.stopPromise
    this.stopRequested = true
    forgetOnExit(this)
    // Keep the event loop alive until the exit is observed, so stop() always settles.
    this.child.ref()
    this.killNow()
    this.stopPromise = this.exited.then(() => {
      this.child.stdin.destroy()
      this.child.stdout.destroy()
      this.child.stderr.destroy()
    })
    return this.stopPromise
  }

  private waitReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new MockClusterStoppedError(`the mock cluster did not report ready within ${timeoutMs} ms${this.stderrSummary()}`, {
          hint: 'Raise startTimeoutMs on a very slow machine',
        }))
      }, timeoutMs)
      void this.exited.then(() => {
        clearTimeout(timer)
        const taken = this.stderrTail.map((line) => /^cannot listen on port (\d+): (.*)$/.exec(line)).find((m) => m !== null)
        reject(
          taken === undefined || taken === null
            ? new MockClusterStoppedError(`the mock cluster process exited before it was ready${this.stderrSummary()}`)
            : new MockClusterStoppedError(`the mock cluster cannot listen on port ${taken[1]}: ${taken[2]}`, {
                hint: 'Choose another port, or stop what listens there; without a port the brokers get free ones',
              }),
        )
      })
      this.onReady = (line) => {
        clearTimeout(timer)
        this.onReady = undefined
        if (line.startsWith('ready ')) {
          const ready = JSON.parse(line.slice('ready '.length)) as { bootstrap: string; brokers: MockBroker[] }
          this.bootstrap = ready.bootstrap
          this.brokers = Object.freeze(ready.brokers.map((b) => Object.freeze({ ...b })))
          resolve()
        } else {
          reject(new MockClusterStoppedError(`the mock cluster failed to start: ${line.replace(/^fatal /, '')}${this.stderrSummary()}`))
        }
      }
    })
  }

  private onLine(line: string): void {
    if (this.onReady !== undefined) {
      this.onReady(line)
      return
    }
    const match = /^(ok|err) (\d+)(?: (.*))?$/.exec(line)
    if (match === null) return
    const [, verdict, idText, rest] = match
    const id = Number(idText)
    const pending = this.pending.get(id)
    if (pending === undefined) return
    this.pending.delete(id)
    this.updateRef()
    if (verdict === 'ok') {
      pending.resolve(rest)
    } else {
      const space = (rest ?? '').indexOf(' ')
      const name = space < 0 ? (rest ?? 'UNKNOWN') : (rest ?? '').slice(0, space)
      const message = space < 0 ? name : (rest ?? '').slice(space + 1)
      pending.reject(new MockClusterControlError(pending.control, name, message))
    }
  }

  /** Holds the event loop only while an answer is awaited, so a forgotten cluster never keeps a process alive. */
  private updateRef(): void {
    const busy = this.pending.size > 0
    const handles = [this.child, this.child.stdout, this.child.stderr, this.child.stdin] as unknown as { ref(): void; unref(): void }[]
    for (const handle of handles) {
      if (busy) handle.ref()
      else handle.unref()
    }
  }

  private stderrSummary(): string {
    return this.stderrTail.length === 0 ? '' : `; its last stderr lines:\n${this.stderrTail.join('\n')}`
  }

  private send(control: string, command: string, args: readonly (string | number)[] = []): Promise<string | undefined> {
    if (this.stopped) {
      return Promise.reject(new MockClusterStoppedError(`${control}: the mock cluster is stopped`, {
        hint: this.stopRequested ? 'Call controls before stop()' : `The process exited${this.stderrSummary()}`,
      }))
    }
    const id = this.nextId++
    const encoded = args.map((a) => (typeof a === 'number' ? String(a) : encodeURIComponent(a)))
    return new Promise((resolve, reject) => {
      this.pending.set(id, { control, resolve, reject })
      this.updateRef()
      this.child.stdin.write(`${[id, command, ...encoded].join(' ')}\n`)
    })
  }

  private async sendVoid(control: string, command: string, args: readonly (string | number)[] = []): Promise<void> {
    await this.send(control, command, args)
  }

  private brokerId(control: string, brokerId: number, allowAll = false): void {
    if (allowAll && brokerId === -1) return
    checkInteger(control, 'brokerId', brokerId, -INT32_MAX, INT32_MAX)
    if (!this.brokers.some((b) => b.id === brokerId)) {
      throw new MockClusterArgumentError(control, `broker ${brokerId} does not exist; brokers are 1..${this.brokers.length}${allowAll ? ' (or -1 for all)' : ''}`)
    }
  }

  async learnImplementedApiVersions(): Promise<void> {
    const first = this.brokers[0]
    if (first === undefined) return
    const answer = await fetchApiVersions(first.host, first.port)
    this.implementedApiVersions = Object.freeze(answer.apiVersions.map((v) => Object.freeze({ ...v })))
  }

  createTopic(name: string, partitions: number, replicationFactor?: number): Promise<void> {
    return guard(() => {
      checkName('createTopic', 'name', name)
      checkInteger('createTopic', 'partitions', partitions, 1, 100_000)
      const rf = replicationFactor ?? Math.min(3, this.brokers.length)
      checkInteger('createTopic', 'replicationFactor', rf, 1, this.brokers.length)
      return this.sendVoid('createTopic', 'create_topic', [name, partitions, rf])
    })
  }

  brokerDown(brokerId: number): Promise<void> {
    return guard(() => {
      this.brokerId('brokerDown', brokerId)
      return this.sendVoid('brokerDown', 'broker_down', [brokerId])
    })
  }

  brokerUp(brokerId: number): Promise<void> {
    return guard(() => {
      this.brokerId('brokerUp', brokerId)
      return this.sendVoid('brokerUp', 'broker_up', [brokerId])
    })
  }

  setPartitionLeader(topic: string, partition: number, brokerId: number): Promise<void> {
    return guard(() => {
      checkName('setPartitionLeader', 'topic', topic)
      checkInteger('setPartitionLeader', 'partition', partition, 0, INT32_MAX)
      this.brokerId('setPartitionLeader', brokerId, true)
      return this.sendVoid('setPartitionLeader', 'set_leader', [topic, partition, brokerId])
    })
  }

  setPartitionFollower(topic: string, partition: number, brokerId: number): Promise<void> {
    return guard(() => {
      checkName('setPartitionFollower', 'topic', topic)
      checkInteger('setPartitionFollower', 'partition', partition, 0, INT32_MAX)
      checkInteger('setPartitionFollower', 'brokerId', brokerId, -INT32_MAX, INT32_MAX)
      return this.sendVoid('setPartitionFollower', 'set_follower', [topic, partition, brokerId])
    })
  }

  setFollowerWatermarks(topic: string, partition: number, low: number | null, high: number | null): Promise<void> {
    return guard(() => {
      checkName('setFollowerWatermarks', 'topic', topic)
      checkInteger('setFollowerWatermarks', 'partition', partition, 0, INT32_MAX)
      if (low !== null) checkInteger('setFollowerWatermarks', 'low', low, 0, Number.MAX_SAFE_INTEGER)
      if (high !== null) checkInteger('setFollowerWatermarks', 'high', high, 0, Number.MAX_SAFE_INTEGER)
      return this.sendVoid('setFollowerWatermarks', 'set_follower_wmarks', [topic, partition, low ?? -1, high ?? -1])
    })
  }

  pushLeaderResponse(topic: string, partition: number, leaderId: number, leaderEpoch: number): Promise<void> {
    return guard(() => {
      checkName('pushLeaderResponse', 'topic', topic)
      checkInteger('pushLeaderResponse', 'partition', partition, 0, INT32_MAX)
      checkInteger('pushLeaderResponse', 'leaderId', leaderId, -INT32_MAX, INT32_MAX)
      checkInteger('pushLeaderResponse', 'leaderEpoch', leaderEpoch, -INT32_MAX, INT32_MAX)
      return this.sendVoid('pushLeaderResponse', 'push_leader_response', [topic, partition, leaderId, leaderEpoch])
    })
  }

  setTopicError(topic: string, errorCode: number): Promise<void> {
    return guard(() => {
      checkName('setTopicError', 'topic', topic)
      checkInteger('setTopicError', 'errorCode', errorCode, INT16_MIN, INT16_MAX)
      return this.sendVoid('setTopicError', 'topic_error', [topic, errorCode])
    })
  }

  pushRequestErrors(apiKey: number, errorCodes: readonly number[]): Promise<void> {
    return guard(() => {
      checkInteger('pushRequestErrors', 'apiKey', apiKey, 0, INT16_MAX)
      if (errorCodes.length === 0) throw new MockClusterArgumentError('pushRequestErrors', 'errorCodes is empty; pass at least one code')
      if (errorCodes.length > 500) throw new MockClusterArgumentError('pushRequestErrors', `at most 500 codes per call, got ${errorCodes.length}; call it again for more`)
      errorCodes.forEach((code, i) => checkInteger('pushRequestErrors', `errorCodes[${i}]`, code, INT16_MIN, INT16_MAX))
      return this.sendVoid('pushRequestErrors', 'push_errors', [apiKey, ...errorCodes])
    })
  }

  clearRequestErrors(apiKey: number): Promise<void> {
    return guard(() => {
      checkInteger('clearRequestErrors', 'apiKey', apiKey, 0, INT16_MAX)
      return this.sendVoid('clearRequestErrors', 'clear_errors', [apiKey])
    })
  }

  pushBrokerRequestErrors(brokerId: number, apiKey: number, errors: readonly MockBrokerError[]): Promise<void> {
    return guard(() => {
      this.brokerId('pushBrokerRequestErrors', brokerId)
      checkInteger('pushBrokerRequestErrors', 'apiKey', apiKey, 0, INT16_MAX)
      if (errors.length === 0) throw new MockClusterArgumentError('pushBrokerRequestErrors', 'errors is empty; pass at least one { code, rttMs }')
      if (errors.length > 250) throw new MockClusterArgumentError('pushBrokerRequestErrors', `at most 250 errors per call, got ${errors.length}; call it again for more`)
      const args: number[] = [brokerId, apiKey]
      errors.forEach((e, i) => {
        checkInteger('pushBrokerRequestErrors', `errors[${i}].code`, e.code, INT16_MIN, INT16_MAX)
        const rtt = e.rttMs ?? 0
        checkInteger('pushBrokerRequestErrors', `errors[${i}].rttMs`, rtt, 0, INT32_MAX)
        args.push(e.code, rtt)
      })
      return this.sendVoid('pushBrokerRequestErrors', 'push_broker_errors', args)
    })
  }

  brokerRequestErrorsLeft(brokerId: number, apiKey: number): Promise<number> {
    return guard(async () => {
      this.brokerId('brokerRequestErrorsLeft', brokerId)
      checkInteger('brokerRequestErrorsLeft', 'apiKey', apiKey, 0, INT16_MAX)
      return Number(await this.send('brokerRequestErrorsLeft', 'broker_error_count', [brokerId, apiKey]))
    })
  }

  setBrokerRtt(brokerId: number, rttMs: number): Promise<void> {
    return guard(() => {
      this.brokerId('setBrokerRtt', brokerId, true)
      checkInteger('setBrokerRtt', 'rttMs', rttMs, 0, INT32_MAX)
      return this.sendVoid('setBrokerRtt', 'set_rtt', [brokerId, rttMs])
    })
  }

  setBrokerRack(brokerId: number, rack: string): Promise<void> {
    return guard(() => {
      this.brokerId('setBrokerRack', brokerId, true)
      checkName('setBrokerRack', 'rack', rack)
      return this.sendVoid('setBrokerRack', 'set_rack', [brokerId, rack])
    })
  }

  setCoordinator(type: MockCoordinatorType, key: string, brokerId: number): Promise<void> {
    return guard(() => {
      if (type !== 'group' && type !== 'transaction') {
        throw new MockClusterArgumentError('setCoordinator', `type must be 'group' or 'transaction', got ${JSON.stringify(type)}`)
      }
      checkName('setCoordinator', 'key', key)
      checkInteger('setCoordinator', 'brokerId', brokerId, -INT32_MAX, INT32_MAX)
      return this.sendVoid('setCoordinator', 'set_coordinator', [type, key, brokerId])
    })
  }

  setApiVersion(apiKey: number, minVersion: number, maxVersion: number): Promise<void> {
    return guard(() => {
      checkInteger('setApiVersion', 'apiKey', apiKey, 0, INT16_MAX)
      const implemented = this.implementedApiVersions.find((v) => v.apiKey === apiKey)
      if (implemented === undefined) {
        throw new MockClusterArgumentError('setApiVersion', `the mock does not implement API key ${apiKey}; implemented keys: ${this.implementedApiVersions.map((v) => v.apiKey).join(', ')}`)
      }
      if (!(minVersion === -1 && maxVersion === -1)) {
        checkInteger('setApiVersion', 'minVersion', minVersion, 0, implemented.maxVersion)
        checkInteger('setApiVersion', 'maxVersion', maxVersion, minVersion, implemented.maxVersion)
      }
      return this.sendVoid('setApiVersion', 'set_apiversion', [apiKey, minVersion, maxVersion])
    })
  }

  apiVersions(brokerId?: number): Promise<ApiVersionRange[]> {
    return guard(async () => {
      const id = brokerId ?? this.brokers[0]?.id ?? 1
      this.brokerId('apiVersions', id)
      if (this.stopped) throw new MockClusterStoppedError('apiVersions: the mock cluster is stopped')
      const broker = this.brokers.find((b) => b.id === id)
      if (broker === undefined) throw new MockClusterArgumentError('apiVersions', `broker ${id} does not exist`)
      const answer = await fetchApiVersions(broker.host, broker.port)
      if (answer.errorCode !== 0) {
        throw new MockClusterError('MOCK_CLUSTER_PROBE', `ApiVersions answered error code ${answer.errorCode}`, { broker: id, api: 'ApiVersions' })
      }
      return answer.apiVersions
    })
  }

  setGroupInitialRebalanceDelay(ms: number): Promise<void> {
    return guard(() => {
      checkInteger('setGroupInitialRebalanceDelay', 'ms', ms, 0, INT32_MAX)
      return this.sendVoid('setGroupInitialRebalanceDelay', 'group_initial_rebalance_delay', [ms])
    })
  }

  setGroupConsumerSessionTimeout(ms: number): Promise<void> {
    return guard(() => {
      checkInteger('setGroupConsumerSessionTimeout', 'ms', ms, 1, INT32_MAX)
      return this.sendVoid('setGroupConsumerSessionTimeout', 'group_consumer_session_timeout', [ms])
    })
  }

  setGroupConsumerHeartbeatInterval(ms: number): Promise<void> {
    return guard(() => {
      checkInteger('setGroupConsumerHeartbeatInterval', 'ms', ms, 1, INT32_MAX)
      return this.sendVoid('setGroupConsumerHeartbeatInterval', 'group_consumer_heartbeat_interval', [ms])
    })
  }

  startRequestTracking(): Promise<void> {
    return this.sendVoid('startRequestTracking', 'track_start')
  }

  stopRequestTracking(): Promise<void> {
    return this.sendVoid('stopRequestTracking', 'track_stop')
  }

  async requests(): Promise<MockRequest[]> {
    const json = await this.send('requests', 'requests')
    return JSON.parse(json ?? '[]') as MockRequest[]
  }

  clearRequests(): Promise<void> {
    return this.sendVoid('clearRequests', 'clear_requests')
  }
}

/** Turns a synchronous argument check into a rejected promise, so every control fails the same way. */
async function guard<T>(body: () => Promise<T>): Promise<T> {
  return body()
}

function checkInteger(control: string, name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new MockClusterArgumentError(control, `${name} must be an integer in [${min}, ${max}], got ${String(value)}`)
  }
}

function checkName(control: string, name: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new MockClusterArgumentError(control, `${name} must be a non-empty string, got ${JSON.stringify(value)}`)
  }
}
