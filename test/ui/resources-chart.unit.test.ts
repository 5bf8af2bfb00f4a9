/**
 * The app page's resource chart (issue 12 §4): live samples join the hour's
 * history by the daemon's rule (one point a minute, the last hour), and the
 * sparkline puts the hour across the box and values from the bottom up.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sparkline, withSample } from '../../ui/src/lib/resources.ts';

const at = (minutes: number) =>
  new Date(Date.UTC(2025, 0, 1, 12, 0) + minutes * 60_000).toISOString();
const point = (minutes: number, memoryBytes = 1) => ({
  at: at(minutes),
  cpuPercent: 1,
  memoryBytes,
});

test('a live sample joins the history only a minute after its last point', () => {
  const history = [point(0), point(1)];
  assert.equal(withSample(history, point(1.5)), history, 'within the minute: unchanged');
  assert.deepEqual(withSample(history, point(2)), [...history, point(2)]);
  const hour = Array.from({ length: 60 }, (_, i) => point(i));
  const next = withSample(hour, point(60));
  assert.equal(next.length, 60, 'the point an hour old drops out');
  assert.equal(next[0]?.at, at(1));
});

test('the sparkline spans the hour ending now, values from the bottom', () => {
  const now = Date.parse(at(60));
  const points = sparkline(
    [
      { at: Date.parse(at(0)), value: 0 },
      { at: Date.parse(at(30)), value: 50 },
      { at: now, value: 100 },
    ],
    { width: 120, height: 40, now },
  );
  assert.equal(points, '0.0,40.0 60.0,20.0 120.0,0.0');
  assert.equal(sparkline([], { width: 10, height: 10, now }), '');
});
