/**
 * The SASL exchange on a fresh connection: SaslHandshake names the mechanism,
 * then SaslAuthenticate carries the mechanism's messages (KIP-152).
 */
import type { ApiDefinition } from '../../protocol/api.js'
import { SaslAuthenticateApi } from '../../protocol/messages/SaslAuthenticate.js'
import { SaslHandshakeApi } from '../../protocol/messages/SaslHandshake.js'
import { AuthenticationError } from '../../errors/index.js'
import type { SaslMechanism } from './mechanism.js'
import { oauthBearerMechanism, type OAuthBearerToken } from './oauthbearer.js'
import { plainMechanism } from './plain.js'
import { scramMechanism } from './scram.js'

/**
 * SASL settings. Secrets given here never appear in errors, logs or diagnostics.
 *
 * @example
 * ```ts
 * createKafka({ brokers: ['kafka:9093'], tls: true, sasl: { mechanism: 'SCRAM-SHA-512', username: 'app', password: process.env.PW! } })
 * ```
 */
export type SaslOptions =
  | {
      /** SASL/PLAIN (RFC 4616): the password travels as is, so use it over TLS only. */
      mechanism: 'PLAIN'
      /** The user name. */
      username: string
      /** The password; never printed (see the README on secrets). */
      password: string
    }
  | {
      /** SASL/SCRAM (RFC 5802, KIP-84): a salted challenge-response; the server's signature is verified too. */
      mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'
      /** The user name. */
      username: string
      /** The password; never printed. */
      password: string
    }
  | {
      /** SASL/OAUTHBEARER (RFC 7628, KIP-255): a bearer token from your identity provider. */
      mechanism: 'OAUTHBEARER'
      /** Called for each authentication and re-authentication (KIP-368), so it can return a fresh token. */
      token: () => Promise<OAuthBearerToken> | OAuthBearerToken
    }

/** What the exchange needs from the connection. */
export interface SaslTransport {
  broker: string
  request<Request, Response>(api: ApiDefinition<Request, Response>, body: Request): Promise<Response>
}

/** What a completed exchange tells: how long the session lasts (0: forever), for re-authentication (KIP-368). */
export interface SaslSession {
  sessionLifetimeMs: number
}

export function mechanismFor(options: SaslOptions): SaslMechanism {
  switch (options.mechanism) {
    case 'PLAIN':
      return plainMechanism(options.username, options.password)
    case 'SCRAM-SHA-256':
    case 'SCRAM-SHA-512':
      return scramMechanism(options.mechanism, options.username, options.password)
    case 'OAUTHBEARER':
      return oauthBearerMechanism(options.token)
  }
}

export async function authenticateSasl(options: SaslOptions, transport: SaslTransport): Promise<SaslSession> {
  const mechanism = mechanismFor(options)
  const handshake = await transport.request(SaslHandshakeApi, { mechanism: mechanism.name })
  if (handshake.errorCode !== 0) {
    throw new AuthenticationError(`the broker does not enable SASL mechanism ${mechanism.name}`, {
      broker: transport.broker,
      api: 'SaslHandshake',
      hint: `it offers: ${handshake.mechanisms.join(', ') || 'none'}`,
    })
  }
  let message: Buffer | undefined = await mechanism.start()
  let sessionLifetimeMs = 0
  while (message !== undefined) {
    const response = await transport.request(SaslAuthenticateApi, { authBytes: message })
    if (response.errorCode !== 0) {
      throw new AuthenticationError(`${mechanism.name} authentication failed: ${response.errorMessage ?? `error code ${response.errorCode}`}`, {
        broker: transport.broker,
        api: 'SaslAuthenticate',
        hint: 'check the credentials and the mechanism the listener expects',
      })
    }
    sessionLifetimeMs = Number(response.sessionLifetimeMs ?? 0n)
    message = await mechanism.next(response.authBytes)
  }
  return { sessionLifetimeMs }
}
