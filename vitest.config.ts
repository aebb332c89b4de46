import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const lib = (path: string) => fileURLToPath(new URL(`./lib/${path}`, import.meta.url))

export default defineConfig({
  // Examples import 'rxkafka' as users do; in this repository that is lib/.
  resolve: {
    alias: [
      { find: /^rxkafka\/protocol$/, replacement: lib('protocol/index.ts') },
      { find: /^rxkafka\/testing$/, replacement: lib('testing/index.ts') },
      { find: /^rxkafka\/otel$/, replacement: lib('otel/index.ts') },
      { find: /^rxkafka\/codecs\/snappy-native$/, replacement: lib('codecs/snappy-native.ts') },
      { find: /^rxkafka\/codecs\/lz4-native$/, replacement: lib('codecs/lz4-native.ts') },
      { find: /^rxkafka$/, replacement: lib('index.ts') },
    ],
  },
  test: {
    include: ['spec/**/*.spec.ts', 'examples/**/*.spec.ts'],
    // One Apache Kafka for the whole run (spec/support/peers.ts hands it to the specs).
    globalSetup: ['spec/support/kafka-global-setup.ts'],
    // Integration specs start broker processes; keep a loaded 2-core machine from timing them out.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    coverage: {
      provider: 'v8',
      include: ['lib/**/*.ts'],
      reporter: ['text-summary', 'html'],
    },
  },
})
