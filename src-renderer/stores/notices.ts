// Everything the analyst must see about a failure: each ServiceError becomes a readable notice (ErrorToast), and
// guard() is how stores call the API so that no { ok: false } is ever dropped silently.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { Result, ServiceError } from '../../src-preload/contract'

export interface Notice {
  id: number
  kind: 'error' | 'info'
  /** What the analyst was doing: "Could not add the edit". */
  title: string
  /** The service's message. */
  detail: string
  code: ServiceError['code'] | null
}

const CODE_HINTS: Record<ServiceError['code'], string> = {
  invalid_request: 'Check the highlighted input.',
  not_found: 'It may have been removed in the meantime; the view has been refreshed.',
  conflict: 'The workspace changed in a way that does not allow this.',
  busy: 'A job is running; wait for it or cancel it first.',
  engine: 'The engine reported a failure; the previous adapter is still active.',
  io: 'A file or the connection to the workbench failed.',
  unauthorized: 'This page is not authorised: open the URL that `elder serve` printed.',
  internal: 'An unexpected error; details below.'
}

export const hintFor = (code: ServiceError['code']): string => CODE_HINTS[code]

export const useNoticesStore = defineStore('notices', () => {
  /** Newest last; errors stay until dismissed, infos fade after a few seconds. */
  const items = ref<Notice[]>([])
  let nextId = 1

  function push(n: Omit<Notice, 'id'>): number {
    const id = nextId++
    items.value = [...items.value.slice(-4), { ...n, id }]
    if (n.kind === 'info') setTimeout(() => dismiss(id), 4000)
    return id
  }

  function report(title: string, error: ServiceError): void {
    push({ kind: 'error', title, detail: error.message, code: error.code })
  }

  function info(title: string, detail = ''): void {
    push({ kind: 'info', title, detail, code: null })
  }

  function dismiss(id: number): void {
    items.value = items.value.filter((n) => n.id !== id)
  }

  /** Unwraps a Result; on failure (or a rejected call) reports it under `title` and returns undefined. */
  async function guard<T>(title: string, call: Promise<Result<T>>): Promise<T | undefined> {
    let r: Result<T>
    try {
      r = await call
    } catch (e) {
      r = { ok: false, error: { code: 'internal', message: e instanceof Error ? e.message : String(e) } }
    }
    if (r.ok) return r.value
    report(title, r.error)
    return undefined
  }

  return { items, report, info, dismiss, guard }
})
