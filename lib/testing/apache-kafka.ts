/**
 * Apache Kafka for tests: a KRaft cluster of real broker JVMs on loopback
 * (installed from Maven Central by `test-brokers/kafka`), with controls to
 * stop, kill and restart nodes. The real counterpart of `startMockCluster`.
 *
 * Every node is a combined broker and controller; with 3 nodes the controller
 * quorum has 3 voters, so a killed node's leaderships really move. Nodes die
 * with this process (their standard input is a pipe from it), and `stop()` or
 * this process exiting removes every temporary folder.
 */
import { randomBytes } from 'node:crypto'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HOST, nodeProperties, scramFormatArgs, type KafkaNodePorts, type KafkaSaslUser } from './apache-kafka-config.js'
import { KafkaControlError, KafkaStartError } from '../errors/index.js'
import { installKafka, type InstallKafkaOptions } from './apache-kafka-install.js'
import { exitOf, logTail, quoteTail, runTool, spawnNode } from './apache-kafka-process.js'
import { createTopicAndWait, metadata } from './apache-kafka-wire.js'
import { forgetOnExit, killOnExit } from './kill-on-exit.js'

/** A topic to create once the cluster is up. */
export interface KafkaTopicSpec {
  /** The topic's name. */
  name: string
  /** At least 1. */
  partitions: number
  /** 1..brokers. Default: min(3, brokers). */
  replicationFactor?: number
  /** Topic configs, such as `{ 'segment.bytes': '1048576' }`. */
  configs?: Record<string, string>
}

/** Options of {@link startKafkaCluster}. */
export interface KafkaClusterOptions {
  /** Number of nodes, ids 1..N, each broker and controller. Default 1; at most 5. */
  brokers?: number
  /** Topics to create before the promise resolves. */
  topics?: readonly KafkaTopicSpec[]
  /** Adds a SASL_PLAINTEXT listener on which these users log in with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512. */
  sasl?: {
    /** The users and their passwords. */
    users: readonly KafkaSaslUser[]
  }
  /** Adds an SSL listener with this PEM certificate (chain) and unencrypted PKCS#8 private key. */
  ssl?: {
    /** The listener's certificate (chain), PEM. */
    cert: string | Buffer
    /** Its unencrypted PKCS#8 private key, PEM. */
    key: string | Buffer
    /** Host name the SSL listener advertises; must be in the certificate. Default `localhost`. */
    host?: string
  }
  /**
   * Fixed ports instead of random free ones: node i (from 0) listens on `base + i`
   * (PLAINTEXT), `base + 100 + i` (controller), `base + 200 + i` (SASL), `base + 300 + i` (SSL).
   */
  basePort?: number
  /** Broker settings on top of the test defaults (docs/kafka-cluster.md lists those). */
  brokerConfig?: Record<string, string>
  /** JVM heap of each node, in MiB (`-Xmx`). Default 384. */
  heapMb?: number
  /** Give up starting after this long (a first Maven resolve not included). Default 120 000 ms. */
  startTimeoutMs?: number
  /** Where the Maven project is. */
  install?: InstallKafkaOptions
}

/** One node of a running cluster. Only loopback addresses are used. */
export interface KafkaNode {
  /** The node id (broker and controller), 1..N. */
  id: number
  /** The loopback host it listens on. */
  host: string
  /** PLAINTEXT port. */
  port: number
  /** Its KRaft controller port. */
  controllerPort: number
  /** Its SASL_PLAINTEXT port, when the cluster has `sasl`. */
  saslPort: number | undefined
  /** Its SSL port, when the cluster has `ssl`. */
  sslPort: number | undefined
  /** PID of its JVM, undefined while it is stopped. */
  readonly pid: number | undefined
  /** Whether its JVM is running. */
  readonly running: boolean
  /** The node's log file (removed with the cluster). */
  logPath: string
}

/**
 * A running Kafka cluster. Controls reject with {@link KafkaControlError} for
 * bad arguments, a refused topic or a stopped cluster, and with
 * {@link KafkaStartError} when a node does not come back.
 */
export interface KafkaCluster {
  /** PLAINTEXT bootstrap servers, `host:port,...`, in node id order. */
  readonly bootstrap: string
  /** SASL_PLAINTEXT bootstrap servers, when `sasl` was given. */
  readonly saslBootstrap: string | undefined
  /** SSL bootstrap servers (with the advertised host name), when `ssl` was given. */
  readonly sslBootstrap: string | undefined
  /** Settings for `createKafka` (spread your own next to them). */
  readonly clientConfig: {
    /** The PLAINTEXT bootstrap brokers. */
    brokers: string[]
  }
  /** Every node, in id order. */
  readonly nodes: readonly KafkaNode[]
  /** The KRaft cluster id it was formatted with. */
  readonly clusterId: string
  /** The Apache Kafka version running, such as `4.4.0`. */
  readonly kafkaVersion: string
  /** `java` and `-cp` of the install, for the Java interop peer. */
  readonly java: string
  /** The classpath of the Kafka and Java client jars (`java -cp`). */
  readonly classpath: string
  /** Whether `stop()` was called. */
  readonly stopped: boolean

