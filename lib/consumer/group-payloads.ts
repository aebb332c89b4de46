/**
 * The consumer protocol's payloads inside JoinGroup and SyncGroup: an int16
 * version, then the versioned structure. The coordinator never reads them;
 * members and their assignors do.
 */
import { ConsumerProtocolAssignmentData, type ConsumerProtocolAssignment } from '../protocol/messages/ConsumerProtocolAssignment.js'
import { ConsumerProtocolSubscriptionData, type ConsumerProtocolSubscription } from '../protocol/messages/ConsumerProtocolSubscription.js'
import { Reader, Writer } from '../protocol/primitives.js'
import type { DataDefinition } from '../protocol/api.js'

/** Version 1 adds owned partitions (needed by cooperative assignors) and is read by every client since Kafka 2.4. */
const SUBSCRIPTION_VERSION = 1
const ASSIGNMENT_VERSION = 1

function encodeVersioned<T>(definition: DataDefinition<T>, version: number, value: T): Buffer {
  const writer = new Writer(64)
  writer.int16(version)
  definition.encode(writer, version, value)
  return Buffer.from(writer.finish())
}

function decodeVersioned<T>(definition: DataDefinition<T>, bytes: Buffer): T {
  const reader = new Reader(bytes)
  const version = reader.int16()
  // A newer member may write a version we do not know; its prefix is the highest version we do.
  return definition.decode(reader, Math.min(version, definition.maxVersion))
}

export function encodeSubscription(value: ConsumerProtocolSubscription): Buffer {
  return encodeVersioned(ConsumerProtocolSubscriptionData, SUBSCRIPTION_VERSION, value)
}

export function decodeSubscription(bytes: Buffer): ConsumerProtocolSubscription {
  return decodeVersioned(ConsumerProtocolSubscriptionData, bytes)
}

export function encodeAssignment(value: ConsumerProtocolAssignment): Buffer {
  return encodeVersioned(ConsumerProtocolAssignmentData, ASSIGNMENT_VERSION, value)
}

/** An empty payload means "nothing assigned" (members with nothing get zero bytes from some leaders). */
export function decodeAssignment(bytes: Buffer): ConsumerProtocolAssignment {
  if (bytes.length === 0) return { assignedPartitions: [], userData: null }
  return decodeVersioned(ConsumerProtocolAssignmentData, bytes)
}
