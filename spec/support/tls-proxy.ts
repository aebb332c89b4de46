/**
 * A TLS-terminating proxy on a free loopback port in front of a plaintext
 * Kafka peer (the mock cluster and the fake broker have no TLS of their own),
 * with the self-signed `localhost` certificate of spec/fixtures/tls/.
 */
import { readFileSync } from 'node:fs'
import * as net from 'node:net'
import * as tls from 'node:tls'
import { fileURLToPath } from 'node:url'

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url)), 'utf8')
/** The proxy's certificate (PEM), also the CA a client trusts it with. */
export const TLS_CERT = fixture('localhost.crt')
/** Its private key (PEM). */
export const TLS_KEY = fixture('localhost.key')

export interface TlsProxy {
  port: number
  /** Closes every proxied connection and the server. */
  close(): Promise<void>
}

export async function startTlsProxy(targetHost: string, targetPort: number): Promise<TlsProxy> {
  const sockets = new Set<net.Socket>()
  const server = tls.createServer({ cert: TLS_CERT, key: TLS_KEY }, (client) => {
    const upstream = net.connect(targetPort, targetHost)
    sockets.add(client).add(upstream)
    client.pipe(upstream).pipe(client)
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
  })
  server.on('tlsClientError', () => undefined)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(r))
    },
  }
}
