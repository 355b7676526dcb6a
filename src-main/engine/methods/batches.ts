// Which batches an editor holds, how many rows each, and whether each is switched on: the bookkeeping every
// baseline shares (ELDER keeps the same facts in its deferral and query tables).
export interface BatchLedgerJSON {
  batches: Array<{ owner: number; rows: number; enabled: boolean }>
}

export class BatchLedger {
  private readonly batches = new Map<number, { rows: number; enabled: boolean }>()

  add(owner: number, rows: number): void {
    if (this.batches.has(owner)) throw new Error(`batch ${owner} already has stored rows`)
    this.batches.set(owner, { rows, enabled: true })
  }

  has(owner: number): boolean {
    return this.batches.has(owner)
  }

  remove(owner: number): void {
    this.batches.delete(owner)
  }

  setEnabled(owner: number, enabled: boolean): void {
    const b = this.batches.get(owner)
    if (b) b.enabled = enabled
  }

  isEnabled(owner: number): boolean {
    return this.batches.get(owner)?.enabled ?? false
  }

  owners(): number[] {
    return [...this.batches.keys()].sort((a, b) => a - b)
  }

  get rows(): number {
    let n = 0
    for (const b of this.batches.values()) n += b.rows
    return n
  }

  /** Renames owners; every owner not in the map keeps its id. */
  renumber(to: ReadonlyMap<number, number>): void {
    const entries = [...this.batches]
    this.batches.clear()
    for (const [owner, b] of entries) this.batches.set(to.get(owner) ?? owner, b)
  }

  toJSON(): BatchLedgerJSON {
    return { batches: this.owners().map((owner) => ({ owner, ...(this.batches.get(owner) as { rows: number; enabled: boolean }) })) }
  }

  static fromJSON(json: BatchLedgerJSON): BatchLedger {
    const l = new BatchLedger()
    for (const b of json.batches) {
      l.add(b.owner, b.rows)
      l.setEnabled(b.owner, b.enabled)
    }
    return l
  }
}
