// The CI-sized soak: scripts/soak.ts for 60 s with 4 publishers and 100 HLS viewers
// through the edge, sized for a 2-core machine, asserting every target of the full run: no viewer
// errors, no listed segment 404, ≤ 1 % late segments, ≤ 1.05 origin requests per segment
// (collapsing), RSS growth < 10 % after warm-up, flat fds, bounded disk, clean SIGTERM stop.
// The 10-minute run is `scripts/soak` with its defaults (8 publishers, 300 viewers, 600 s).
import { describe, expect, it } from 'vitest';
import { formatReport, runSoak } from '../../scripts/soak.js';
import { seedFromEnv } from '../helpers/random.js';

describe('soak (CI size)', () => {
  it('4 publishers, 100 viewers, 60 s: every target met', async () => {
    const report = await runSoak({
      publishers: 4,
      viewers: 100,
      durationSeconds: 60,
      warmupSeconds: 25,
      seed: seedFromEnv(),
      fromSource: true,
      verbose: false,
    });
    const text = formatReport(report);
    console.info(text);
    const missed = report.targets.filter((t) => !t.ok).map((t) => `${t.name}: ${t.value} (target ${t.target})`);
    expect(missed, `${text}\n--- server log tail ---\n${report.logTail}`).toEqual([]);
    // The run did real work: every viewer fetched segments, and most requests were edge hits.
    expect(report.viewer.segmentFetches).toBeGreaterThan(100 * 10);
    expect(report.edgeHitRatio).toBeGreaterThan(0.8);
  }, 240_000);
});
