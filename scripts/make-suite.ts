/**
 * A larger edit suite from the embedded model's own world (same seed, so the same facts the model knows), with the
 * retention set of the facts it leaves untouched — for benchmarks beyond the committed 1,000 edits. Not committed:
 * made on demand (a few seconds) into a folder of your choice.
 *
 *   node --import tsx scripts/make-suite.ts --edits 2000 --out .tmp/world-2000
 */
import { parseArgs } from 'node:util'
import { writeWorldFiles } from './world/write'

const { values: o } = parseArgs({ options: { edits: { type: 'string', default: '2000' }, out: { type: 'string' } } })
const edits = Number(o.edits)
if (!Number.isInteger(edits) || edits < 1) throw new Error(`--edits must be a positive integer, got ${o.edits}`)
if (!o.out) throw new Error('--out DIR is required')
const w = writeWorldFiles(o.out, undefined, edits)
console.log(JSON.stringify({ edits: w.summary.edits, facts: w.summary.facts, files: w.files }))
