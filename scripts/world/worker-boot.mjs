// Worker threads do not inherit `node --import tsx`; register the TypeScript loader here, then run the worker.
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import(workerData.entry)
