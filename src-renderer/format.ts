// Display formats shared by the components.
import type { BatchState, EditStatus, JobState } from '../src-preload/contract'

/** 95 → "1 min 35 s"; null → "—". */
export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${s % 60} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

export const ms = (value: number | null): string => (value === null ? '—' : value < 1000 ? `${value} ms` : duration(value / 1000))

/** Epoch ms → local "HH:MM:SS" today, else "YYYY-MM-DD HH:MM". */
export function clock(epochMs: number | null, now = Date.now()): string {
  if (epochMs === null) return '—'
  const d = new Date(epochMs)
  const pad = (n: number): string => String(n).padStart(2, '0')
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  if (new Date(now).toDateString() === d.toDateString()) return time
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time.slice(0, 5)}`
}

/** Epoch ms → local "YYYY-MM-DD HH:MM:SS", always with the date (the history spans days). */
export function dateTime(epochMs: number | null): string {
  if (epochMs === null) return '—'
  const d = new Date(epochMs)
  const pad = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

export const loss = (value: number | null): string => (value === null ? '—' : value < 0.001 ? value.toExponential(2) : value.toFixed(4))

export const percent = (p: number): string => `${(p * 100).toFixed(p < 0.1 ? 1 : 0)}%`

/** Every state a badge shows: an edit's, a batch's or a job's. */
export type BadgeStatus = EditStatus | BatchState | JobState

/** Keyed by the contract's unions, so a state added there without a label here does not compile. */
export const STATUS_LABELS: Record<BadgeStatus, string> = {
  queued: 'Queued',
  training: 'Training',
  applied: 'Applied',
  failed: 'Failed',
  interrupted: 'Interrupted',
  disabled: 'Disabled',
  rolled_back: 'Rolled back',
  running: 'Running',
  done: 'Done',
  cancelled: 'Cancelled'
}
