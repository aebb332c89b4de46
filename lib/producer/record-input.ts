/**
 * A message's key, value and headers as the record batch takes them: the
 * serializers applied and checked, headers in either accepted form made a
 * list, and an upper bound of the encoded size. Bad input throws a
 * ProducerInputError with the hint for that mistake; the engine turns it into
 * a failed result.
 */
import { ProducerInputError } from '../errors/index.js'
import type { ProducerRecordHeader } from '../protocol/records/record-batch-builder.js'

const HEADERS_HINT = 'Give headers as [{ key, value }] or { key: value }, each value a Buffer, a string or null'

export function isBytes(value: unknown): value is Buffer | string | null {
  return value === null || typeof value === 'string' || value instanceof Uint8Array
}

export function serialize(serializer: ((value: unknown, topic: string) => Buffer | string | null) | undefined, value: unknown, topic: string, what: 'key' | 'value'): Buffer | string | null {
  if (serializer !== undefined) {
    let bytes: unknown
    try {
      bytes = serializer(value, topic)
    } catch (error) {
      throw new ProducerInputError(`the ${what} serializer threw`, topic, error, `Fix the ${what}Serializer: it must return a Buffer, a string or null`)
    }
    if (!isBytes(bytes)) throw new ProducerInputError(`the ${what} serializer returned ${typeof bytes}, not a Buffer, string or null`, topic, undefined, `Fix the ${what}Serializer: it must return a Buffer, a string or null`)
    return bytes
  }
  if (value === undefined) {
    if (what === 'key') return null
    throw new ProducerInputError('the message has no value', topic, undefined, 'Give the message a value (null for a tombstone)')
  }
  if (!isBytes(value)) {
    throw new ProducerInputError(`the message ${what} is ${typeof value}, not a Buffer, string or null`, topic, undefined, `Pass a ${what}Serializer that turns it into a Buffer, a string or null`)
  }
  return value as Buffer | string | null
}

export function headersOf(headers: unknown, topic: string): ProducerRecordHeader[] | undefined {
  if (headers === undefined || headers === null) return undefined
  if (Array.isArray(headers)) {
    for (const h of headers as unknown[]) {
      const header = h as { key?: unknown; value?: unknown } | null
      if (header === null || typeof header !== 'object' || typeof header.key !== 'string' || !isBytes(header.value)) {
        throw new ProducerInputError('a header is not { key: string, value: Buffer | string | null }', topic, undefined, HEADERS_HINT)
      }
    }
    return headers as ProducerRecordHeader[]
  }
  if (typeof headers !== 'object') throw new ProducerInputError(`headers are ${typeof headers}, not an array or an object`, topic, undefined, HEADERS_HINT)
  const list: ProducerRecordHeader[] = []
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (!isBytes(value)) throw new ProducerInputError(`header ${JSON.stringify(key)} is ${typeof value}, not a Buffer, string or null`, topic, undefined, HEADERS_HINT)
    list.push({ key, value })
  }
  return list
}

/** An upper bound of a record's encoded size, to decide before encoding whether it still fits the batch. */
export function estimateSize(key: Buffer | string | null, value: Buffer | string | null): number {
  const k = key === null ? 0 : typeof key === 'string' ? key.length * 3 : key.length
  const v = value === null ? 0 : typeof value === 'string' ? value.length * 3 : value.length
  return k + v + 32
}
