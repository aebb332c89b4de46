/**
 * Kafka's rules for a topic name, checked before anything is sent: 1 to 249
 * characters of `[a-zA-Z0-9._-]`, and not `.` or `..` (the broker would
 * refuse it with INVALID_TOPIC_EXCEPTION, or auto-creation would fail late).
 */

const LEGAL = /^[a-zA-Z0-9._-]+$/
const MAX_LENGTH = 249

/**
 * What Kafka's topic-name rules allow, as words for hints.
 *
 * @example
 * ```ts
 * import { TOPIC_NAME_RULES, topicNameProblem } from 'rxkafka'
 * const problem = topicNameProblem(name)
 * if (problem !== undefined) throw new Error(`topic ${name} ${problem}: ${TOPIC_NAME_RULES}`)
 * ```
 */
export const TOPIC_NAME_RULES = "a topic name is 1 to 249 characters of letters, digits, '.', '_' and '-', and not '.' or '..'"

/**
 * Why `name` cannot be a Kafka topic, or undefined when it can.
 *
 * @example
 * ```ts
 * import { topicNameProblem } from 'rxkafka'
 * topicNameProblem('orders')      // undefined
 * topicNameProblem('my topic')    // 'contains " " ...'
 * ```
 */
export function topicNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `is ${typeof name}, not a string`
  if (name.length === 0) return 'is empty'
  if (name.length > MAX_LENGTH) return `is ${name.length} characters long, more than ${MAX_LENGTH}`
  if (name === '.' || name === '..') return `is ${JSON.stringify(name)}, which Kafka reserves`
  if (!LEGAL.test(name)) {
    const bad = [...new Set([...name].filter((c) => !LEGAL.test(c)))].map((c) => JSON.stringify(c)).join(', ')
    return `contains ${bad}, which Kafka does not allow`
  }
  return undefined
}
