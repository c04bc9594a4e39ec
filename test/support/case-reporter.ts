/**
 * The report of a fixture-case suite (parity, interop), printed last: one line per case
 * (`PASS name: summary`) and then `<project>: N passed, N failed`, the line scripts look for.
 * Silent when the run had no such project. Tests filtered out with `-t` are not counted.
 */
import type { Reporter, TestModule } from 'vitest/node';

import '../parity/outcome.js';
import '../interop/outcome.js';

export type CaseProject = 'parity' | 'interop';

export class CaseReporter implements Reporter {
  constructor(private readonly project: CaseProject) {}

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const modules = testModules.filter((m) => m.project.name === this.project);
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
        if (test.result().state === 'skipped') continue;
        const ok = test.result().state === 'passed';
        const line = test.meta()[this.project]?.line ?? test.result().errors?.map((e) => e.message).join('; ') ?? 'did not run';
        if (ok) passed++;
        else failed++;
        lines.push(`${ok ? 'PASS' : 'FAIL'} ${test.name}: ${line}`);
      }
    }
    lines.push(`${this.project}: ${passed} passed, ${failed} failed`);
    console.log(lines.join('\n'));
  }
}
