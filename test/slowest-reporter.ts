// A vitest reporter that names the ten slowest test files when a run ends, so a test that
// makes the suite slow is seen in every run (npm test has a five-minute budget).

import type { Reporter, TestModule } from 'vitest/node';

export default class SlowestFiles implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const rows = modules
      .map((m) => {
        const d = m.diagnostic();
        return { file: m.relativeModuleId, ms: d.duration + d.collectDuration + d.setupDuration };
      })
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 10);
    if (rows.length === 0) return;
    const lines = rows.map((r) => `  ${(r.ms / 1000).toFixed(1).padStart(7)} s  ${r.file}`);
    const files = rows.length === 1 ? 'test file' : `${rows.length} test files`;
    process.stdout.write(`\nThe slowest ${files} (import and tests):\n${lines.join('\n')}\n`);
  }
}
