// The importer fuzzer on a slice of the real CounterFact file (`npm run test:real`); `npm test` runs it on the
// committed sample (test/importers/fuzz.test.ts).
import { realDataFile } from '../../scripts/real-data'
import { counterfactSlice, describeImportFuzz } from '../importers/fuzz-suite'

describeImportFuzz(counterfactSlice(realDataFile('counterfact')))