  /** Creates a topic and waits until every running node knows a leader for each partition. */
  createTopic(name: string, partitions: number, replicationFactor?: number, configs?: Record<string, string>): Promise<void>
  /** Stops a node cleanly (SIGTERM: controlled shutdown moves its leaderships first); resolves when its JVM has exited. */
  stopBroker(id: number): Promise<void>
  /** Kills a node's JVM with SIGKILL; resolves when it has exited. The others fence it after `broker.session.timeout.ms` (3 s). */
  killBroker(id: number): Promise<void>
  /** Starts a stopped or killed node again on the same ports and data; resolves when the cluster lists it. */
  startBroker(id: number): Promise<void>
  /** The last lines a node logged. */
  logTail(id: number, lines?: number): string[]
  /** Kills every node (SIGKILL: tests need no controlled shutdown) and removes the temporary folders. Idempotent. */
  stop(): Promise<void>
}


/**
 * Starts a real Kafka cluster (installing Kafka with Maven on first use) and
 * resolves once every node answers Metadata listing all nodes, and the
 * requested topics have leaders.
 *
 * @throws {@link KafkaInstallError} without Java or Maven, {@link KafkaStartError}
 * when a node dies or is not ready in time (with its last log lines),
 * {@link KafkaControlError} for bad options.
 *
 * @example
 * ```ts
 * import { startKafkaCluster } from 'rxkafka/testing'
 * import { createKafka } from 'rxkafka'
 *
 * const cluster = await startKafkaCluster({ brokers: 3, topics: [{ name: 'orders', partitions: 6 }] })
 * try {
 *   const kafka = createKafka({ ...cluster.clientConfig, clientId: 'spec' })
 *   // ... produce, then await cluster.killBroker(2) and see the leaders move ...
 * } finally {
 *   await cluster.stop()
 * }
 * ```
 */
export async function startKafkaCluster(options: KafkaClusterOptions = {}): Promise<KafkaCluster> {
  const nodeCount = options.brokers ?? 1
  checkInteger('brokers', nodeCount, 1, 5)
  for (const [i, topic] of (options.topics ?? []).entries()) {
    checkTopic(`topics[${i}]`, topic.name, topic.partitions, topic.replicationFactor ?? 1, nodeCount)
  }
  for (const user of options.sasl?.users ?? []) {
    if (!/^[A-Za-z0-9._-]+$/.test(user.username) || !/^[A-Za-z0-9._-]+$/.test(user.password)) {
      throw new KafkaControlError(`startKafkaCluster: SASL user ${JSON.stringify(user.username)} has characters other than letters, digits, '.', '_', '-'`)
    }
  }
  const heapMb = options.heapMb ?? 384
  checkInteger('heapMb', heapMb, 128, 8_192)
  const install = await installKafka(options.install)
  const ports = await choosePorts(nodeCount, options)
  const cluster = new KafkaClusterProcess(install.java, install.classpath, install.kafkaVersion, ports, heapMb, options)
  try {
    await cluster.format(options.sasl?.users ?? [])
    await cluster.startAll(options.startTimeoutMs ?? 120_000)
    for (const topic of options.topics ?? []) {
      await cluster.createTopic(topic.name, topic.partitions, topic.replicationFactor, topic.configs)
    }
  } catch (error) {
    await cluster.stop()
    throw error
  }
  return cluster
}

/**
 * A random cluster id (22 URL-safe base64 characters) that does not start
 * with `-`: StorageTool's argument parser would read such an id as an option
 * and refuse to format (it did, once in 64 starts). Kafka's own ids avoid it
 * the same way.
 *
 * @example
 * ```ts
 * newClusterId(() => Buffer.alloc(16, 0xfb)) // never '-...': redrawn until it is not
 * ```
 */
export function newClusterId(random: () => Buffer = () => randomBytes(16)): string {
  for (;;) {
    const id = random().toString('base64url')
    if (!id.startsWith('-')) return id
  }
}

interface NodeProcess extends KafkaNode {
  child: ChildProcess | undefined
  propertiesPath: string
}

