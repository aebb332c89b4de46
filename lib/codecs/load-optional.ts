import { createRequire } from 'node:module'
import { CodecUnavailableError } from '../errors/index.js'

/**
 * Loads an optional peer dependency (a native codec library), or throws a
 * {@link CodecUnavailableError} that says how to install it.
 */
export function loadOptional<T>(packageName: string, codecId: number, entry: string): T {
  try {
    return createRequire(import.meta.url)(packageName) as T
  } catch (error) {
    throw new CodecUnavailableError(codecId, `${entry} needs the optional package '${packageName}', which did not load`, {
      cause: error,
      hint: `npm install ${packageName} (a prebuilt native library for this platform), or keep the built-in pure-JavaScript codec by not importing ${entry}`,
    })
  }
}
