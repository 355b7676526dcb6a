import { defineConfig } from 'vitest/config'

// `npm run test:real` (scripts/test-real.ts): only the tests on real third-party data, which vitest.config.ts
// leaves out of `npm test` because a fresh clone has no such data.
export default defineConfig({
  test: {
    include: ['test/real/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2
  }
})
