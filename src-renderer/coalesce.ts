/**
 * Wraps a reload so that bursts of events cost at most two runs: calls made while one run is in flight share a
 * single follow-up run, and every caller's promise resolves after a run that started after its call.
 */
export function coalesce(run: () => Promise<void>): () => Promise<void> {
  let current: Promise<void> | null = null
  let next: Promise<void> | null = null
  return () => {
    if (!current) {
      current = run().finally(() => (current = null))
      return current
    }
    next ??= current.then(() => {
      next = null
      current = run().finally(() => (current = null))
      return current
    })
    return next
  }
}
