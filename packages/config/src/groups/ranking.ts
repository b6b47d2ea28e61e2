import { duration, num } from '../parsers.js';
import { group, setting } from '../setting.js';

/** score = w_rec·recency + w_imp·importance + w_rel·relevance + w_act·activation, each min-max normalised. */
export const rankingGroup = group({
  title: 'Ranking',
  settings: {
    recency: setting('ENGRAM_RANK_WEIGHT_RECENCY', '1', 'Default weight of recency', num(0, 1000)),
    importance: setting('ENGRAM_RANK_WEIGHT_IMPORTANCE', '1', 'Default weight of importance', num(0, 1000)),
    relevance: setting('ENGRAM_RANK_WEIGHT_RELEVANCE', '1', 'Default weight of relevance (BM25 and/or cosine)', num(0, 1000)),
    activation: setting('ENGRAM_RANK_WEIGHT_ACTIVATION', '0.5', 'Default weight of ACT-R activation', num(0, 1000)),
    recencyHalfLife: setting(
      'ENGRAM_RANK_RECENCY_HALF_LIFE',
      '24h',
      'Recency halves every this much time since a memory was last accessed (or occurred)',
      duration(1000, 3650 * 86_400_000),
    ),
    bm25K1: setting('ENGRAM_RANK_BM25_K1', '1.2', 'BM25 term-frequency saturation k1', num(0, 10)),
    bm25B: setting('ENGRAM_RANK_BM25_B', '0.75', 'BM25 length normalisation b', num(0, 1)),
    activationDecay: setting('ENGRAM_ACTIVATION_DECAY', '0.5', 'ACT-R base-level decay d', num(0.01, 0.99)),
  },
});