class KafkaClusterProcess implements KafkaCluster {
  readonly clusterId = newClusterId()
  readonly nodes: NodeProcess[]
  readonly bootstrap: string
  readonly saslBootstrap: string | undefined
  readonly sslBootstrap: string | undefined
  readonly clientConfig: { brokers: string[] }
  stopped = false
  private readonly root = mkdtempSync(join(tmpdir(), 'rxkafka-kafka-'))
  private stopPromise: Promise<void> | undefined

  constructor(
    readonly java: string,
    readonly classpath: string,
    readonly kafkaVersion: string,
    ports: KafkaNodePorts[],
    private readonly heapMb: number,
    options: KafkaClusterOptions,
  ) {
    killOnExit(this)
    let keystore: string | undefined
    if (options.ssl !== undefined) {
      keystore = join(this.root, 'keystore.pem')
      writeFileSync(keystore, `${options.ssl.key.toString().trim()}\n${options.ssl.cert.toString().trim()}\n`, { mode: 0o600 })
    }
    const sslHost = options.ssl?.host ?? 'localhost'
    this.nodes = ports.map((port, i) => {
      const id = i + 1
      const dir = join(this.root, `node-${id}`)
      const propertiesPath = join(this.root, `node-${id}.properties`)
      writeFileSync(propertiesPath, nodeProperties({
        nodeId: id,
        nodes: ports,
        dataDir: join(dir, 'data'),
        saslUsers: options.sasl?.users ?? [],
        sslKeystorePath: keystore,
        sslHost,
        overrides: options.brokerConfig ?? {},
      }))
      const node: NodeProcess = {
        id,
        host: HOST,
        port: port.client,
        controllerPort: port.controller,
        saslPort: port.sasl,
        sslPort: port.ssl,
        child: undefined,
        propertiesPath,
        logPath: join(this.root, `node-${id}.log`),
        get pid() {
          return node.child?.pid
        },
        get running() {
          return node.child !== undefined && node.child.exitCode === null && node.child.signalCode === null
        },
      }
      return node
    })
    this.bootstrap = this.nodes.map((n) => `${HOST}:${n.port}`).join(',')
    this.saslBootstrap = options.sasl === undefined ? undefined : this.nodes.map((n) => `${HOST}:${n.saslPort}`).join(',')
    this.sslBootstrap = options.ssl === undefined ? undefined : this.nodes.map((n) => `${sslHost}:${n.sslPort}`).join(',')
    this.clientConfig = { brokers: this.bootstrap.split(',') }
  }

  async format(saslUsers: readonly KafkaSaslUser[]): Promise<void> {
    // One StorageTool JVM per node, side by side: each node's meta.properties names its own id.
    await Promise.all(this.nodes.map((node) => runTool(this.java, this.classpath, 'kafka.tools.StorageTool', [
      'format', '-t', this.clusterId, '-c', node.propertiesPath, ...scramFormatArgs(saslUsers),
    ], 120_000)))
  }

  async startAll(timeoutMs: number): Promise<void> {
    for (const node of this.nodes) this.spawn(node)
    const deadline = Date.now() + timeoutMs
    await Promise.all(this.nodes.map((node) => this.waitReady(node, deadline)))
  }

  async createTopic(name: string, partitions: number, replicationFactor?: number, configs: Record<string, string> = {}): Promise<void> {
    this.checkLive('createTopic')
    const running = this.nodes.filter((n) => n.running)
    const factor = replicationFactor ?? Math.min(3, this.nodes.length)
    checkTopic('createTopic', name, partitions, factor, this.nodes.length)
    if (running.length === 0) throw new KafkaControlError(`createTopic ${name}: no node is running`)
    await createTopicAndWait(running, { name, partitions, replicationFactor: factor, configs })
  }

  async stopBroker(id: number): Promise<void> {
    const node = this.node('stopBroker', id)
    const child = node.child
    if (child === undefined || !node.running) return
    child.kill('SIGTERM')
    // A controlled shutdown takes a few seconds; one that hangs (a lost quorum) is killed after 60 s.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    await exitOf(child)
    clearTimeout(timer)
  }

  async killBroker(id: number): Promise<void> {
    const node = this.node('killBroker', id)
    const child = node.child
    if (child === undefined || !node.running) return
    child.kill('SIGKILL')
    await exitOf(child)
  }

  async startBroker(id: number): Promise<void> {
    const node = this.node('startBroker', id)
    if (node.running) return
    this.spawn(node)
    await this.waitReady(node, Date.now() + 120_000)
  }

  logTail(id: number, lines?: number): string[] {
    return logTail(this.node('logTail', id).logPath, lines)
  }

