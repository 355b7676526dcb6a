// An apply job's time left, from the mean time of one training step so far. Extrapolating from the fraction of
// edits done swung widely within one job (issue 13: 59 min, then 31 min): a batch usually stops well before its
// step limit, so a batch's fraction (step / maxSteps) under-counts progress until the batch ends, then jumps.
// Here the job's steps so far give the mean step time, and the finished batches give the steps an edit takes.

export interface StepReport {
  /** Seconds spent training in this job so far (batches finished and the running one). */
  elapsedS: number
  /** The running batch's step (1-based) and its limit. */
  step: number
  maxSteps: number
  /** Edits in the running batch. */
  batchEdits: number
}

export class EtaEstimator {
  private finishedSteps = 0
  private finishedEdits = 0

  /** `totalEdits`: the edits the job will train; raised by the job if the queue grows. */
  constructor(private totalEdits: number) {}

  setTotal(totalEdits: number): void {
    this.totalEdits = totalEdits
  }

  /** A batch ended after `steps` steps. */
  batchDone(steps: number, edits: number): void {
    this.finishedSteps += steps
    this.finishedEdits += edits
  }

  /** Seconds left, or null before the first step. */
  estimate(r: StepReport): number | null {
    const stepsSoFar = this.finishedSteps + r.step
    if (stepsSoFar <= 0 || r.elapsedS <= 0) return null
    const meanStepS = r.elapsedS / stepsSoFar
    // Steps per edit: what finished batches took; before any finished, the limit (all that is known yet).
    const perEdit = this.finishedEdits > 0 ? this.finishedSteps / this.finishedEdits : r.maxSteps / Math.max(1, r.batchEdits)
    // The running batch needs at least one more step unless it is at its limit.
    const thisBatch = Math.min(r.maxSteps, Math.max(r.step + 1, perEdit * r.batchEdits)) - r.step
    const later = Math.max(0, this.totalEdits - this.finishedEdits - r.batchEdits) * perEdit
    return meanStepS * (Math.max(0, thisBatch) + later)
  }
}
