/**
 * The parity suite's report, printed last: one line per case (`PASS name: worst errors`) and
 * then `parity: N passed, N failed`, the line scripts look for. Silent when the run had no
 * parity project.
 */
import type { Reporter, TestModule } from 'vitest/node';

import '../parity/outcome.js';

export default class ParityReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const modules = testModules.filter((m) => m.project.name === 'parity');
    if (modules.length === 0) return;
    let passed = 0;
    let failed = 0;
    const lines: string[] = [''];
    for (const module of modules) {
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) {
        failed++;
        lines.push(`FAIL ${module.moduleId}: ${module.errors().map((e) => e.message).join('; ')}`);
      }
      for (const test of module.children.allTests()) {
        const ok = test.result().state === 'passed';
        const line = test.meta().parity?.line ?? test.result().errors?.map((e) => e.message).join('; ') ?? 'did not run';
        if (ok) passed++;
        else failed++;
        lines.push(`${ok ? 'PASS' : 'FAIL'} ${test.name}: ${line}`);
      }
    }
    lines.push(`parity: ${passed} passed, ${failed} failed`);
    console.log(lines.join('\n'));
  }
}
