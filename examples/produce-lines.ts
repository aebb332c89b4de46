/**
 * Produce every line of a file, or of an HTTP response body, as one message.
 *
 *   KAFKA_BROKERS=localhost:9092 npx tsx examples/produce-lines.ts <topic> <file | http(s)://url>
 */
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import { count, from, lastValueFrom, map } from 'rxjs'
import { createKafka, type Kafka } from 'rxkafka'

/** Lines of a local file or of an HTTP(S) response, as an async iterable. */
export async function linesOf(source: string): Promise<AsyncIterable<string>> {
  let input: NodeJS.ReadableStream
  if (/^https?:\/\//.test(source)) {
    const response = await fetch(source)
    if (!response.ok || response.body === null) throw new Error(`GET ${source} answered ${response.status}`)
    input = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)
  } else {
    input = createReadStream(source)
  }
  return createInterface({ input, crlfDelay: Infinity })
}

/** Produces each line; resolves with how many were delivered. */
export async function produceLines(kafka: Kafka, topic: string, source: string): Promise<number> {
  const lines = await linesOf(source)
  return lastValueFrom(
    from(lines).pipe(
      map((line, i) => ({ value: line, metadata: i + 1 })), // metadata comes back on the result: the line number
      kafka.produceTo(topic, { compression: 'lz4', lingerMs: 10 }),
      count(),
    ),
  )
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [topic, source] = process.argv.slice(2)
  if (topic === undefined || source === undefined) throw new Error('usage: produce-lines.ts <topic> <file|url>')
  const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? 'localhost:9092').split(','), clientId: 'produce-lines' })
  produceLines(kafka, topic, source)
    .then((n) => console.log(`produced ${n} lines to ${topic}`))
    .finally(() => kafka.close())
}
