/**
 * SASL/SCRAM-SHA-256 and -512 (RFC 5802, RFC 7677), as Kafka uses them
 * (KIP-84): no channel binding, and the server's signature is verified, so a
 * server that does not know the password cannot pretend to.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto'
import { AuthenticationError } from '../../errors/index.js'
import type { SaslMechanism } from './mechanism.js'

export type ScramAlgorithm = 'SCRAM-SHA-256' | 'SCRAM-SHA-512'

/** Kafka refuses fewer iterations than this; so do we, as a server asking for less is suspect. */
const MIN_ITERATIONS = 4096
/** Base64 of the GS2 header `n,,` (no channel binding, no authzid). */
const GS2_HEADER_BASE64 = 'biws'

interface Hash {
  digest: 'sha256' | 'sha512'
  bytes: number
}

const HASHES: Record<ScramAlgorithm, Hash> = {
  'SCRAM-SHA-256': { digest: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { digest: 'sha512', bytes: 64 },
}

/** `=` and `,` are escaped in SCRAM user names (RFC 5802 section 5.1). */
function escapeUsername(username: string): string {
  return username.replace(/=/g, '=3D').replace(/,/g, '=2C')
}

function parseAttributes(message: string): Map<string, string> {
  const attributes = new Map<string, string>()
  for (const part of message.split(',')) {
    const eq = part.indexOf('=')
    if (eq === 1) attributes.set(part[0]!, part.slice(2))
  }
  return attributes
}

function hmac(hash: Hash, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(hash.digest, key).update(data).digest()
}

/**
 * A SCRAM client. `nonce` is for tests (RFC test vectors); by default 24
 * random bytes are used.
 */
export function scramMechanism(
  algorithm: ScramAlgorithm,
  username: string,
  password: string,
  nonce: string = randomBytes(24).toString('base64'),
): SaslMechanism {
  const hash = HASHES[algorithm]
  const clientFirstBare = `n=${escapeUsername(username)},r=${nonce}`
  let expectedServerSignature: Buffer | undefined
  let step = 0

  return {
    name: algorithm,
    async start() {
      return Buffer.from(`n,,${clientFirstBare}`, 'utf8')
    },
    async next(serverMessage) {
      const text = serverMessage.toString('utf8')
      const attributes = parseAttributes(text)
      if (attributes.has('e')) {
        throw new AuthenticationError(`${algorithm} server error: ${attributes.get('e')}`, {
          hint: 'check the user name and password, and that SCRAM credentials exist for this user on the cluster',
        })
      }
      step++
      if (step === 1) {
        const serverNonce = attributes.get('r')
        const salt = attributes.get('s')
        const iterations = Number(attributes.get('i'))
        if (serverNonce === undefined || salt === undefined || !Number.isInteger(iterations)) {
          throw new AuthenticationError(`${algorithm}: malformed server-first message`)
        }
        if (!serverNonce.startsWith(nonce) || serverNonce.length === nonce.length) {
          throw new AuthenticationError(`${algorithm}: the server nonce does not extend the client nonce`, {
            hint: 'the peer is not following SCRAM; it may not be the broker you meant',
          })
        }
        if (iterations < MIN_ITERATIONS) {
          throw new AuthenticationError(`${algorithm}: server asked for ${iterations} iterations, fewer than ${MIN_ITERATIONS}`)
        }
        const saltedPassword = pbkdf2Sync(password.normalize('NFKC'), Buffer.from(salt, 'base64'), iterations, hash.bytes, hash.digest)
        const clientKey = hmac(hash, saltedPassword, 'Client Key')
        const storedKey = createHash(hash.digest).update(clientKey).digest()
        const clientFinalWithoutProof = `c=${GS2_HEADER_BASE64},r=${serverNonce}`
        const authMessage = `${clientFirstBare},${text},${clientFinalWithoutProof}`
        const clientSignature = hmac(hash, storedKey, authMessage)
        const proof = Buffer.alloc(clientKey.length)
        for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ clientSignature[i]!
        expectedServerSignature = hmac(hash, hmac(hash, saltedPassword, 'Server Key'), authMessage)
        return Buffer.from(`${clientFinalWithoutProof},p=${proof.toString('base64')}`, 'utf8')
      }
      if (step === 2) {
        const verifier = attributes.get('v')
        const received = verifier === undefined ? undefined : Buffer.from(verifier, 'base64')
        if (
          received === undefined ||
          expectedServerSignature === undefined ||
          received.length !== expectedServerSignature.length ||
          !timingSafeEqual(received, expectedServerSignature)
        ) {
          throw new AuthenticationError(`${algorithm}: the server signature does not verify`, {
            hint: 'the server does not know this password: it may be an impostor, or the credentials changed',
          })
        }
        return undefined
      }
      throw new AuthenticationError(`${algorithm}: unexpected message after the exchange completed`)
    },
  }
}
