/**
 * server.properties of one KRaft node of a test cluster: every node is broker
 * and controller (a combined node), every listener on loopback. Everything
 * that is not Kafka's default is here, with why (docs/kafka-cluster.md lists them).
 */

/** The ports of one node. */
export interface KafkaNodePorts {
  /** PLAINTEXT: clients and the other brokers. */
  client: number
  /** The KRaft controller listener. */
  controller: number
  /** SASL_PLAINTEXT, when SASL users were asked for. */
  sasl?: number
  /** SSL, when a certificate was given. */
  ssl?: number
}

/** A SASL user: it may log in with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512. */
export interface KafkaSaslUser {
  /** Letters, digits, `.`, `_`, `-`. */
  username: string
  /** Letters, digits, `.`, `_`, `-`. */
  password: string
}

export interface NodeConfigInput {
  nodeId: number
  /** Every node's ports, index = node id - 1. */
  nodes: readonly KafkaNodePorts[]
  dataDir: string
  saslUsers: readonly KafkaSaslUser[]
  /** PEM file holding the private key and then the certificate chain. */
  sslKeystorePath: string | undefined
  /** Host name the SSL listener advertises (it must be in the certificate). */
  sslHost: string
  /** Extra or overriding broker settings. */
  overrides: Readonly<Record<string, string>>
}

export const HOST = '127.0.0.1'
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const

/** The test-friendly settings, for a cluster of `nodeCount` nodes. */
export function testDefaults(nodeCount: number): Record<string, string> {
  const replicas = String(Math.min(3, nodeCount))
  const minIsr = String(Math.min(2, nodeCount))
  return {
    // A new group's first rebalance is not held 3 s for more members: specs join and wait for assignments.
    'group.initial.rebalance.delay.ms': '0',
    // Specs use session timeouts of a few seconds so that a dead member is noticed within a spec's bounds.
    'group.min.session.timeout.ms': '1000',
    // Internal topics cannot have more replicas than there are nodes (defaults are 3 and 2).
    'offsets.topic.replication.factor': replicas,
    'transaction.state.log.replication.factor': replicas,
    'transaction.state.log.min.isr': minIsr,
    'share.coordinator.state.topic.replication.factor': replicas,
    'share.coordinator.state.topic.min.isr': minIsr,
    // 50 partitions each (the default) make the first group or transaction wait for 50 partitions to be led.
    'offsets.topic.num.partitions': '5',
    'transaction.state.log.num.partitions': '5',
    'share.coordinator.state.topic.num.partitions': '5',
    // The consumer group protocol (KIP-848) and share groups (KIP-932): the broker decides session timeout and
    // heartbeat interval (defaults 45 s and 5 s, floors 45 s and 5 s); specs kill members and wait for their
    // partitions, and share records locked by a killed member come back after the lock duration (default 30 s).
    'group.consumer.min.session.timeout.ms': '1000',
    'group.consumer.session.timeout.ms': '10000',
    'group.consumer.min.heartbeat.interval.ms': '250',
    'group.consumer.heartbeat.interval.ms': '500',
    'group.share.min.session.timeout.ms': '1000',
    'group.share.session.timeout.ms': '10000',
    'group.share.min.heartbeat.interval.ms': '250',
    'group.share.heartbeat.interval.ms': '500',
    'group.share.min.record.lock.duration.ms': '1000',
    'group.share.record.lock.duration.ms': '10000',
    // A killed node is fenced (and loses its leaderships) after 3 s instead of 9 s.
    'broker.heartbeat.interval.ms': '500',
    'broker.session.timeout.ms': '3000',
  }
}

export function nodeProperties(input: NodeConfigInput): string {
  const self = input.nodes[input.nodeId - 1]!
  const listeners = [`PLAINTEXT://${HOST}:${self.client}`, `CONTROLLER://${HOST}:${self.controller}`]
  const advertised = [`PLAINTEXT://${HOST}:${self.client}`]
  if (self.sasl !== undefined) {
    listeners.push(`SASL_PLAINTEXT://${HOST}:${self.sasl}`)
    advertised.push(`SASL_PLAINTEXT://${HOST}:${self.sasl}`)
  }
  if (self.ssl !== undefined) {
    listeners.push(`SSL://${HOST}:${self.ssl}`)
    advertised.push(`SSL://${input.sslHost}:${self.ssl}`)
  }
  const settings: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': String(input.nodeId),
    'controller.quorum.voters': input.nodes.map((node, i) => `${i + 1}@${HOST}:${node.controller}`).join(','),
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    listeners: listeners.join(','),
    'advertised.listeners': advertised.join(','),
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL',
    'log.dirs': input.dataDir,
    ...testDefaults(input.nodes.length),
  }
  if (self.sasl !== undefined) {
    settings['sasl.enabled.mechanisms'] = SASL_MECHANISMS.join(',')
    const plainUsers = input.saslUsers.map((user) => `user_${user.username}="${user.password}"`).join(' ')
    settings['listener.name.sasl_plaintext.plain.sasl.jaas.config'] = `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`
    // SCRAM credentials live in the cluster metadata; StorageTool format --add-scram writes them.
    for (const mechanism of ['scram-sha-256', 'scram-sha-512']) {
      settings[`listener.name.sasl_plaintext.${mechanism}.sasl.jaas.config`] = 'org.apache.kafka.common.security.scram.ScramLoginModule required;'
    }
  }
  if (self.ssl !== undefined && input.sslKeystorePath !== undefined) {
    settings['ssl.keystore.type'] = 'PEM'
    settings['ssl.keystore.location'] = input.sslKeystorePath
    settings['ssl.client.auth'] = 'none'
  }
  Object.assign(settings, input.overrides)
  return Object.entries(settings).map(([name, value]) => `${name}=${escapeValue(value)}`).join('\n') + '\n'
}

/** `--add-scram` arguments of StorageTool format: every user with both SCRAM mechanisms. */
export function scramFormatArgs(users: readonly KafkaSaslUser[]): string[] {
  return users.flatMap((user) => ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((mechanism) => [
    '--add-scram',
    `${mechanism}=[name=${user.username},password=${user.password}]`,
  ]))
}

/** A .properties value: backslashes and line breaks escaped. */
function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}
