/**
 * The shape every generated API module exports. The connection layer, the
 * mock and virtual clusters and the admin client all speak through it: a
 * request is a typed message in, a response a typed message out, and the
 * version is chosen per connection from the broker's ApiVersions answer.
 */
import type { Reader, Writer } from './primitives.js'

/** One Kafka API (request and response), for every version the spec defines. */
export interface ApiDefinition<Request, Response> {
  /** The API key on the wire, such as 0 for Produce. */
  readonly apiKey: number
  /** The API name as the spec spells it, such as `Produce`. */
  readonly name: string
  /** Lowest stable version: the lowest this client negotiates. */
  readonly minVersion: number
  /** Highest stable version: the highest this client negotiates by default. */
  readonly maxVersion: number
  /**
   * Versions the module can encode and decode that Kafka still marks unstable
   * (`latestVersionUnstable`): brokers refuse them unless configured with
   * `unstable.api.versions.enable`, so {@link chooseVersion} picks them only when
   * asked to (`allowUnstable`). Usually empty.
   */
  readonly unstableVersions: readonly number[]
  /** First flexible version (compact encodings, tagged fields), or null when none is. */
  readonly flexibleMinVersion: number | null
  /** Request header version to use with this API version (0, 1 or 2). */
  requestHeaderVersion(version: number): number
  /** Response header version to expect for this API version (0 or 1; ApiVersions always 0). */
  responseHeaderVersion(version: number): number
  /** Writes a request body of `version` (the header is written separately). */
  encodeRequest(writer: Writer, version: number, request: Request): void
  /** Reads a request body of `version`, as a test broker does. */
  decodeRequest(reader: Reader, version: number): Request
  /** Writes a response body of `version`, as a test broker does. */
  encodeResponse(writer: Writer, version: number, response: Response): void
  /** Reads a response body of `version`; every length is checked against the bytes left. */
  decodeResponse(reader: Reader, version: number): Response
}

/** A versioned data structure that is not an API: request/response headers, consumer-protocol payloads. */
export interface DataDefinition<Value> {
  /** The data type's name as the spec spells it, such as `RequestHeader`. */
  readonly name: string
  /** Lowest version defined. */
  readonly minVersion: number
  /** Highest version defined. */
  readonly maxVersion: number
  /** Writes `value` at `version`. */
  encode(writer: Writer, version: number, value: Value): void
  /** Reads a value of `version`. */
  decode(reader: Reader, version: number): Value
}

/** Request type of an API definition. */
export type RequestOf<A> = A extends ApiDefinition<infer Request, unknown> ? Request : never
/** Response type of an API definition. */
export type ResponseOf<A> = A extends ApiDefinition<unknown, infer Response> ? Response : never
