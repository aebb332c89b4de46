/**
 * SASL against Apache Kafka's SASL_PLAINTEXT listener (the shared cluster's
 * users, spec/support/kafka-global-setup.ts): PLAIN and both SCRAM mechanisms
 * log in and then speak Kafka; a wrong password is an AuthenticationError.
 * The mock has no SASL, so these run on Kafka only.
 */
import { firstValueFrom } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { BrokerConnection } from '../../lib/connection/broker-connection.js'
import { AuthenticationError } from '../../lib/errors/index.js'
import { MetadataApi } from '../../lib/protocol/messages/Metadata.js'
import { SASL_USERS } from '../support/kafka-global-setup.js'
import { sharedKafka } from '../support/peers.js'

const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const

function saslAddress(): { host: string; port: number } {
  const [host, port] = sharedKafka().saslBootstrap.split(',')[0]!.split(':')
  return { host: host!, port: Number(port) }
}

describe('SASL against Apache Kafka', () => {
  it.each(MECHANISMS)('%s: each user logs in and the connection then answers Metadata', async (mechanism) => {
    for (const user of SASL_USERS) {
      const conn = new BrokerConnection({ ...saslAddress(), nodeId: 1 }, { clientId: 'sasl-spec', sasl: { mechanism, ...user } })
      try {
        const answer = await firstValueFrom(conn.request(MetadataApi, { topics: [] }))
        expect(answer.brokers.map((b) => b.port)).toEqual([saslAddress().port])
      } finally {
        conn.close()
      }
    }
  })

  it.each(MECHANISMS)('%s: a wrong password is an AuthenticationError naming the mechanism', async (mechanism) => {
    const conn = new BrokerConnection({ ...saslAddress(), nodeId: 1 }, { clientId: 'sasl-spec', sasl: { mechanism, username: 'alice', password: 'not-her-password' } })
    try {
      const error = await firstValueFrom(conn.request(MetadataApi, { topics: [] })).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(AuthenticationError)
      expect((error as AuthenticationError).message).toContain(mechanism)
      expect((error as AuthenticationError).retriable).toBe(false)
    } finally {
      conn.close()
    }
  })
})
