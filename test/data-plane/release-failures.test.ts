import { describe, expect, it } from 'vitest';
import { EngineFailure, HostGone } from '../../src/data-plane/engine/host-errors.js';
import { ReleaseFailures } from '../../src/data-plane/sync/release-failures.js';

const gone = (stoppedFor?: 'slow' | 'shutdown') => new Error('an engine host stopped while loading the release (signal SIGKILL)', { cause: new HostGone(stoppedFor, 'signal SIGKILL') });

describe('release failures', () => {
  it('keeps a release the engine refuses failed for good', () => {
    const failures = new ReleaseFailures();
    failures.record('r1', new EngineFailure('missing field `name`\nat line 1'), 0);
    expect(failures.has('r1', 10 ** 9)).toBe(true);
    expect(failures.willRetry('r1')).toBe(false);
    expect(failures.retryDue(10 ** 9)).toBe(false);
    expect(failures.messages.get('r1')).toBe('missing field `name`');
  });

  it('loads again, after 1, 2, 4 and 8 s, a release whose engine host went away, then gives up', () => {
    const failures = new ReleaseFailures();
    let now = 0;
    for (const wait of [1_000, 2_000, 4_000, 8_000]) {
      failures.record('r1', gone('slow'), now);
      expect(failures.willRetry('r1')).toBe(true);
      expect(failures.messages.get('r1')).toMatch(new RegExp(`loading it again in ${wait / 1000} s`));
      expect(failures.has('r1', now + wait - 1)).toBe(true);
      expect(failures.retryDue(now + wait - 1)).toBe(false);
      now += wait;
      expect(failures.has('r1', now)).toBe(false);
      expect(failures.retryDue(now)).toBe(true);
    }
    failures.record('r1', gone(), now); // the fifth attempt
    expect(failures.willRetry('r1')).toBe(false);
    expect(failures.has('r1', now + 10 ** 9)).toBe(true);
  });

  it('does not load again at shutdown, and forgets what is loaded or no longer deployed', () => {
    const failures = new ReleaseFailures();
    failures.record('r1', gone('shutdown'), 0);
    expect(failures.willRetry('r1')).toBe(false);
    failures.record('r2', gone('slow'), 0);
    failures.record('r3', new Error('busy', { cause: Object.assign(new Error('retry'), { code: 'not-ready' }) }), 0);
    expect(failures.willRetry('r3')).toBe(true);
    failures.forget('r2');
    expect(failures.has('r2', 0)).toBe(false);
    failures.keepOnly(new Set(['r3']));
    expect([...failures.messages.keys()]).toEqual(['r3']);
  });
});
