// What every baseline keeps besides its weights and keys: which batches it holds (BatchLedger), the next batch id,
// and its on/off switch — with their part of the state file. ELDER keeps the same facts in its own tables.
import { BatchLedger, type BatchLedgerJSON } from './batches'
import type { ApplyOptions, EditorModel } from './editor'
import { StateError, type ParsedState } from './state'

export abstract class LedgerEditor<C extends { method: string }> {
  /** When false every input runs the base model (nothing is lost). */
  enabled = true
  nextBatchId = 1
  protected ledger = new BatchLedger()

  constructor(
    readonly base: EditorModel,
    readonly config: C
  ) {}

  /** The id a new batch is stored under; refused when a batch already has it. */
  protected claimBatch(opts: ApplyOptions): number {
    const batchId = opts.batchId ?? this.nextBatchId
    if (this.ledger.has(batchId)) throw new Error(`batch ${batchId} already has stored rows`)
    return batchId
  }

  /** Records a trained batch of `rows` edits. */
  protected recordBatch(batchId: number, rows: number): void {
    this.ledger.add(batchId, rows)
    this.nextBatchId = Math.max(this.nextBatchId, batchId + 1)
  }

  owners(): number[] {
    return this.ledger.owners()
  }

  get rowCount(): number {
    return this.ledger.rows
  }

  /** This part of the state file's metadata (with the config). */
  protected ledgerMeta(): Record<string, string> {
    return {
      config: JSON.stringify(this.config),
      batches: JSON.stringify(this.ledger.toJSON()),
      next_batch_id: String(this.nextBatchId),
      enabled: String(this.enabled)
    }
  }

  /** Reads this part of a state; the returned function applies it (after the caller has checked its own part). */
  protected readLedger(s: ParsedState): () => void {
    if (!s.meta.batches) throw new StateError('editor state has no batch list')
    const ledger = BatchLedger.fromJSON(JSON.parse(s.meta.batches) as BatchLedgerJSON)
    return () => {
      this.ledger = ledger
      this.nextBatchId = Number(s.meta.next_batch_id)
      this.enabled = s.meta.enabled === 'true'
    }
  }
}
