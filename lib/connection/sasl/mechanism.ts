/** The client side of one SASL mechanism, as a sequence of messages. */
export interface SaslMechanism {
  /** The mechanism name the broker knows it by, such as `SCRAM-SHA-256`. */
  readonly name: string
  /** The first client message. */
  start(): Promise<Buffer>
  /**
   * The next client message in answer to the server's, or undefined when the
   * exchange is complete. Throws an AuthenticationError when the server's
   * message is wrong (for example a SCRAM server signature that does not verify).
   */
  next(serverMessage: Buffer): Promise<Buffer | undefined>
}