  stop(): Promise<void> {
    this.stopPromise ??= (async () => {
      this.stopped = true
      const exits = this.nodes.flatMap((node) => (node.child === undefined ? [] : [exitOf(node.child)]))
      for (const node of this.nodes) if (node.running) node.child?.kill('SIGKILL')
      await Promise.all(exits)
      rmSync(this.root, { recursive: true, force: true })
      forgetOnExit(this)
    })()
    return this.stopPromise
  }

  /** For the exit hook: synchronous. */
  killNow(): void {
    for (const node of this.nodes) {
      if (node.running && node.child?.pid !== undefined) {
        try {
          process.kill(node.child.pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
    }
    rmSync(this.root, { recursive: true, force: true })
  }

  private spawn(node: NodeProcess): void {
    node.child = spawnNode(this.java, this.classpath, this.heapMb, node.propertiesPath, node.logPath)
    node.child.on('error', () => undefined)
  }

  /** Until the node answers Metadata listing every running node (and itself). */
  private async waitReady(node: NodeProcess, deadline: number): Promise<void> {
    const child = node.child!
    let exited = false
    const exit = exitOf(child).then(() => {
      exited = true
    })
    const ready = poll(deadline, `node ${node.id} answers Metadata listing every running node`, async () => {
      if (exited) return true
      const answer = await metadata(node.host, node.port, [], 2_000)
      const listed = new Set(answer.brokers.map((b) => b.nodeId))
      return this.nodes.every((n) => !n.running || listed.has(n.id))
    })
    try {
      await Promise.race([ready, exit])
    } catch (error) {
      throw new KafkaStartError(`${(error as Error).message}${quoteTail(node.logPath)}`)
    }
    if (exited || this.stopped) {
      throw new KafkaStartError(
        `node ${node.id} (pid ${child.pid}) exited while starting (${child.signalCode ?? `exit ${child.exitCode}`})${quoteTail(node.logPath)}`,
      )
    }
  }

  private node(control: string, id: number): NodeProcess {
    this.checkLive(control)
    const node = this.nodes[id - 1]
    if (!Number.isInteger(id) || node === undefined) {
      throw new KafkaControlError(`${control}: no node ${id}; the nodes are 1..${this.nodes.length}`)
    }
    return node
  }

  private checkLive(control: string): void {
    if (this.stopped) throw new KafkaControlError(`${control}: the Kafka cluster was stopped`)
  }
}

/** Polls until `check` resolves true; errors of a single check count as "not yet". */
async function poll(deadline: number, what: string, check: () => Promise<boolean>): Promise<void> {
  let last: unknown
  while (Date.now() < deadline) {
    try {
      if (await check()) return
    } catch (error) {
      last = error
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new KafkaStartError(`still not true when the time ran out: ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`)
}

async function choosePorts(nodeCount: number, options: KafkaClusterOptions): Promise<KafkaNodePorts[]> {
  const base = options.basePort
  if (base !== undefined) {
    checkInteger('basePort', base, 1024, 65_535 - 400)
    return Array.from({ length: nodeCount }, (_, i) => ({
      client: base + i,
      controller: base + 100 + i,
      sasl: options.sasl === undefined ? undefined : base + 200 + i,
      ssl: options.ssl === undefined ? undefined : base + 300 + i,
    }))
  }
  const perNode = 2 + (options.sasl === undefined ? 0 : 1) + (options.ssl === undefined ? 0 : 1)
  const free = await freePorts(nodeCount * perNode)
  return Array.from({ length: nodeCount }, () => ({
    client: free.pop()!,
    controller: free.pop()!,
    sasl: options.sasl === undefined ? undefined : free.pop()!,
    ssl: options.ssl === undefined ? undefined : free.pop()!,
  }))
}

/** Distinct ports the kernel hands out now: all held open together, then released for the nodes. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, HOST, () => resolve(server))
  })))
  const ports = servers.map((server) => (server.address() as AddressInfo).port)
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  return ports
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new KafkaControlError(`startKafkaCluster: ${name} must be an integer in ${min}..${max}, got ${value}`)
  }
}

function checkTopic(where: string, name: string, partitions: number, replicationFactor: number, nodeCount: number): void {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(name)) {
    throw new KafkaControlError(`${where}: topic name ${JSON.stringify(name)} must be 1-249 letters, digits, '.', '_' or '-'`)
  }
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10_000) {
    throw new KafkaControlError(`${where}: partitions of ${name} must be an integer in 1..10000, got ${partitions}`)
  }
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1 || replicationFactor > nodeCount) {
    throw new KafkaControlError(`${where}: replication factor of ${name} must be an integer in 1..${nodeCount} (the node count), got ${replicationFactor}`)
  }
}
