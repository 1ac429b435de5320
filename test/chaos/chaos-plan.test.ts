import { describe, expect, it } from 'vitest';
import { LAG_SLACK_MS, evaluationErrors, lossesBeyondLag, writeRto } from '../../src/chaos/accounting.js';
import { planScenarios } from '../../src/chaos/plan.js';
import { isExpected, isMixed } from '../../src/chaos/project.js';
import { summaryLine } from '../../src/chaos/report.js';
import type { ScenarioResult } from '../../src/chaos/scenario.js';
import type { EvaluationSample } from '../../src/drill/evaluation-load.js';
import type { WriteRecord } from '../../src/drill/write-stream.js';

/** The chaos runner's pure parts: plans from a seed, how evaluations and mixed releases are counted, the summary line. */
describe('chaos planning and accounting', () => {
  it('plans every fault alone, then random sequences that one seed repeats', () => {
    const a = planScenarios({ count: 20, seed: 42, network: true });
    expect(a).toHaveLength(20);
    expect(a.slice(0, 8).map((s) => s.name)).toEqual([
      'kill-primary', 'pause-primary', 'restart-standby', 'kill-node-mid-deploy', 'partition-primary', 'partition-standby', 'old-primary-writable', 'promote-lagging',
    ]);
    for (const s of a.slice(8)) expect(s.steps.length).toBeGreaterThanOrEqual(2);
    expect(planScenarios({ count: 20, seed: 42, network: true }).map((s) => [s.name, s.seed])).toEqual(a.map((s) => [s.name, s.seed]));
    expect(planScenarios({ count: 20, seed: 43, network: true }).map((s) => s.name)).not.toEqual(a.map((s) => s.name));
  });

  it('leaves partitions out where namespaces cannot be made, also when asked for by name', () => {
    const plan = planScenarios({ count: 12, seed: 1, network: false });
    expect(plan.flatMap((s) => s.steps).some((step) => step.needsNetwork)).toBe(false);
    expect(planScenarios({ count: 1, seed: 1, network: false, only: ['partition-primary', 'kill-primary'] })[0]!.name).toBe('kill-primary');
    expect(() => planScenarios({ count: 1, seed: 1, network: true, only: ['nope'] })).toThrow(/no fault step 'nope'/);
  });

  it('counts evaluation errors except on nodes that were out on purpose while the request ran', () => {
    const sample = (t: number, node: string, ok: boolean): EvaluationSample => ({ t, region: node.slice(0, 1), node, ok, ms: 5, ...(ok ? {} : { error: 'ECONNREFUSED' }) });
    const samples = [sample(0, 'a1', true), sample(100, 'a1', false), sample(200, 'a1', false), sample(300, 'b1', false), sample(500, 'a1', false)];
    const [a, b] = evaluationErrors(samples, [{ nodes: ['a1'], from: 150, to: 400 }], ['a', 'b'], 1000);
    expect(a).toMatchObject({ requests: 3, errors: 2, outageRequests: 1, outageErrors: 1 });
    expect(b).toMatchObject({ requests: 1, errors: 1 });
  });

  it('calls an answer mixed when its markers and the release it names disagree', () => {
    const answer = (parent: string, child: string, label: string) => ({ result: { parent, child }, details: { releaseLabel: label } });
    expect(isMixed(answer('one', 'one', 'one'))).toBe(false);
    expect(isMixed(answer('one', 'two', 'one'))).toBe(true);
    expect(isMixed(answer('two', 'two', 'one'))).toBe(true);
    expect(isExpected({ parent: 'two', child: 'two' })).toBe(true);
    expect(isExpected({ v: 'one' })).toBe(false);
  });

  it('measures write RTO from each loss of the primary to the first write sent after it and acknowledged', () => {
    const w = (startedAt: number, ackAt: number | null) => ({ startedAt, ackAt }) as WriteRecord;
    expect(writeRto([w(90, 1200), w(110, 1500), w(1600, 1700)], [{ at: 100 }])).toBe(1400);
    expect(writeRto([w(90, 1200)], [{ at: 100 }])).toBeNull();
    expect(writeRto([w(0, 10)], [])).toBeNull();
  });

  it('in async mode, accepts only losses acknowledged within the lag seen before the fault', () => {
    const w = (id: string, ackAt: number) => ({ id, ackAt }) as WriteRecord;
    const log = [w('old', 1000), w('recent', 9700), w('edge', 9000 - LAG_SLACK_MS + 1), w('after', 12_000)];
    // 'after' was acknowledged by an old primary that came back: no lag explains its loss.
    expect(lossesBeyondLag(log, ['old', 'recent', 'edge', 'after'], [{ at: 10_000, lagMs: 1000 }])).toEqual(['old', 'after']);
  });

  it('ends with the summary line in the issue’s form', () => {
    const result = { writes: { acknowledged: 7, lost: [], duplicates: ['x'] }, lostBeyondLag: [], evaluations: [{ errors: 2 }, { errors: 1 }] } as unknown as ScenarioResult;
    expect(summaryLine([result, result])).toBe('chaos: 2 scenarios, 14 acknowledged writes, 0 lost, 2 duplicated, 6 surviving-region evaluation errors');
    const lossy = { ...result, writes: { acknowledged: 5, lost: ['a', 'b'], duplicates: [] }, evaluations: [] } as unknown as ScenarioResult;
    expect(summaryLine([lossy], 'chaos async')).toBe('chaos async: 1 scenarios, 5 acknowledged writes, 2 lost (0 beyond the lag before the fault), 0 duplicated, 0 surviving-region evaluation errors');
  });
});
