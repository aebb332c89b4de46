/**
 * Reassembles Kafka frames (int32 size + payload) from socket chunks.
 *
 * Chunks are kept in a list and only the bytes of one frame are ever copied,
 * and only when that frame spans chunks, so a large response arriving in many
 * small reads costs O(n), not O(n^2) as concatenating on every read would.
 */
import { FrameTooLargeError } from '../errors/index.js'

const SIZE_BYTES = 4

export class FrameDecoder {
  private chunks: Buffer[] = []
  /** Offset into chunks[0] of the first unread byte. */
  private head = 0
  /** Unread bytes across all chunks. */
  private buffered = 0
  /** Size of the frame being assembled, or -1 while its size prefix is not complete. */
  private frameSize = -1

  constructor(
    private readonly maxFrameBytes: number,
    private readonly broker: string,
  ) {}

  /** Bytes received but not yet returned as frames. */
  get pendingBytes(): number {
    return this.buffered
  }

  /**
   * Adds a chunk and calls `onFrame` for every frame it completes (payload
   * without the size prefix). Throws {@link FrameTooLargeError} for a size
   * above the limit, with a diagnosis of what the peer probably is.
   */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    for (;;) {
      if (this.frameSize < 0) {
        if (this.buffered < SIZE_BYTES) return
        const prefix = this.peek(SIZE_BYTES)
        const size = prefix.readInt32BE(0)
        if (size < 0 || size > this.maxFrameBytes) {
          throw new FrameTooLargeError(size, this.maxFrameBytes, this.peek(Math.min(this.buffered, 16)), this.broker)
        }
        this.consume(SIZE_BYTES)
        this.frameSize = size
      }
      if (this.buffered < this.frameSize) return
      const frame = this.take(this.frameSize)
      this.frameSize = -1
      onFrame(frame)
    }
  }

  /** The next `n` buffered bytes without consuming them (copied only when they span chunks). */
  private peek(n: number): Buffer {
    const first = this.chunks[0]!
    if (first.length - this.head >= n) return first.subarray(this.head, this.head + n)
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    let offset = this.head
    for (const chunk of this.chunks) {
      const copied = chunk.copy(out, filled, offset, Math.min(chunk.length, offset + n - filled))
      filled += copied
      offset = 0
      if (filled === n) break
    }
    return out
  }

  private take(n: number): Buffer {
    const out = this.peek(n)
    this.consume(n)
    return out
  }

  private consume(n: number): void {
    this.buffered -= n
    while (n > 0) {
      const first = this.chunks[0]!
      const available = first.length - this.head
      if (available > n) {
        this.head += n
        return
      }
      n -= available
      this.chunks.shift()
      this.head = 0
    }
    if (this.chunks.length > 0 && this.head === this.chunks[0]!.length) {
      this.chunks.shift()
      this.head = 0
    }
  }
}
