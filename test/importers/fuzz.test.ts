// The importer fuzzer on the committed CounterFact sample (invented records, real layout); the same fuzzer runs on
// the real file in `npm run test:real`.
import { fileURLToPath } from 'node:url'
import { counterfactSlice, describeImportFuzz } from './fuzz-suite'

describeImportFuzz(counterfactSlice(fileURLToPath(new URL('../fixtures/import/counterfact-easyedit.json', import.meta.url))))
