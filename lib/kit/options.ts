/**
 * The one option-validation module. Operators, the producer and the consumer
 * check their options when they are created, not when the first value
 * arrives, so a typo fails at the line that wrote it instead of minutes later
 * in the middle of a stream. Each check names the option's owner: an operator
 * by name (the error is an {@link OperatorOptionError}), or the consumer
 * ({@link CONSUMER_OPTIONS}, the error is a {@link ConsumerOptionError}).
 */
import { ConsumerOptionError, OperatorOptionError, type RxKafkaError } from '../errors/index.js'

/** Whose options are checked: makes the error that names the option. */
export interface OptionOwner {
  reject(option: string, what: string, hint: string): RxKafkaError
}

/** The owner of the options of an operator (or of the producer), by name: a string. */
export type OptionOwnerName = string | OptionOwner

/** The consumer's options (`consumeGroup`, `consumePartitions`): rejected with {@link ConsumerOptionError}. */
export const CONSUMER_OPTIONS: OptionOwner = {
  reject: (option, what, hint) => new ConsumerOptionError(option, what, hint),
}

function reject(owner: OptionOwnerName, option: string, what: string, hint: string): never {
  throw typeof owner === 'string' ? new OperatorOptionError(owner, option, what, hint) : owner.reject(option, what, hint)
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return `${value}n`
  return String(value)
}

/** Accepts a finite number >= min (or undefined, which means "use the default"). */
export function checkNumber(owner: OptionOwnerName, option: string, value: unknown, min: number): void {
  if (value === undefined) return
  if (typeof value !== 'number' || Number.isNaN(value) || !Number.isFinite(value) || value < min) {
    reject(owner, option, `must be a finite number >= ${min}, got ${describe(value)}`,
      `Pass a number of at least ${min}, or leave ${option} out to use the default`)
  }
}

/** Accepts a number >= min that is an integer or Infinity (a count that may be unlimited). */
export function checkCount(owner: OptionOwnerName, option: string, value: unknown, min: number): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !(Number.isInteger(value) || value === Infinity) || value < min) {
    reject(owner, option, `must be an integer >= ${min} or Infinity, got ${describe(value)}`,
      `Pass a whole number of at least ${min} (Infinity for no limit), or leave ${option} out to use the default`)
  }
}

/** Accepts an integer in `min..max` (a wire field: no Infinity). */
export function checkInteger(owner: OptionOwnerName, option: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    reject(owner, option, `must be an integer in ${min}..${max}, got ${describe(value)}`,
      `Pass a whole number of ${option.endsWith('Ms') ? 'milliseconds' : 'units'} within that range, or leave ${option} out to use the default`)
  }
}

/** Accepts a non-negative duration in milliseconds, Infinity allowed (never). */
export function checkDuration(owner: OptionOwnerName, option: string, value: unknown): void {
  if (value === undefined) return
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    reject(owner, option, `must be a duration in milliseconds >= 0, got ${describe(value)}`,
      `Pass a number of milliseconds (Infinity for never), or leave ${option} out to use the default`)
  }
}

/** Accepts a function (or undefined). */
export function checkFunction(owner: OptionOwnerName, option: string, value: unknown): void {
  if (value === undefined) return
  if (typeof value !== 'function') {
    reject(owner, option, `must be a function, got ${typeof value}`, `Pass a function, or leave ${option} out to use the default`)
  }
}

/** Accepts a non-empty string (or undefined). */
export function checkName(owner: OptionOwnerName, option: string, value: unknown, hint: string): void {
  if (value === undefined) return
  if (typeof value !== 'string' || value.length === 0) reject(owner, option, 'must be a non-empty string when given', hint)
}
