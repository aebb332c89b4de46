/**
 * vitest globalSetup: one single-node Apache Kafka for the whole run, with
 * PLAINTEXT, SASL_PLAINTEXT (PLAIN and SCRAM users) and SSL listeners, handed
 * to the specs with provide/inject (spec/support/peers.ts). Each spec uses its
 * own topic and group names on it. Specs that kill brokers start their own
 * 3-node cluster.
 *
 * If Kafka cannot start, the run goes on and every real-Kafka spec fails with
 * the reason (inject('kafka').error): such specs are never skipped.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'
import { startKafkaCluster, type KafkaCluster } from '../../lib/testing/index.js'

export interface SharedKafka {
  /** Why the shared cluster is missing; the other fields are empty then. */
  error: string | undefined
  bootstrap: string
  saslBootstrap: string
  sslBootstrap: string
  java: string
  classpath: string
  kafkaVersion: string
  /** Node start-up of the shared cluster, for the log. */
  startMs: number
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafka: SharedKafka
  }
}

export const SASL_USERS = [
  { username: 'alice', password: 'alice-secret' },
  { username: 'bob', password: 'bob-secret' },
]

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url)))

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now()
  let cluster: KafkaCluster | undefined
  let shared: SharedKafka
  try {
    cluster = await startKafkaCluster({
      sasl: { users: SASL_USERS },
      ssl: { cert: fixture('localhost.crt'), key: fixture('localhost.key') },
    })
    shared = {
      error: undefined,
      bootstrap: cluster.bootstrap,
      saslBootstrap: cluster.saslBootstrap!,
      sslBootstrap: cluster.sslBootstrap!,
      java: cluster.java,
      classpath: cluster.classpath,
      kafkaVersion: cluster.kafkaVersion,
      startMs: Date.now() - started,
    }
    process.stderr.write(`[kafka] shared Kafka ${cluster.kafkaVersion} ready in ${shared.startMs} ms at ${cluster.bootstrap}\n`)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    process.stderr.write(`[kafka] the shared Kafka did not start; every real-Kafka spec will fail: ${message}\n`)
    shared = { error: message, bootstrap: '', saslBootstrap: '', sslBootstrap: '', java: '', classpath: '', kafkaVersion: '', startMs: 0 }
  }
  project.provide('kafka', shared)
  return async () => {
    await cluster?.stop()
  }
}
