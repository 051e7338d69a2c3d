// docs/cost is generated: the committed charts must be what `shootdown cost` writes now
// (about 25 s, so in npm run test:full), and the README's table too (about 9 s).

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { costedProtocols, findWorkload, WORKLOADS } from '../../src/cost/cost.js';
import { costTable, costWorkload, recordedSafety } from '../../src/cost/cost-report.js';
import { runCli } from '../support.js';

describe('what the repository shows', () => {
  it('the README’s cost table is what the tool prints', () => {
    const readme = readFileSync('README.md', 'utf8');
    const m = /<!-- cost:(\S+) (\d+) (\d+) -->\n([\s\S]*?)\n<!-- \/cost -->/.exec(readme);
    expect(m).not.toBeNull();
    const [, id, pages, cpus, shown] = m!;
    const w = findWorkload(id!)!;
    const protocols = costedProtocols(w);
    const c = costWorkload(w, protocols, [Number(pages)], [Number(cpus)]);
    const table = costTable(
      c,
      Number(pages),
      Number(cpus),
      new Map(protocols.map((v) => [v.id, recordedSafety(v)])),
    );
    expect(shown!.split('\n').length).toBeGreaterThan(3);
    expect(table.endsWith(shown!)).toBe(true);
  });

  it('the charts and tables in docs/cost are what `shootdown cost` writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shootdown-charts-'));
    // the charts are drawn at the largest CPU count, so only it needs running
    const r = await runCli('cost', '--cpus', '16', '--out', dir);
    expect(r.code).toBe(0);
    for (const w of WORKLOADS)
      expect(
        readFileSync(join(dir, `${w.id}.svg`), 'utf8'),
        `docs/cost/${w.id}.svg: run npx shootdown cost`,
      ).toBe(readFileSync(join('docs/cost', `${w.id}.svg`), 'utf8'));
  });
});
