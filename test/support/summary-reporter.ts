/**
 * Printed after vitest's own summary: per project, the test files and tests that ran, passed,
 * failed and were skipped; every skip with its reason (the note `ctx.skip(reason)` left, see
 * env.ts), grouped by reason; and the tests' diagnostics (`annotate(...)`: accuracies,
 * perplexities, timings) that node:test used to print as `t.diagnostic`.
 */
import type { Reporter, TestCase, TestModule } from 'vitest/node';

interface ProjectTally {
  files: number;
  passed: number;
  failed: number;
  skipped: TestCase[];
  notes: string[];
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const projects = new Map<string, ProjectTally>();
    for (const module of testModules) {
      const name = module.project.name || 'default';
      let tally = projects.get(name);
      if (!tally) projects.set(name, (tally = { files: 0, passed: 0, failed: 0, skipped: [], notes: [] }));
      tally.files++;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') tally.passed++;
        else if (state === 'failed') tally.failed++;
        else if (state === 'skipped') tally.skipped.push(test);
        for (const a of test.annotations()) tally.notes.push(`${shortFile(test)} > ${test.fullName}: ${a.message}`);
      }
    }
    const lines: string[] = [''];
    for (const [name, t] of projects) {
      const total = t.passed + t.failed + t.skipped.length;
      lines.push(
        `[${name}] ${t.files} test files, ${total} tests: ${t.passed} passed, ${t.failed} failed, ${t.skipped.length} skipped`,
      );
      const byReason = new Map<string, Map<string, number>>();
      for (const test of t.skipped) {
        const result = test.result();
        const reason = (result.state === 'skipped' ? result.note : undefined) ?? 'skipped without a reason';
        const files = byReason.get(reason) ?? new Map<string, number>();
        files.set(shortFile(test), (files.get(shortFile(test)) ?? 0) + 1);
        byReason.set(reason, files);
      }
      for (const [reason, files] of byReason) {
        const list = [...files].map(([file, n]) => `${file} (${n})`).join(', ');
        lines.push(`  skipped: ${reason} -- ${list}`);
      }
      for (const note of t.notes) lines.push(`  note: ${note}`);
    }
    console.log(lines.join('\n'));
  }
}

function shortFile(test: TestCase): string {
  return test.module.moduleId.replace(/^.*\/test\//, 'test/');
}
