/** The parity suite's report (see case-reporter.ts): ends with `parity: N passed, N failed`. */
import { CaseReporter } from './case-reporter.js';

export default class ParityReporter extends CaseReporter {
  constructor() {
    super('parity');
  }
}
