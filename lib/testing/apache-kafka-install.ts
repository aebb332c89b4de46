/**
 * Installs Apache Kafka for tests from Maven Central: the Maven project in
 * `test-brokers/kafka` resolves the broker, its tools, the Java client and
 * builds the interop peer. A stamp of the project's sources skips Maven when
 * nothing changed, so only the first call (or a changed pom) costs a resolve.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { KafkaInstallError } from '../errors/index.js'
import { runToCompletion } from './apache-kafka-process.js'

/** Where an installed Kafka is. */
export interface KafkaInstall {
  /** The Maven project (`test-brokers/kafka`). */
  projectDir: string
  /** `-cp` argument for the broker, its tools and the Java interop peer. */
  classpath: string
  /** The `java` to run. */
  java: string
  /** Kafka's version, from the pom. */
  kafkaVersion: string
}

/** Options of {@link installKafka}. */
export interface InstallKafkaOptions {
  /** The Maven project. Default: `$RXKAFKA_KAFKA_PROJECT`, else `test-brokers/kafka` in this package. */
  projectDir?: string
  /** Give up on Maven after this long. Default 600 000 ms (a first resolve downloads ~55 MB). */
  timeoutMs?: number
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const cached = new Map<string, Promise<KafkaInstall>>()

/**
 * Resolves Kafka with Maven if needed and says where it is. Called for you by
 * `startKafkaCluster`; `.ci/run` calls it ahead of time (`npm run kafka -- --install`).
 *
 * @throws {@link KafkaInstallError} naming what is missing (`java`, `maven`) or the Maven failure.
 *
 * @example
 * ```ts
 * import { installKafka } from 'rxkafka/testing'
 * const { classpath, kafkaVersion } = await installKafka()
 * console.log(`Kafka ${kafkaVersion}: java -cp '${classpath}' kafka.Kafka server.properties`)
 * ```
 */
export function installKafka(options: InstallKafkaOptions = {}): Promise<KafkaInstall> {
  const projectDir = options.projectDir ?? process.env['RXKAFKA_KAFKA_PROJECT'] ?? join(packageRoot, 'test-brokers', 'kafka')
  let install = cached.get(projectDir)
  if (install === undefined) {
    install = doInstall(projectDir, options.timeoutMs ?? 600_000)
    cached.set(projectDir, install)
    install.catch(() => cached.delete(projectDir))
  }
  return install
}

async function doInstall(projectDir: string, timeoutMs: number): Promise<KafkaInstall> {
  const pomPath = join(projectDir, 'pom.xml')
  if (!existsSync(pomPath)) {
    throw new KafkaInstallError('project', `no Maven project at ${projectDir}`, {
      hint: 'set RXKAFKA_KAFKA_PROJECT to the folder of rxkafka\'s test-brokers/kafka/pom.xml',
    })
  }
  const pom = await readFile(pomPath, 'utf8')
  const kafkaVersion = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1] ?? 'unknown'
  const java = javaCommand()
  await checkRuns(java, ['-version'], 'java', 'install a JDK 17 or newer (apt-get install -y openjdk-17-jdk-headless), or set JAVA_HOME')
  const target = join(projectDir, 'target')
  const stampPath = join(target, 'rxkafka-install.stamp')
  const stamp = await sourceStamp(projectDir)
  const current = existsSync(stampPath) ? await readFile(stampPath, 'utf8') : ''
  if (current !== stamp || !existsSync(join(target, 'lib')) || !existsSync(join(target, 'classes'))) {
    await checkRuns('mvn', ['-v'], 'maven', 'install Maven (apt-get install -y maven)')
    await runMaven(projectDir, timeoutMs)
    await writeFile(stampPath, stamp)
  }
  return { projectDir, classpath: `${join(target, 'classes')}:${join(target, 'lib', '*')}`, java, kafkaVersion }
}

function javaCommand(): string {
  const home = process.env['JAVA_HOME']
  return home !== undefined && home !== '' ? join(home, 'bin', 'java') : 'java'
}

/** A hash of the pom and every Java source: what the build in target/ was made from. */
async function sourceStamp(projectDir: string): Promise<string> {
  const hash = createHash('sha256')
  hash.update(await readFile(join(projectDir, 'pom.xml')))
  const walk = async (dir: string): Promise<void> => {
    if (!existsSync(dir)) return
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) await walk(path)
      else {
        hash.update(path.slice(projectDir.length))
        hash.update(await readFile(path))
      }
    }
  }
  await walk(join(projectDir, 'src'))
  return hash.digest('hex')
}

function checkRuns(command: string, args: string[], missing: string, hint: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore' })
    child.on('error', (cause) => reject(new KafkaInstallError(missing, `${command} cannot be run`, { cause, hint })))
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new KafkaInstallError(missing, `${command} ${args.join(' ')} exited with ${code}`, { hint }))))
  })
}

async function runMaven(projectDir: string, timeoutMs: number): Promise<void> {
  // -B: no colours or progress; package resolves into target/lib and compiles the interop peer.
  const run = await runToCompletion('mvn', ['-q', '-B', 'package'], projectDir, timeoutMs)
  if (run.spawnError !== undefined) {
    throw new KafkaInstallError('maven', 'mvn cannot be run', { cause: run.spawnError, hint: 'install Maven (apt-get install -y maven)' })
  }
  if (run.code !== 0) {
    throw new KafkaInstallError('resolve', `mvn package in ${projectDir} failed (${run.signal ?? `exit ${run.code}`}):\n${run.output}`, {
      hint: 'Maven Central must be reachable for the first install (later ones use ~/.m2); run `mvn -B package` there to see the whole log',
    })
  }
}
