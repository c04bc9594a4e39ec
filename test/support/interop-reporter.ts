/** The interop suite's report (see case-reporter.ts): ends with `interop: N passed, N failed`. */
import { CaseReporter } from './case-reporter.js';

export default class InteropReporter extends CaseReporter {
  constructor() {
    super('interop');
  }
}
