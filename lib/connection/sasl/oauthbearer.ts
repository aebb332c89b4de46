/** SASL/OAUTHBEARER (RFC 7628, KIP-255): a bearer token from a user-supplied provider. */
import { AuthenticationError } from '../../errors/index.js'
import type { SaslMechanism } from './mechanism.js'

/** What a token provider returns. */
export interface OAuthBearerToken {
  /** The token itself (a JWT for most identity providers). */
  value: string
  /** SASL extensions (KIP-342), sent as key=value pairs. */
  extensions?: Record<string, string>
}

const SEPARATOR = '\u0001'

export function oauthBearerMechanism(provider: () => Promise<OAuthBearerToken> | OAuthBearerToken): SaslMechanism {
  let answeredError = false
  return {
    name: 'OAUTHBEARER',
    async start() {
      const token = await provider()
      if (typeof token.value !== 'string' || token.value.length === 0) {
        throw new AuthenticationError('the OAUTHBEARER token provider returned an empty token', {
          hint: 'make the provider return { value: <token> }',
        })
      }
      let message = `n,,${SEPARATOR}auth=Bearer ${token.value}${SEPARATOR}`
      for (const [key, value] of Object.entries(token.extensions ?? {})) message += `${key}=${value}${SEPARATOR}`
      return Buffer.from(message + SEPARATOR, 'utf8')
    },
    async next(serverMessage) {
      // An empty answer is success; a non-empty one is the server's error, which RFC 7628
      // asks the client to acknowledge with a lone separator before the server fails the exchange.
      if (serverMessage.length === 0 || answeredError) return undefined
      answeredError = true
      return Buffer.from(SEPARATOR, 'utf8')
    },
  }
}
