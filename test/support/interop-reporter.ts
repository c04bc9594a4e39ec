/**
 * The interop suite's report, printed last: one line per case (`PASS onnx/name: ...`) and then
 * `interop: N passed, N failed`, the line scripts look for. Silent when the run had no interop
 * project.
 */
import type { Reporter, TestModule } from 'vitest/node';

import '../interop/outcome.js';

export default class InteropReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const modules = testModules.filter((m) => m.project.name === 'interop');
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
        if (test.result().state === 'skipped') continue; // filtered out with -t
        const ok = test.result().state === 'passed';
        const line = test.meta().interop?.line ?? test.result().errors?.map((e) => e.message).join('; ') ?? 'did not run';
        if (ok) passed++;
        else failed++;
        lines.push(`${ok ? 'PASS' : 'FAIL'} ${test.name}: ${line}`);
      }
    }
    lines.push(`interop: ${passed} passed, ${failed} failed`);
    console.log(lines.join('\n'));
  }
}
