// What a scope threshold does, counted in the renderer from the distances scope.distances returned, so the numbers
// follow the dragged line without a request per pixel. The rule is the engine's: in scope iff distance < threshold
// (no distance: no stored edit to compare with, always deferred); scope.tradeoff asks the engine itself, and a
// test keeps the two equal.
import type { ScopeDistancesView, ScopeGroup, ScopeTradeoffView } from '../src-preload/contract'

export function tradeoffAt(d: ScopeDistancesView, threshold: number): ScopeTradeoffView {
  const count = (g: ScopeGroup): number => d.groups[g].filter((x) => x !== null && x < threshold).length
  return {
    threshold,
    inScope: { edit: count('edit'), rephrase: count('rephrase'), unrelated: count('unrelated') },
    total: { edit: d.groups.edit.length, rephrase: d.groups.rephrase.length, unrelated: d.groups.unrelated.length }
  }
}

/** A share as a percentage with one decimal ('–' of nothing). */
export function share(n: number, of: number): string {
  return of === 0 ? '–' : `${((n / of) * 100).toFixed(1)}%`
}
