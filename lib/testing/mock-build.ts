/**
 * Builds the native mock-cluster host (native/mock-cluster.c) against the
 * librdkafka that node-rdkafka compiled, and caches the binary under a name
 * that changes whenever the source or the library changes.
 */
import { createHash, randomBytes } from 'node:crypto'
import { spawn } from 'node:child_process'
import { constants as fsConstants } from 'node:fs'
import { access, mkdir, readFile, rename, stat, unlink } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MockClusterBuildError } from '../errors/index.js'

/** Where the parts of a mock-cluster build come from, and where the binary goes. */
export interface MockClusterBuildInfo {
  /** The compiled host program, ready to run. */
  binaryPath: string
  /** The C source it was compiled from. */
  sourcePath: string
  /** Directory holding rdkafka.h and rdkafka_mock.h. */
  includeDir: string
  /** Directory holding the librdkafka shared library (also the binary's rpath). */
  libraryDir: string
  /** librdkafka version from rdkafka.h, such as `2.12.0`. */
  librdkafkaVersion: string
}

/** Options for {@link buildMockClusterBinary}. */
export interface BuildMockClusterOptions {
  /** Directory for the compiled binary. Default: `$RXKAFKA_NATIVE_BUILD_DIR`, else `native/build` in this package. */
  buildDir?: string
  /** C compiler to run. Default: `$CC`, else `gcc`. */
  compiler?: string
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

let cachedBuild: Promise<MockClusterBuildInfo> | undefined

/**
 * Compiles the mock-cluster host program if no binary for the current source
 * and librdkafka exists yet, and says where it is. Safe to call from many
 * processes at once: each compiles to a private temporary name and renames it
 * into place, so a reader never sees a half-written binary. Called for you by
 * `startMockCluster`; `npm run build:native` calls it ahead of time.
 *
 * @throws {@link MockClusterBuildError} naming what is missing (compiler,
 * node-rdkafka, a header, the library) and how to install it.
 *
 * @example
 * ```ts
 * import { buildMockClusterBinary } from 'rxkafka/testing'
 * const { binaryPath, librdkafkaVersion } = await buildMockClusterBinary()
 * console.log(`mock cluster host ${binaryPath} (librdkafka ${librdkafkaVersion})`)
 * ```
 */
export function buildMockClusterBinary(options: BuildMockClusterOptions = {}): Promise<MockClusterBuildInfo> {
  const isDefault = options.buildDir === undefined && options.compiler === undefined
  if (isDefault && cachedBuild !== undefined) return cachedBuild
  const build = buildOnce(options)
  if (isDefault) {
    cachedBuild = build
    // A failed build must not be remembered: the user may install gcc and retry.
    build.catch(() => {
      if (cachedBuild === build) cachedBuild = undefined
    })
  }
  return build
}

async function buildOnce(options: BuildMockClusterOptions): Promise<MockClusterBuildInfo> {
  if (process.platform !== 'linux') {
    throw new MockClusterBuildError(
      'platform',
      `the mock cluster host runs on Linux only (this is ${process.platform})`,
      { hint: 'It relies on prctl(PR_SET_PDEATHSIG) so brokers die with the test run; run the integration specs on Linux (a container will do)' },
    )
  }
  const sourcePath = join(packageRoot, 'native', 'mock-cluster.c')
  const source = await readFile(sourcePath).catch((cause: unknown) => {
    throw new MockClusterBuildError('source', `the mock cluster source ${sourcePath} cannot be read`, {
      cause,
      hint: 'The rxkafka package is incomplete; reinstall it',
    })
  })

  const rdkafkaRoot = locateNodeRdkafka()
  const includeDir = join(rdkafkaRoot, 'deps', 'librdkafka', 'src')
  for (const header of ['rdkafka.h', 'rdkafka_mock.h']) {
    await access(join(includeDir, header), fsConstants.R_OK).catch((cause: unknown) => {
      throw new MockClusterBuildError('header', `librdkafka header ${join(includeDir, header)} is missing`, {
        cause,
        hint: 'node-rdkafka must be installed from source with its bundled librdkafka: run `npm rebuild node-rdkafka` (needs gcc, g++, make, python3)',
      })
    })
  }
  const libraryDir = join(rdkafkaRoot, 'build', 'deps')
  const libraryPath = join(libraryDir, 'librdkafka.so')
  const library = await stat(libraryPath).catch((cause: unknown) => {
    throw new MockClusterBuildError('library', `librdkafka shared library ${libraryPath} is missing: node-rdkafka is not built`, {
      cause,
      hint: 'Run `npm rebuild node-rdkafka` (needs gcc, g++, make, python3) and try again',
    })
  })
  const librdkafkaVersion = parseVersion(await readFile(join(includeDir, 'rdkafka.h'), 'utf8'))

  const hash = createHash('sha256')
    .update(source)
    .update(`\0${libraryPath}\0${librdkafkaVersion}\0${library.size}\0${process.arch}`)
    .digest('hex')
    .slice(0, 16)
  const buildDir = options.buildDir ?? process.env.RXKAFKA_NATIVE_BUILD_DIR ?? join(packageRoot, 'native', 'build')
  const binaryPath = join(buildDir, `mock-cluster-${hash}`)
  const info: MockClusterBuildInfo = { binaryPath, sourcePath, includeDir, libraryDir, librdkafkaVersion }

  if (await isExecutable(binaryPath)) return info

  await mkdir(buildDir, { recursive: true }).catch((cause: unknown) => {
    throw new MockClusterBuildError('build directory', `cannot create ${buildDir} for the mock cluster binary`, {
      cause,
      hint: 'Make it writable, or set RXKAFKA_NATIVE_BUILD_DIR to a writable directory',
    })
  })
  const temporaryPath = `${binaryPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const compiler = options.compiler ?? process.env.CC ?? 'gcc'
  try {
    await compile(compiler, [
      '-O2', '-Wall', '-std=gnu11',
      '-I', includeDir,
      '-o', temporaryPath,
      sourcePath,
      '-L', libraryDir, '-lrdkafka',
      // The rpath lets the binary find node-rdkafka's librdkafka without LD_LIBRARY_PATH.
      `-Wl,-rpath,${libraryDir}`,
    ])
    // rename() replaces atomically, so parallel builders of the same hash all end with one whole binary.
    await rename(temporaryPath, binaryPath)
  } finally {
    await unlink(temporaryPath).catch(() => undefined)
  }
  return info
}

function locateNodeRdkafka(): string {
  const require = createRequire(import.meta.url)
  try {
    return dirname(require.resolve('node-rdkafka/package.json'))
  } catch (cause) {
    throw new MockClusterBuildError(
      'node-rdkafka',
      'the mock cluster needs node-rdkafka, an optional peer dependency of rxkafka that is not installed: its bundled librdkafka is the mock',
      {
        cause,
        hint:
          'Run `npm install --save-dev node-rdkafka` (it compiles librdkafka from source, a few minutes: needs gcc, g++, make, python3). ' +
          'The virtual cluster (createVirtualCluster) needs nothing more',
      },
    )
  }
}

function parseVersion(header: string): string {
  const match = /#define\s+RD_KAFKA_VERSION\s+0x([0-9a-fA-F]{8})/.exec(header)
  if (match === null || match[1] === undefined) return 'unknown'
  const v = parseInt(match[1], 16)
  return `${(v >>> 24) & 0xff}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}`
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK)
    return true
  } catch {
    return false
  }
}

function compile(compiler: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(compiler, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.on('error', (cause: NodeJS.ErrnoException) => {
      if (cause.code === 'ENOENT') {
        reject(new MockClusterBuildError('compiler', `no C compiler: \`${compiler}\` is not on PATH`, {
          cause,
          hint: 'Install one (Debian/Ubuntu: `apt-get install -y gcc`), or set CC to a C compiler',
        }))
      } else {
        reject(new MockClusterBuildError('compiler', `cannot run the C compiler \`${compiler}\`: ${cause.message}`, { cause }))
      }
    })
    child.on('close', (code, signal) => {
      if (code === 0) resolve()
      else {
        reject(new MockClusterBuildError('compile', `compiling the mock cluster host failed (${compiler} exited with ${code ?? signal}):\n${output.trim()}`, {
          hint: 'The compiler output above says why; a missing header or library usually means node-rdkafka needs `npm rebuild node-rdkafka`',
        }))
      }
    })
  })
}
