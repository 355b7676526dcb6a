/// <reference types="vite/client" />
import type { ElderApi } from '../src-preload/contract'

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser talking to `elder serve`. */
    elder?: ElderApi
  }
}

export {}
