/**
 * The helpers the generated message modules (lib/protocol/messages/) call:
 * reads of strings, bytes and arrays where the spec forbids null, arrays with
 * bounded counts, tagged-field sections, structural equality for defaults, and
 * the error plumbing that turns a failure deep inside a message into one error
 * carrying the field path (`/topics/0/partitions/1/records`).
 *
 * Hand-written and specced (spec/protocol/message-runtime.spec.ts); the
 * generator only emits calls to it. Not part of the public API: the generated
 * modules are its only users.
 */
import { ProtocolDecodeError, ProtocolEncodeError, RxKafkaError, UnsupportedVersionError } from './errors.js'
import { Reader, Writer } from './primitives.js'

// ---------------------------------------------------------------------------
// Decode-error paths
// ---------------------------------------------------------------------------

/**
 * Thrown inside decoders only: the original error plus the path segments
 * collected while it unwinds (innermost first). The public entry points turn
 * it back into a ProtocolDecodeError, so the no-error path pays nothing for paths.
 */
class DecodeTrail {
  readonly segments: (string | number)[] = []
  constructor(readonly error: ProtocolDecodeError) {}
}

/**
 * Adds one path segment (a field name or an array index) to a decode error on
 * its way out of a struct decoder. Any other error passes through untouched.
 *
 * @example
 * ```ts
 * try { ... } catch (error) { throw withSegment(error, 'partitions') }
 * ```
 */
export function withSegment(error: unknown, segment: string | number): unknown {
  if (error instanceof DecodeTrail) {
    error.segments.push(segment)
    return error
  }
  if (error instanceof ProtocolDecodeError) {
    const trail = new DecodeTrail(error)
    trail.segments.push(segment)
    return trail
  }
  return error
}

/**
 * What a public decode method throws: a collected trail becomes one
 * ProtocolDecodeError naming the API, the version and the field path; any
 * other error is returned as it is.
 */
export function decodeFailure(error: unknown, api: string, what: string, version: number): unknown {
  if (!(error instanceof DecodeTrail)) return error
  const inner = error.error
  const path = '/' + [...error.segments].reverse().join('/')
  const suffix = inner.byteOffset === undefined ? '' : ` at byte ${inner.byteOffset}`
  const text = suffix !== '' && inner.message.endsWith(suffix) ? inner.message.slice(0, -suffix.length) : inner.message
  return new ProtocolDecodeError(`${text} in ${api} ${what} v${version}`, {
    api,
    path,
    ...(inner.byteOffset === undefined ? {} : { byteOffset: inner.byteOffset }),
    hint: 'The bytes are not a valid message of this version: check that the version matches the one the request was sent with',
  })
}

// ---------------------------------------------------------------------------
// Encode errors
// ---------------------------------------------------------------------------

/** What a public encode method throws: our own errors as they are, anything else (a RangeError of a Buffer write) wrapped. */
export function encodeFailure(error: unknown, api: string, what: string, version: number): unknown {
  if (error instanceof RxKafkaError) return error
  const reason = error instanceof Error ? error.message : String(error)
  return new ProtocolEncodeError(`cannot encode ${api} ${what} v${version}: ${reason}`, {
    api,
    cause: error,
    hint: 'Check that every field has a value of its declared type and range',
  })
}

/**
 * A version the module has no code for. `unstable` lists the versions that are
 * generated but not negotiated by default, so the message shows every version
 * that exists.
 */
export function unsupportedVersion(api: string, what: string, version: number, min: number, max: number, unstable: readonly number[] = []): UnsupportedVersionError {
  const extra = unstable.length === 0 ? '' : ` (and unstable ${unstable.join(', ')})`
  return new UnsupportedVersionError(`${api} ${what} version ${version} is not supported: valid versions are ${min} to ${max}${extra}`, {
    api,
    hint: "Choose a version with chooseVersion() from the broker's ApiVersions range",
  })
}

/** A non-default value in a field the version cannot carry (and the spec does not mark ignorable). */
export function fieldNotInVersion(api: string, version: number, struct: string, field: string, versions: string): ProtocolEncodeError {
  return new ProtocolEncodeError(`${struct}.${field} has a non-default value but ${api} v${version} cannot carry it`, {
    api,
    hint: `The field exists in versions ${versions}: use such a version or leave the field at its default`,
  })
}

/** Null in a field the version cannot carry null in. */
export function nullNotAllowed(api: string, version: number, struct: string, field: string): ProtocolEncodeError {
  return new ProtocolEncodeError(`${struct}.${field} is null but ${api} v${version} cannot carry null there`, {
    api,
    hint: 'Give the field a value, or use a version in which it is nullable',
  })
}

// ---------------------------------------------------------------------------
// Null where the spec allows none
// ---------------------------------------------------------------------------

