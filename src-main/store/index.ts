/** The workspace store: open, migrate, and the repositories. Knows SQL only (architecture.md). */
export { openWorkspaceDb, type OpenOptions } from './db'
export { migrate, schemaVersion, type MigrateOptions, type MigrateResult } from './migrate'
export { LATEST_VERSION, MIGRATIONS, type Migration } from './migrations/index'
export { StoreError, type StoreErrorCode, type StoreErrorData } from './errors'
export * from './types'
export { registerModel, findModelByHash, getModel, listModels, type ModelInput } from './repos/models'
export {
  createExperiment, getExperiment, listExperiments, updateExperiment, cloneExperiment, type ExperimentInput
} from './repos/experiments'
export {
  copyEditList, recordRunEnvironment, activeExperimentId, setActiveExperiment, DEFAULT_EVAL_EVERY, type ExperimentPatch
} from './repos/experiments'
export { recordEditHealth, editHealth, editHealthCounts } from './repos/health'
export {
  addEdit, addEdits, getEdit, updateEdit, deleteEdit, listEdits, countEditsByStatus,
  type AddEditsOptions, type EditPatch, type EditQuery
} from './repos/edits'
export { requeueEdits } from './repos/edits'
export {
  BATCH_TRANSITIONS, createNextBatch, setBatchState, markInterruptedBatches, getBatch, listBatches, batchEdits,
  type TransitionInfo
} from './repos/batches'
export {
  wasApplied, dissolveBatch, createBatchOf
} from './repos/batches'
export { putCodes, listActiveCodes, listBatchCodes, packWords, unpackWords, type CodeInput } from './repos/codes'
export {
  recordCheckpoint, getCheckpoint, setCheckpointActive, latestActiveCheckpoint, checkpointForBatch, listCheckpoints,
  type CheckpointInput
} from './repos/checkpoints'
export { appendMetrics, metricSeries, metricNames, latestMetrics, latestMetricsByBatch, type MetricInput } from './repos/metrics'
export { listRecentEvents, logEvent, type EventQuery } from './repos/events'
export { changeExperimentConfig } from './repos/experiment-config'
