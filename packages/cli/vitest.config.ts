import { defineConfig } from 'vitest/config'
import { workspaceAliases } from '../../vitest.shared.ts'

export default defineConfig({
  resolve: { alias: workspaceAliases(import.meta.url) },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Tests run the built bin; opening PGlite takes seconds on a loaded 2-core machine.
    testTimeout: 120_000,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
})