/**
 * The one decision about a null length (-1) in a string, bytes or array field
 * that the spec says is never null in this version: every generated decoder
 * asks here, so changing the policy is a change to this function alone.
 *
 * Decoding is strict: such a null is a {@link ProtocolDecodeError}. A reader
 * with `nullsAsEmpty` (set by the connection for a broker that needs
 * `compatibility.nullsInNonNullableFields`) reads the field's empty value
 * instead. Encoders never write such nulls (they throw {@link nullNotAllowed}).
 *
 * @param reader positioned just after the null length, for an error's byte offset
 * @param kind what the field holds, for an error's message
 * @param empty the value to read instead, where nulls are tolerated
 */
export function nullInNonNullableField<T>(reader: Reader, kind: 'string' | 'bytes' | 'array', empty: T): T {
  if (reader.nullsAsEmpty) return empty
  throw new ProtocolDecodeError(`null ${kind} where the spec says the field is not nullable`, {
    byteOffset: reader.offset,
    hint: 'the broker deviates from the protocol spec; compatibility.nullsInNonNullableFields tolerates it',
  })
}

const EMPTY_BYTES = Buffer.alloc(0)

/** A classic (int16-length) string the spec says is never null. */
export function readStringNotNull(r: Reader): string {
  return r.string() ?? nullInNonNullableField(r, 'string', '')
}

/** A compact (uvarint-length) string the spec says is never null. */
export function readCompactStringNotNull(r: Reader): string {
  return r.compactString() ?? nullInNonNullableField(r, 'string', '')
}

/** Classic (int32-length) bytes the spec says are never null. The result is a view into the reader's buffer. */
export function readBytesNotNull(r: Reader): Buffer {
  return r.bytes() ?? nullInNonNullableField(r, 'bytes', EMPTY_BYTES)
}

/** Compact (uvarint-length) bytes the spec says are never null. The result is a view into the reader's buffer. */
export function readCompactBytesNotNull(r: Reader): Buffer {
  return r.compactBytes() ?? nullInNonNullableField(r, 'bytes', EMPTY_BYTES)
}

// ---------------------------------------------------------------------------
// Arrays
// ---------------------------------------------------------------------------

function readElements<T>(r: Reader, count: number, readElement: (r: Reader) => T): T[] {
  const result = new Array<T>(count)
  let i = 0
  try {
    for (; i < count; i++) result[i] = readElement(r)
  } catch (error) {
    throw withSegment(error, i)
  }
  return result
}

/**
 * An array the spec says is never null: `count` elements (the caller's
 * `arrayLength`/`compactArrayLength` has already checked the count against the
 * bytes left). A decode error inside an element gets the element's index in its path.
 *
 * @example
 * ```ts
 * const partitions = readArray(r, r.compactArrayLength(4), (er) => er.int32())
 * ```
 */
export function readArray<T>(r: Reader, count: number | null, readElement: (r: Reader) => T): T[] {
  if (count === null) return nullInNonNullableField<T[]>(r, 'array', [])
  return readElements(r, count, readElement)
}

/** An array that may be null in this version. */
export function readNullableArray<T>(r: Reader, count: number | null, readElement: (r: Reader) => T): T[] | null {
  return count === null ? null : readElements(r, count, readElement)
}

// ---------------------------------------------------------------------------
// Tagged fields
// ---------------------------------------------------------------------------

/** Skips a whole tagged-field section: none of its tags is known in this version. */
export function skipTaggedFields(r: Reader): void {
  const count = r.uvarint()
  for (let i = 0; i < count; i++) {
    r.uvarint()
    r.skip(r.uvarint())
  }
}

/** A reader limited to one tagged field's `size` bytes; the outer reader moves past them. */
export function openTaggedField(r: Reader, size: number): Reader {
  r.need(size, 'tagged field')
  const field = new Reader(r.buffer, r.offset, r.offset + size)
  r.offset += size
  return field
}

/** Checks that a known tagged field's value used exactly its declared size. */
export function closeTaggedField(field: Reader, tag: number): void {
  if (field.remaining() !== 0) {
    throw new ProtocolDecodeError(`tagged field ${tag} has ${field.remaining()} bytes left over after its value`, {
      byteOffset: field.offset,
    })
  }
}

/** Writes tag, size and value of one tagged field; the value is encoded first to learn its size. */
export function writeTaggedField(w: Writer, tag: number, encode: (w: Writer) => void): void {
  const field = new Writer(64)
  encode(field)
  w.uvarint(tag)
  w.uvarint(field.offset)
  w.raw(field.finish())
}

// ---------------------------------------------------------------------------
// Defaults
// ---------------------------------------------------------------------------

/**
 * Structural equality for the default check of struct-valued tagged fields
 * (Kafka leaves out a tagged field equal to its default). Buffers compare by
 * content; a property missing on one side is not a difference, since encoders
 * read a missing optional property as its default.
 */
export function isDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((x, i) => isDeepEqual(x, b[i]))
  }
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const left = a as Record<string, unknown>
    const right = b as Record<string, unknown>
    const keys = new Set([...Object.keys(left), ...Object.keys(right)])
    for (const key of keys) {
      if (left[key] === undefined || right[key] === undefined) continue
      if (!isDeepEqual(left[key], right[key])) return false
    }
    return true
  }
  return false
}
