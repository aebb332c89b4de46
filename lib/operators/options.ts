/**
 * Option validation shared by the operators. Operators check their options when
 * they are created, not when the first value arrives, so a typo fails at the
 * line that wrote it instead of minutes later in the middle of a stream.
 */
import { OperatorOptionError } from '../errors/index.js'

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return `${value}n`
  return String(value)
}

/** Accepts a finite number >= min (or undefined, which means "use the default"). */
export function checkNumber(operator: string, option: string, value: unknown, min: number): void {
  if (value === undefined) return
  if (typeof value !== 'number' || Number.isNaN(value) || !Number.isFinite(value) || value < min) {
    throw new OperatorOptionError(operator, option, `must be a finite number >= ${min}, got ${describe(value)}`,
      `Pass a number of at least ${min}, or leave ${option} out to use the default`)
  }
}

/** Accepts a number >= min that is an integer or Infinity (a count that may be unlimited). */
export function checkCount(operator: string, option: string, value: unknown, min: number): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !(Number.isInteger(value) || value === Infinity) || value < min) {
    throw new OperatorOptionError(operator, option, `must be an integer >= ${min} or Infinity, got ${describe(value)}`,
      `Pass a whole number of at least ${min} (Infinity for no limit), or leave ${option} out to use the default`)
  }
}

/** Accepts a non-negative duration in milliseconds, Infinity allowed (never). */
export function checkDuration(operator: string, option: string, value: unknown): void {
  if (value === undefined) return
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new OperatorOptionError(operator, option, `must be a duration in milliseconds >= 0, got ${describe(value)}`,
      `Pass a number of milliseconds (Infinity for never), or leave ${option} out to use the default`)
  }
}

/** Accepts a function (or undefined). */
export function checkFunction(operator: string, option: string, value: unknown): void {
  if (value === undefined) return
  if (typeof value !== 'function') {
    throw new OperatorOptionError(operator, option, `must be a function, got ${typeof value}`,
      `Pass a function, or leave ${option} out to use the default`)
  }
}
