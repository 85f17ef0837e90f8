import { formatDuration, parseDuration } from '../../../harness/scenario/duration';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['10s', 10_000],
    ['1.5s', 1_500],
    ['2m', 120_000],
  ])('%s → %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['10', '10 sec', '-1s', 's', '1h', ''])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it('formats milliseconds back', () => {
    expect([formatDuration(250), formatDuration(1_500), formatDuration(90_000)]).toEqual([
      '250ms',
      '1.5s',
      '1.5m',
    ]);
  });
});
