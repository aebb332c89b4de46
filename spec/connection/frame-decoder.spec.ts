import { describe, expect, it } from 'vitest'
import { FrameTooLargeError } from '../../lib/errors/index.js'
import { FrameDecoder } from '../../lib/connection/frame-decoder.js'

function frame(payload: string): Buffer {
  const body = Buffer.from(payload)
  const size = Buffer.alloc(4)
  size.writeInt32BE(body.length)
  return Buffer.concat([size, body])
}

function decodeAll(chunks: Buffer[], max = 1024): string[] {
  const decoder = new FrameDecoder(max, 'test:1')
  const frames: string[] = []
  for (const chunk of chunks) decoder.push(chunk, (f) => frames.push(f.toString()))
  expect(decoder.pendingBytes).toBe(0)
  return frames
}

describe('FrameDecoder', () => {
  it('splits several frames arriving in one chunk', () => {
    expect(decodeAll([Buffer.concat([frame('a'), frame(''), frame('bcd')])])).toEqual(['a', '', 'bcd'])
  })

  it('reassembles frames split at every possible byte, including inside the size prefix', () => {
    const stream = Buffer.concat([frame('hello'), frame('kafka world'), frame('x')])
    for (let cut = 1; cut < stream.length; cut++) {
      expect(decodeAll([stream.subarray(0, cut), stream.subarray(cut)])).toEqual(['hello', 'kafka world', 'x'])
    }
    // one byte at a time
    expect(decodeAll([...stream].map((b) => Buffer.from([b])))).toEqual(['hello', 'kafka world', 'x'])
  })

  it('returns a frame that arrived whole as a view, not a copy', () => {
    const chunk = frame('zero-copy')
    const decoder = new FrameDecoder(1024, 'test:1')
    let seen: Buffer | undefined
    decoder.push(chunk, (f) => (seen = f))
    expect(seen!.buffer).toBe(chunk.buffer)
  })

  it('names an HTTP server on the port', () => {
    const decoder = new FrameDecoder(1024, 'localhost:8080')
    const push = () => decoder.push(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'), () => undefined)
    expect(push).toThrow(FrameTooLargeError)
    expect(push).toThrow(/HTTP/)
  })

  it('names a TLS endpoint on the port', () => {
    const decoder = new FrameDecoder(1024, 'localhost:9093')
    // a TLS alert record: type 0x15, version 3.3, length 2, fatal, protocol_version
    const push = () => decoder.push(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]), () => undefined)
    expect(push).toThrow(/TLS/)
    try {
      push()
    } catch (error) {
      expect((error as FrameTooLargeError).hint).toMatch(/tls: true/)
    }
  })

  it('refuses a frame above the limit without waiting for its bytes', () => {
    const decoder = new FrameDecoder(16, 'b:1')
    expect(() => decoder.push(frame('this payload is longer than sixteen'), () => undefined)).toThrow(/maxResponseBytes/)
  })
})
