import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

// Our sources live in top-level src-main/, src-preload/, src-renderer/ (fixed by the product brief);
// electron-vite only auto-detects src/main etc., so every entry is explicit.
const r = (p: string): string => resolve(import.meta.dirname, p)

export default defineConfig({
  main: {
    build: {
      // The engine runs in its own process (utilityProcess.fork of out/main/engine-worker.js): its own entry.
      lib: { entry: { index: r('src-main/index.ts'), 'engine-worker': r('src-main/jobs/engine-worker.ts') } },
      rollupOptions: { external: ['better-sqlite3', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'] }
    }
  },
  preload: {
    // Sandboxed preloads cannot be ESM: force CommonJS (out/preload/index.cjs). A sandboxed preload can require
    // only 'electron', so its dependencies (zod, through the contract) are bundled, not externalized.
    build: { externalizeDeps: false, lib: { entry: r('src-preload/index.ts'), formats: ['cjs'] } }
  },
  renderer: {
    root: r('src-renderer'),
    build: { rollupOptions: { input: r('src-renderer/index.html') } },
    plugins: [vue()]
  }
})
