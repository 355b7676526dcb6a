import vue from '@vitejs/plugin-vue'
import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  // Renderer tests (test/renderer, happy-dom) mount .vue single-file components.
  plugins: [vue()],
  test: {
    include: ['test/**/*.test.ts'],
    // Tests on real third-party data need files a fresh clone lacks: `npm run test:real` runs them (vitest.real.config.ts).
    exclude: [...configDefaults.exclude, 'test/real/**'],
    environment: 'node',
    // Engine tests hold a wasm backend each; two workers match the two cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
})
