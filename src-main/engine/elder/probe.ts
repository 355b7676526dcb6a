// What the probe shows of an ELDER prediction: the allocation code as bits and the stored row nearest to it.
import { hamming, unpackCode, type Code } from './codes'
import type { DeferralTable } from './deferral'

/** L×N bits, layer-major, as '0'/'1'. */
export function codeBits(code: Code, L: number, N: number): string {
  return unpackCode(code, L, N).map((experts) => Array.from({ length: N }, (_, e) => (experts.includes(e) ? '1' : '0')).join('')).join('')
}

/** The enabled stored row nearest to `code` (first one at the minimum distance), as (owner, row in owner). */
export function nearestRow(table: DeferralTable, code: Code): { batchId: number; row: number } | null {
  let best: { batchId: number; row: number } | null = null
  let bestD = Infinity
  let owner = NaN
  let row = 0
  for (const e of table.entries()) {
    row = e.owner === owner ? row + 1 : 0
    owner = e.owner
    if (!e.enabled) continue
    const d = hamming(code, e.code)
    if (d < bestD) {
      bestD = d
      best = { batchId: e.owner, row }
    }
  }
  return best
}
