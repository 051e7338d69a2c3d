// The status line of a long run: silent for its first seconds, cut to the terminal's
// width, and erased before anything else is written.

import { describe, expect, it, vi } from 'vitest';
import { count, estimateLeft, formatDuration, StatusLine } from '../../src/progress.js';

const recorder = (columns = 80) => {
  const writes: string[] = [];
  return { writes, sink: { write: (t: string) => writes.push(t), columns } };
};

describe('the status line', () => {
  it('stays silent for the first two seconds, then draws, then erases itself', () => {
    vi.useFakeTimers();
    try {
      const { writes, sink } = recorder();
      const line = new StatusLine(sink);
      line.set('check: 0/3 protocols');
      line.clear();
      expect(writes).toEqual([]);
      vi.advanceTimersByTime(2100);
      line.set('check: 1/3 protocols');
      expect(writes).toEqual(['\r\x1b[Kcheck: 1/3 protocols']);
      line.set('check: 1/3 protocols, sooner than 100 ms');
      expect(writes).toHaveLength(1);
      line.clear();
      line.clear();
      expect(writes.slice(1)).toEqual(['\r\x1b[K']);
      line.redraw();
      expect(writes.at(-1)).toBe('\r\x1b[Kcheck: 1/3 protocols, sooner than 100 ms');
    } finally {
      vi.useRealTimers();
    }
  });

  it('is cut to the terminal’s width so it never wraps', () => {
    const { writes, sink } = recorder(30);
    const line = new StatusLine(sink, 0, 0);
    line.set('x'.repeat(100));
    expect(writes[0]!.replace('\r\x1b[K', '')).toHaveLength(29);
    expect(writes[0]!.endsWith('…')).toBe(true);
  });

  it('shows at once on a sink that asks for no delay', () => {
    const { writes, sink } = recorder();
    new StatusLine({ ...sink, delayMs: 0 }).set('now');
    expect(writes).toEqual(['\r\x1b[Know']);
  });

  it('writes nothing without a sink (a pipe, --json)', () => {
    const line = new StatusLine(undefined, 0, 0);
    line.set('anything');
    line.redraw();
    line.clear();
  });
});

describe('durations and estimates', () => {
  it('reads as seconds, then minutes, then hours', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(42_400)).toBe('42 s');
    expect(formatDuration(187_000)).toBe('3:07');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
  });

  it('estimates what is left at the rate so far, and nothing from too little', () => {
    expect(estimateLeft(250, 1000, 10_000)).toBe(30_000);
    expect(estimateLeft(0, 1000, 10_000)).toBeNull();
    expect(estimateLeft(10, 1000, 100)).toBeNull();
    expect(estimateLeft(1000, 1000, 10_000)).toBe(0);
    expect(count(1234567)).toBe('1,234,567');
  });
});
