import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['spec/**/*.spec.ts', 'marbles/**/*.spec.ts', 'examples/**/*.spec.ts'],
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
