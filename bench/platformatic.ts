/**
 * Why @platformatic/kafka is not a lane: it is not installed (and this
 * project does not add packages for a benchmark), its engines field asks for
 * Node >= 22.22 where we run Node 20, and it opens every connection with
 * ApiVersions v3. This probe records what the mock cluster answers to that,
 * so docs/bench.md states a measured fact rather than a guess.
 */
import { createRequire } from 'node:module'
import type { MockCluster } from '../lib/testing/index.js'
import { sendRawRequest } from '../lib/testing/index.js'

export interface PlatformaticVerdict {
  installed: boolean
  nodeVersion: string
  /** ApiVersions (key 18) range the mock advertises, from its apiVersions() control. */
  advertisedApiVersions: { minVersion: number; maxVersion: number } | null
  /** What a raw ApiVersions v3 request got back. */
  v3Answer: string
  included: false
  reason: string
}

function compactString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8')
  return Buffer.concat([Buffer.from([bytes.length + 1]), bytes])
}

function readUvarint(buffer: Buffer, at: number): [number, number] {
  let value = 0
  let shift = 0
  for (;;) {
    const byte = buffer[at++] as number
    value |= (byte & 0x7f) << shift
    if ((byte & 0x80) === 0) return [value, at]
    shift += 7
  }
}

async function probeV3(cluster: MockCluster): Promise<string> {
  const broker = cluster.brokers[0]
  if (broker === undefined) return 'no broker'
  // Header v2 adds an empty tagged-field section after the client id; then the v3 body.
  const body = Buffer.concat([Buffer.from([0]), compactString('probe'), compactString('1.0'), Buffer.from([0])])
  try {
    const answer = await sendRawRequest(broker.host, broker.port, 18, 3, body, { timeoutMs: 5000 })
    const errorCode = answer.readInt16BE(0)
    if (errorCode !== 0) return `error code ${errorCode}`
    const [entriesPlusOne, afterLength] = readUvarint(answer, 2)
    let at = afterLength
    for (let i = 0; i < entriesPlusOne - 1; i++) {
      const apiKey = answer.readInt16BE(at)
      const max = answer.readInt16BE(at + 4)
      at += 6
      const [tagCount, next] = readUvarint(answer, at)
      at = next
      if (tagCount !== 0) return 'answered with tagged fields this probe does not read'
      if (apiKey === 18) return `answered in v3 format, ApiVersions max v${max}, ${entriesPlusOne - 1} APIs`
    }
    return `answered in v3 format without ApiVersions in the list (${entriesPlusOne - 1} APIs)`
  } catch (error) {
    return `no answer: ${error instanceof Error ? error.message : String(error)}`
  }
}

export async function platformaticVerdict(cluster: MockCluster): Promise<PlatformaticVerdict> {
  let installed = true
  try {
    createRequire(import.meta.url).resolve('@platformatic/kafka')
  } catch {
    installed = false
  }
  const ranges = await cluster.apiVersions()
  const own = ranges.find((r) => r.apiKey === 18)
  const v3Answer = await probeV3(cluster)
  const reasons: string[] = []
  if (!installed) reasons.push('not installed (the project does not run npm install for a benchmark)')
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  if (major < 22 || (major === 22 && minor < 22)) reasons.push(`its engines field needs Node >= 22.22 or >= 24.6, this is Node ${process.versions.node}`)
  if (own !== undefined && own.maxVersion < 3) reasons.push(`the mock advertises ApiVersions v${own.minVersion}-v${own.maxVersion} only (a v3 request: ${v3Answer}), and it needs Kafka >= 3.5 APIs the mock lacks`)
  return {
    installed,
    nodeVersion: process.versions.node,
    advertisedApiVersions: own === undefined ? null : { minVersion: own.minVersion, maxVersion: own.maxVersion },
    v3Answer,
    included: false,
    reason: reasons.join('; '),
  }
}
