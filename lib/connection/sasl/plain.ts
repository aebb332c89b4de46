/** SASL/PLAIN (RFC 4616): the credentials in one message. Only safe over TLS. */
import type { SaslMechanism } from './mechanism.js'

export function plainMechanism(username: string, password: string): SaslMechanism {
  return {
    name: 'PLAIN',
    start: async () => Buffer.from(`\u0000${username}\u0000${password}`, 'utf8'),
    next: async () => undefined,
  }
}
