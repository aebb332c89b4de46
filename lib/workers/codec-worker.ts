/**
 * The body of a codec worker thread (see codec-pool.ts): compresses and
 * checksums the records of sealed batches, decompresses fetched ones, and
 * answers each task with its bytes transferred back, never copied.
 */
import { parentPort } from 'node:worker_threads'
import { ownMemory, runCompress, runDecompress, type CodecReply, type CodecTask } from './codec-tasks.js'

const port = parentPort
if (port === null) throw new Error('codec-worker.ts runs inside a worker thread started by CodecPool')

port.on('message', (task: CodecTask) => {
  let reply: CodecReply
  try {
    if (task.kind === 'compress') {
      const { bytes, recordsCrc } = runCompress(task.codec, task.buffer, task.end)
      reply = { id: task.id, ok: true, bytes: ownMemory(bytes), recordsCrc }
    } else {
      reply = { id: task.id, ok: true, bytes: ownMemory(runDecompress(task.codec, task.bytes, task.maxOutputBytes)), recordsCrc: 0 }
    }
  } catch (error) {
    const input = task.kind === 'compress' ? task.buffer : task.bytes
    reply = { id: task.id, ok: false, input: ownMemory(input), message: error instanceof Error ? error.message : String(error) }
  }
  const out = reply.ok ? reply.bytes : reply.input
  port.postMessage(reply, out.buffer instanceof ArrayBuffer ? [out.buffer] : [])
})

// Loaded and listening: the pool sends nothing it cannot redo before this arrives.
port.postMessage({ ready: true })
