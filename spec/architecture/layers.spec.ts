/**
 * The layers of lib/ depend in one direction (docs/architecture.md): this
 * spec reads every import and fails on one that goes the wrong way, such as
 * the consumer importing the producer, or the connection layer the cluster.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const LIB = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lib')

/** What each layer may import besides itself. `root` is lib/*.ts (the package entry, createKafka, consumeGroup, the logger). */
const ALLOWED: Record<string, readonly string[]> = {
  errors: [],
  kit: ['errors'],
  protocol: ['errors', 'kit'],
  // Optional native codecs (rxkafka/codecs/*) and the codec worker pool: beside the protocol's codecs.
  codecs: ['protocol', 'errors', 'kit'],
  workers: ['protocol', 'errors', 'kit'],
  // diagnostics_channel names, payloads and their publishers: beside the kit, under every layer that publishes.
  observability: ['errors', 'kit'],
  connection: ['protocol', 'errors', 'kit', 'observability', 'root/logger'],
  cluster: ['connection', 'protocol', 'errors', 'kit', 'observability', 'root/logger'],
  operators: ['errors', 'kit'],
  // The producer hands sealed batches to the codec worker pool (offloadCompression).
  producer: ['cluster', 'operators', 'workers', 'protocol', 'errors', 'kit', 'observability'],
  consumer: ['cluster', 'operators', 'protocol', 'errors', 'kit', 'observability'],
  admin: ['cluster', 'protocol', 'errors', 'kit'],
  // rxkafka/otel: OpenTelemetry over the public client (types of lib/kafka.ts) and the diagnostics channels.
  otel: ['observability', 'consumer', 'producer', 'root/kafka'],
  // Consume-transform-produce in one transaction: above both the producer and the consumer.
  transactions: ['producer', 'consumer', 'cluster', 'protocol', 'errors', 'kit'],
  testing: ['cluster', 'connection', 'protocol', 'errors', 'kit', 'root/logger'],
}

/** Single imports that cross a layer on purpose. */
const EXCEPTIONS: readonly string[] = [
  // The error classes read the table of Kafka's error codes (pure data) for their names and flags.
  'errors/broker-error.ts -> protocol/error-codes.ts',
  'errors/cluster-errors.ts -> protocol/error-codes.ts',
  'errors/codes.ts -> protocol/error-codes.ts',
  // ProducerDeliveryError carries the failed result (a type only).
  'errors/producer-errors.ts -> producer/types.ts',
]

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'messages' ? [] : files(path)
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : []
  })
}

/** The layer of a lib-relative path: its first directory, or `root/<name>` for a file directly in lib/. */
function layerOf(path: string): string {
  const parts = path.split('/')
  return parts.length === 1 ? `root/${parts[0]!.replace(/\.ts$/, '')}` : parts[0]!
}

function importsOf(path: string): string[] {
  const source = readFileSync(path, 'utf8')
  const found: string[] = []
  for (const match of source.matchAll(/^(?:import|export)\b[^'"\n]*?from\s+'(\.{1,2}\/[^']+)'/gm)) {
    found.push(relative(LIB, normalize(join(dirname(path), match[1]!))).replace(/\.js$/, '.ts'))
  }
  return found
}

describe('layers', () => {
  it('every import in lib/ goes down the layers (or is a listed exception)', () => {
    const wrong: string[] = []
    let checked = 0
    for (const path of files(LIB)) {
      const from = relative(LIB, path)
      const layer = layerOf(from)
      if (layer.startsWith('root/') || layer === 'cli' || layer === 'types') continue
      for (const target of importsOf(path)) {
        checked++
        const to = layerOf(target)
        const allowed = ALLOWED[layer]
        if (allowed === undefined) {
          wrong.push(`${from}: the layer ${layer} has no rule in ALLOWED`)
          continue
        }
        if (to === layer || allowed.includes(to)) continue
        if (EXCEPTIONS.includes(`${from} -> ${target}`)) continue
        wrong.push(`${from} -> ${target}`)
      }
    }
    expect(checked).toBeGreaterThan(200)
    expect(wrong).toEqual([])
  })

  it('every layer named in the rules exists, so a renamed directory cannot slip past them', () => {
    const dirs = new Set(readdirSync(LIB).filter((name) => statSync(join(LIB, name)).isDirectory()))
    for (const layer of Object.keys(ALLOWED)) expect(dirs.has(layer)).toBe(true)
    for (const exception of EXCEPTIONS) for (const side of exception.split(' -> ')) expect(statSync(join(LIB, side)).isFile()).toBe(true)
  })
})
