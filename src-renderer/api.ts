// Where the renderer gets its ElderApi: the preload's window.elder under Electron, else the web bridge to
// `elder serve`. Components and stores only ever see the ElderApi, through useApi().
import { inject, type InjectionKey } from 'vue'
import type { ElderApi } from '../src-preload/contract'
import { createWebBridge, type BridgeDeps } from './web-bridge'

export const API_KEY: InjectionKey<ElderApi> = Symbol('elder-api')

function browserDeps(): BridgeDeps {
  return {
    fetch: (...args) => window.fetch(...args),
    EventSource: window.EventSource,
    storage: window.sessionStorage,
    replaceUrl: (url) => window.history.replaceState(window.history.state, '', url)
  }
}

export function resolveApi(): ElderApi {
  return window.elder ?? createWebBridge(window.location, browserDeps())
}

/** The provided ElderApi; call from a component's setup or a Pinia setup store. */
export function useApi(): ElderApi {
  const api = inject(API_KEY, null)
  if (!api) throw new Error('useApi(): no ElderApi provided (app.provide(API_KEY, api))')
  return api
}
