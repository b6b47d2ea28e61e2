import { afterEach, describe, expect, it } from 'vitest';
import { input, query, testEngines } from './test-engine.js';

const engines = testEngines({ ENGRAM_DEDUP_WINDOW: '0' });
afterEach(engines.closeAll);

const scatterTerms = (q: ReturnType<typeof query>) =>
  ({ query: q, phase: 'SCATTER_PHASE_TERMS', queryId: '', asOfMs: Date.UTC(2026, 0, 1), globalTerms: null, globalRanges: null, after: null, limit: 0 }) as const;

describe('collectCandidates', () => {
  it('matches a posting to its memory whatever the tenant and subject hold (multi-byte text, separators of ids)', async () => {
    const { engine } = await engines.open();
    const tenant = 'tenänt-✓';
    const subjects = ['ü 🙂 s', 's', 's:x'];
    const ids: string[] = [];
    for (const subject of subjects) {
      for (const content of ['heron lake', 'heron', 'lake shore']) ids.push((await engine.remember(tenant, input({ subject, content }))).id!);
    }
    for (const subject of subjects) {
      const results = (await engine.query(tenant, query({ subject, text: 'heron lake', skipReinforce: true }))).results ?? [];
      expect(results.map((r) => r.memory!.subject)).toEqual([subject, subject, subject]);
      // The memory holding both terms ranks first: both postings were matched to it.
      expect(results[0]!.memory!.content).toBe('heron lake');
    }
    const terms = await engine.scatter(tenant, scatterTerms(query({ text: 'heron lake', skipReinforce: true })));
    expect(terms.candidates).toBe(ids.length);
    expect(terms.terms!.documentFrequency).toEqual({ heron: 6, lake: 6 });
  });
});
