// The HTML timeline: one self-contained page (nothing fetched, everything escaped), one box per
// step with the violating one marked, and, in a real browser, IPI arrows and a details panel
// that follows the selected step.

import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Variant } from '../../model/variant.js';
import { formatHtmlTimeline } from '../../src/report/html.js';
import type { RaceReportInput } from '../../src/report/report.js';
import { copyBeforeFlush, reportInput, variant } from '../support.js';

const inputOf = (v: Variant = variant('migrate-batched-wrong-copy-before-flush')): RaceReportInput =>
  reportInput(v);

describe('html timeline', () => {
  const input = inputOf();
  const html = formatHtmlTimeline(input);

  it('fetches nothing: no links, no script sources, no remote src or href', () => {
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<script[^>]*\bsrc=/i);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*https?:/i);
    expect(html).not.toMatch(/url\(\s*["']?https?:/i);
  });

  it('has one step group per step and marks the last as violating', () => {
    expect(html.match(/class="step[ "]/g)).toHaveLength(input.trace.steps.length);
    expect(html.match(/class="step violating" data-step="7"/g)).toHaveLength(1);
  });

  it('states the verdict, the harm and the replay command', () => {
    expect(html).toContain('<span class="verdict">VIOLATED</span> <code>noLostWrite</code> in');
    expect(html).toContain(input.invariant.why);
    expect(html).toContain('page 0 of mm 0 holds 1 in frame 2, but the last store wrote 2');
    expect(html).toContain(
      'npx shootdown check --protocol migrate-batched-wrong-copy-before-flush --config small --invariant noLostWrite --seed 1',
    );
  });

  it('escapes what it is given, in the page and in the embedded data', () => {
    const evil = inputOf({
      ...variant('migrate-batched-wrong-copy-before-flush'),
      title: 'x <script>alert(1)</script>',
    });
    const page = formatHtmlTimeline({
      ...evil,
      witness: { message: '</script><img src=x onerror=alert(2)>' },
    });
    expect(page).not.toContain('<script>alert(1)');
    expect(page).not.toContain('<img');
    expect(page).toContain('x &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.match(/<script/g)).toHaveLength(2);
    expect(page.match(/<\/script>/g)).toHaveLength(2);
  });
});

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`html timeline browser test skipped: ${CHROMIUM} not found (apt-get install chromium)`);

describe.skipIf(!haveChromium)('html timeline in a browser', () => {
  let browser: Browser;
  const file = join(mkdtempSync(join(tmpdir(), 'shootdown-html-')), 'timeline.html');
  const url = pathToFileURL(file).href;

  beforeAll(async () => {
    writeFileSync(file, formatHtmlTimeline(inputOf()));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** A fresh page on the timeline, with every request and console error it makes. */
  async function open(): Promise<{ page: Page; requests: string[]; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    return { page, requests, errors };
  }

  it('draws every step, selects the violating one, and fetches nothing but itself', async () => {
    const { page, requests, errors } = await open();
    expect(await page.locator('.step').count()).toBe(copyBeforeFlush.length);
    expect(await page.locator('.step.selected').getAttribute('data-step')).toBe('7');
    const details = page.locator('#details');
    await expect.poll(() => details.textContent()).toContain('remove_migration_ptes(p0)');
    expect(await details.textContent()).toContain('noLostWrite is broken here');
    const out = fileURLToPath(new URL('../../test-output', import.meta.url));
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, 'html-timeline.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);
    await page.close();
  }, 60_000);

  it('draws the flush IPI as an arrow to CPU 1', async () => {
    const { page } = await open();
    expect(await page.locator('[data-step="6"] .ipi').count()).toBe(1);
    expect(await page.locator('.ipi').count()).toBe(1);
    await page.close();
  }, 60_000);

  it('shows a step in the details panel when it is clicked or chosen with Enter', async () => {
    const { page, errors } = await open();
    const details = page.locator('#details');
    await page.locator('[data-step="3"]').click();
    expect(await details.textContent()).toContain('[T0] try_to_migrate_one(p0)');
    expect(await details.textContent()).toContain('tlb_ubc: cpus {0,1} writable');
    expect(await page.locator('.step.selected').getAttribute('data-step')).toBe('3');
    await page.locator('[data-step="2"]').focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('.step.selected').getAttribute('data-step')).toBe('2');
    expect(await details.textContent()).toContain('[T0] migrate_pages(p0)');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
