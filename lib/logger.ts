/**
 * A small pluggable logger: levels and structured fields. rxkafka logs only
 * what an operator needs (connections failing, metadata refreshes failing,
 * rebalances), never a secret: fields never carry credentials or config objects.
 */

/** Severity, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

/** Structured context of a log line: broker, topic, partition, group, error... */
export type LogFields = Record<string, string | number | bigint | boolean | null | undefined>

/**
 * What rxkafka calls to log. Adapt any logger to it (pino, winston, console).
 *
 * @example
 * ```ts
 * import pino from 'pino'
 * const log = pino()
 * createKafka({ brokers, logger: { debug: (m, f) => log.debug(f, m), info: (m, f) => log.info(f, m), warn: (m, f) => log.warn(f, m), error: (m, f) => log.error(f, m) } })
 * ```
 */
export interface Logger {
  /** Detail for debugging, off by default. */
  debug(message: string, fields?: LogFields): void
  /** Normal events worth a line. */
  info(message: string, fields?: LogFields): void
  /** Something failed and is being retried or worked around (a failed connect, a failed metadata refresh). */
  warn(message: string, fields?: LogFields): void
  /** Something failed for good. */
  error(message: string, fields?: LogFields): void
}

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 }

/**
 * A logger writing one line per entry to stderr (`level message key=value ...`),
 * dropping entries below `level`. The default of every client is `warn`.
 *
 * @example
 * ```ts
 * createKafka({ brokers, logger: consoleLogger('debug') })
 * ```
 */
export function consoleLogger(level: LogLevel = 'warn', write: (line: string) => void = (line) => process.stderr.write(line + '\n')): Logger {
  const at = ORDER[level]
  const log = (entry: Exclude<LogLevel, 'silent'>) => (message: string, fields?: LogFields) => {
    if (ORDER[entry] < at) return
    let line = `rxkafka ${entry} ${message}`
    for (const [key, value] of Object.entries(fields ?? {})) {
      if (value !== undefined) line += ` ${key}=${typeof value === 'string' && /\s/.test(value) ? JSON.stringify(value) : String(value)}`
    }
    write(line)
  }
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }
