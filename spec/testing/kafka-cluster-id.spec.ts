/**
 * The cluster id a test Kafka is formatted with never starts with '-', which
 * StorageTool's argument parser takes for an option (a shared-Kafka start
 * failed that way: "argument --cluster-id/-t: expected one argument").
 */
import { describe, expect, it } from 'vitest'
import { newClusterId } from '../../lib/testing/apache-kafka.js'

describe('newClusterId', () => {
  it("draws again when the id would start with '-'", () => {
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x01)]
    let calls = 0
    const id = newClusterId(() => draws[calls++]!)
    expect(Buffer.alloc(16, 0xf8).toString('base64url').startsWith('-')).toBe(true)
    expect(calls).toBe(2)
    expect(id).toBe(Buffer.alloc(16, 0x01).toString('base64url'))
    expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/)
  })
})
