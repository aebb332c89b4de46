/**
 * The one place for brokers that deviate from Kafka's protocol spec. Off by
 * default: rxkafka speaks to Apache Kafka as the spec says. A peer that needs
 * any of this (such as the mock cluster of `rxkafka/testing`, whose
 * `clientConfig` sets it) turns it on explicitly.
 */

/**
 * Deviations to tolerate. Every field defaults to off.
 *
 * @example
 * ```ts
 * const kafka = createKafka({
 *   brokers: ['localhost:9092'],
 *   compatibility: { maxVersions: { JoinGroup: 5 }, nullsInNonNullableFields: true },
 * })
 * ```
 */
export interface BrokerCompatibility {
  /**
   * Highest version to use per API name (as the spec names it, such as
   * `JoinGroup`), for a broker that advertises versions it does not read
   * correctly. Requests use the lower of this and what the broker advertises.
   */
  maxVersions?: Readonly<Partial<Record<string, number>>>
  /**
   * Read a null where the spec says a field is not nullable as the empty value
   * (string, bytes or array) instead of failing with a ProtocolDecodeError.
   */
  nullsInNonNullableFields?: boolean
  /**
   * An ApiVersions answer that decodes neither in the version asked nor as v0
   * (KIP-511) keeps only its leading error code, so the negotiation steps down
   * one version instead of failing the connection.
   */
  undecodableApiVersions?: boolean
  /**
   * Discard answers to requests that expect none (Produce with acks 0) instead
   * of failing the connection on an unknown correlation id.
   */
  unexpectedAnswers?: boolean
}
