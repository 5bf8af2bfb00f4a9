import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDuration, parseBytes, parseDuration } from '../../compose/units.js';

const MS = 1e6;
const S = 1e9;

describe('parseDuration', () => {
  const valid: Array<[string | number, number]> = [
    ['10ms', 10 * MS],
    ['40s', 40 * S],
    ['1m30s', 90 * S],
    ['1h5m30s20ms', 3930 * S + 20 * MS],
    ['1h', 3600 * S],
    ['2h32m', (2 * 3600 + 32 * 60) * S],
    ['500ms', 500 * MS],
    ['1.5s', 1.5 * S],
    ['.5s', 0.5 * S],
    ['1.s', S],
    ['0.1s', 100 * MS],
    ['1.5h', 5400 * S],
    ['100us', 100_000],
    ['100µs', 100_000],
    ['100μs', 100_000],
    ['42ns', 42],
    ['1.0000000001s', S],
    ['0', 0],
    [0, 0],
    ['-0', 0],
    ['0s', 0],
    ['-1.5s', -1.5 * S],
    ['+5s', 5 * S],
  ];
  for (const [input, expected] of valid) {
    test(`${JSON.stringify(input)} is ${expected} ns`, () => {
      assert.equal(parseDuration(input), expected);
    });
  }

  const invalid: Array<[string | number, RegExp]> = [
    ['', /invalid duration "": expected a number/],
    ['30', /invalid duration "30": missing unit/],
    [30, /invalid duration "30": missing unit/],
    ['1d', /unknown unit "d"/],
    ['1S', /unknown unit "S"/],
    ['s', /expected a number before each unit/],
    ['.s', /expected a number before each unit/],
    ['1..5s', /invalid duration/],
    ['1s ', /unknown unit "s "/],
    ['-', /invalid duration "-"/],
    ['5000000h', /out of range/],
  ];
  for (const [input, message] of invalid) {
    test(`${JSON.stringify(input)} is refused`, () => {
      assert.throws(() => parseDuration(input), message);
    });
  }
});

describe('formatDuration', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [1, '1ns'],
    [999, '999ns'],
    [1500, '1.5µs'],
    [100_000, '100µs'],
    [500 * MS, '500ms'],
    [1.5 * MS, '1.5ms'],
    [S, '1s'],
    [1.5 * S, '1.5s'],
    [90 * S, '1m30s'],
    [60 * S, '1m0s'],
    [3600 * S, '1h0m0s'],
    [3930 * S + 20 * MS, '1h5m30.02s'],
    [2 * 3600 * S + 1, '2h0m0.000000001s'],
    [-1.5 * S, '-1.5s'],
    [-42, '-42ns'],
  ];
  for (const [ns, expected] of cases) {
    test(`${ns} ns is ${expected}`, () => {
      assert.equal(formatDuration(ns), expected);
    });
  }

  test('round-trips with parseDuration', () => {
    for (const text of ['1m30s', '500ms', '1h0m0s', '2.25s', '10µs', '7ns']) {
      assert.equal(formatDuration(parseDuration(text)), text);
    }
  });
});

describe('parseBytes', () => {
  const valid: Array<[string | number, number]> = [
    ['2b', 2],
    ['1024kb', 1024 * 1024],
    ['2048k', 2048 * 1024],
    ['300m', 300 * 1024 ** 2],
    ['1gb', 1024 ** 3],
    ['1GB', 1024 ** 3],
    ['64M', 64 * 1024 ** 2],
    ['512MiB', 512 * 1024 ** 2],
    ['1.5g', 1.5 * 1024 ** 3],
    ['10 m', 10 * 1024 ** 2],
    ['4096', 4096],
    [4096, 4096],
    [0, 0],
    [-1, -1],
  ];
  for (const [input, expected] of valid) {
    test(`${JSON.stringify(input)} is ${expected} bytes`, () => {
      assert.equal(parseBytes(input), expected);
    });
  }

  const invalid: Array<string | number> = [
    '',
    'm',
    '1x',
    '1 gb extra',
    '-1m',
    '1.2.3m',
    1.5,
    '1bb',
  ];
  for (const input of invalid) {
    test(`${JSON.stringify(input)} is refused`, () => {
      assert.throws(() => parseBytes(input), /invalid byte value/);
    });
  }
});
