import { defineConfig } from 'vitest/config';

// Unit tests live next to the code (packages/*/src, services/*/src); multi-process cluster tests in test/.
// Packages are imported through their built dist/ (npm test builds first), so tests run what ships.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.ci/out/vitest.json' },
  },
});
