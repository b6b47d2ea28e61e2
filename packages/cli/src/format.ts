import {
  fromTimestamp,
  layerLabel,
  layerNumber,
  type DetectPatternsResponse__Output,
  type DreamReport__Output,
  type FeedbackResponse__Output,
  type Memory__Output,
  type MiningStats__Output,
  type Pattern__Output,
  type PatternElement__Output,
  type PredictResponse__Output,
  type ScoredMemory__Output,
} from '@engram/protocol';
import type { Timestamp__Output } from '@engram/protocol/generated/google/protobuf/Timestamp.js';
import type { ClusterStatusResponse__Output } from '@engram/protocol/generated/engram/v1/ClusterStatusResponse.js';

// Human output. Machine output (--json) is in json.ts.

/** "LAYER_LOGIC" → "logic". */
export function layerText(layer: string): string {
  return layerLabel(layerNumber(layer) ?? 0);
}

/** "NODE_ROLE_MEMORY_SHARD" → "memory-shard", "NODE_HEALTH_NOT_SERVING" → "not-serving". */
export function enumText(value: string, prefix: string): string {
  return (value.startsWith(prefix) ? value.slice(prefix.length) : value).toLowerCase().replace(/_/g, '-');
}

/** A timestamp as ISO 8601, or "-" when unset. */
export function timeText(ts: Timestamp__Output | null | undefined): string {
  const ms = fromTimestamp(ts);
  return ms === undefined ? '-' : new Date(ms).toISOString();
}

/** One line of at most `max` characters, with "…" when cut. */
export function truncate(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const chars = [...line];
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join('')}…`;
}

export function fixed(n: number, digits = 3): string {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}

/** 1536 → "1.5 KiB". */
export function bytesText(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

export type Align = 'left' | 'right';

/** A plain-text table: columns padded to their widest cell, two spaces apart. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => [...(r[c] ?? '')].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => {
        const pad = ' '.repeat(Math.max(0, widths[c]! - [...cell].length));
        return align[c] === 'right' ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Label/value lines with the values aligned. */
export function fields(entries: readonly (readonly [string, string])[]): string {
  const width = Math.max(...entries.map(([label]) => label.length)) + 1;
  return entries.map(([label, value]) => `${`${label}:`.padEnd(width)} ${value}`).join('\n');
}

const list = (items: readonly string[]) => (items.length > 0 ? items.join(', ') : '-');

/** Everything about one memory, for `engram recall`. */
export function memoryText(m: Memory__Output): string {
  const attributes = Object.entries(m.attributes).map(([k, v]) => `${k}=${v}`);
  return fields([
    ['id', m.id],
    ['subject', m.subject],
    ['content', m.content],
    ['layer', layerText(m.layer)],
    ['kind', m.kind || '-'],
    ['tags', list(m.tags)],
    ['attributes', list(attributes)],
    ['importance', fixed(m.importance)],
    ['valence', fixed(m.valence)],
    ['arousal', fixed(m.arousal)],
    ['activation', fixed(m.activation)],
    ['occurred at', timeText(m.occurredAt)],
    ['ingested at', timeText(m.ingestedAt)],
    ['last accessed', timeText(m.lastAccessedAt)],
    ['expires at', m.expiresAt ? timeText(m.expiresAt) : 'never'],
    ['access count', String(m.accessCount)],
    ['keywords', list(m.keywords)],
  ]);
}

/** Ranked query results; `firstRank` continues the numbering across pages. */
export function resultsTable(results: readonly ScoredMemory__Output[], firstRank = 1): string {
  const rows = results.map((r, i) => {
    const m = r.memory;
    return [String(firstRank + i), fixed(r.score, 4), m?.subject ?? '', m?.id ?? '', m ? layerText(m.layer) : '', truncate(m?.content ?? '', 60)];
  });
  return table(['RANK', 'SCORE', 'SUBJECT', 'ID', 'LAYER', 'CONTENT'], rows, ['right', 'right']);
}

/** The nodes of a cluster (health, then load as the nodes' metrics measure it), then its ring settings. */
export function statusText(s: ClusterStatusResponse__Output): string {
  const rows = s.nodes.map((n) => {
    const shard = n.role === 'NODE_ROLE_MEMORY_SHARD';
    const engine = n.role === 'NODE_ROLE_THOUGHT_ENGINE';
    const load = n.load;
    return [
      n.id,
      enumText(n.role, 'NODE_ROLE_'),
      enumText(n.health, 'NODE_HEALTH_'),
      n.address,
      shard ? `${(n.ringShare * 100).toFixed(1)}%` : '-',
      shard ? String(n.memories) : '-',
      shard ? bytesText(n.diskBytes) : engine ? `${n.workerThreads}t q${n.queuedTasks}` : '-',
      load ? fixed(load.requestsPerSecond, 1) : '-',
      load ? fixed(load.p99LatencyMs, 1) : '-',
      load ? fixed(load.cpuCores, 2) : '-',
      load ? bytesText(Number(load.residentBytes)) : '-',
      load ? fixed(load.eventLoopLagMs, 1) : '-',
      fixed(n.latencyMs, 1),
    ];
  });
  const shards = s.nodes.filter((n) => n.role === 'NODE_ROLE_MEMORY_SHARD');
  const serving = shards.filter((n) => n.health === 'NODE_HEALTH_SERVING').length;
  const problems = s.nodes.filter((n) => n.error).map((n) => `${n.id}: ${n.error}`);
  const metrics = s.nodes.filter((n) => n.metricsAddress).map((n) => `  ${n.id.padEnd(10)} http://${n.metricsAddress}/metrics`);
  return [
    table(
      ['ID', 'ROLE', 'HEALTH', 'ADDRESS', 'RING', 'MEMORIES', 'DISK/POOL', 'RPS', 'P99 MS', 'CPU', 'RSS', 'LAG MS', 'PING MS'],
      rows,
      ['left', 'left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
    '',
    `vnodes: ${s.vnodes}   replication factor: ${s.replicationFactor}   shards serving: ${serving}/${shards.length}`,
    ...(metrics.length > 0 ? ['metrics:', ...metrics] : []),
    ...problems,
  ].join('\n');
}

/** 0.75 → "75.0%". */
export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** A pattern's elements in order: one item as itself, an itemset in braces, e.g. "a → b → {c, d}". */
export function patternText(elements: readonly PatternElement__Output[]): string {
  return elements.map((e) => (e.items.length === 1 ? e.items[0]! : `{${e.items.join(', ')}}`)).join(' → ');
}

/** Patterns as a table: the pattern, its support (episodes and share), confidence and id (for `engram feedback`). */
export function patternsTable(patterns: readonly Pattern__Output[]): string {
  const rows = patterns.map((p) => [patternText(p.elements), String(p.support), percent(p.relativeSupport), fixed(p.confidence), p.id]);
  return table(['PATTERN', 'SUPPORT', 'SHARE', 'CONFIDENCE', 'ID'], rows, ['left', 'right', 'right', 'right']);
}

/** What a mining run read and how it ran, on one line. */
export function miningStatsText(s: MiningStats__Output): string {
  return [
    `memories: ${s.memories}`,
    `episodes: ${s.episodes}`,
    `tasks: ${s.tasks}`,
    `threads: ${s.threads}`,
    `mining ms: ${fixed(s.miningMs, 1)}`,
  ].join('   ');
}

/** `engram detect`: the patterns, the mining stats, and what was stored. */
export function detectText(res: DetectPatternsResponse__Output, dryRun: boolean): string {
  const lines = [res.patterns.length > 0 ? patternsTable(res.patterns) : 'no patterns found'];
  if (res.stats) {
    lines.push('', miningStatsText(res.stats));
    if (res.stats.patternsFound > res.patterns.length) {
      lines.push(`showing the ${res.patterns.length} of ${res.stats.patternsFound} patterns found with the highest support (--max-patterns)`);
    }
  }
  lines.push(dryRun ? 'dry run: nothing stored' : `stored ${res.stored} ${res.stored === 1 ? 'pattern' : 'patterns'}`);
  return lines.join('\n');
}

/** `engram predict`: the ranked next items, then the context they follow. */
export function predictionsText(res: PredictResponse__Output): string {
  const rows = res.predictions.map((p, i) => [String(i + 1), p.item, fixed(p.probability, 4), p.predictionId]);
  const context = res.context.length > 0 ? res.context.join(' → ') : '(empty)';
  return [
    res.predictions.length > 0
      ? table(['RANK', 'ITEM', 'PROBABILITY', 'PREDICTION ID'], rows, ['right', 'left', 'right'])
      : res.patterns === 0
        ? 'no predictions: the subject has no stored patterns (run engram detect first)'
        : 'no predictions: no stored pattern continues this context',
    '',
    `context: ${context}   patterns: ${res.patterns}`,
  ].join('\n');
}

/** `engram feedback`: the target's new weight and the step the update took. */
export function feedbackText(res: FeedbackResponse__Output): string {
  return fields([
    ['weight', fixed(res.weight, 4)],
    ['learning rate', fixed(res.learningRate, 4)],
    ['updates', String(res.updates)],
    ['weights updated', String(res.weightsUpdated)],
  ]);
}

/** `engram dream`: the report, one aligned line per figure. */
export function dreamText(r: DreamReport__Output, dryRun: boolean): string {
  const text = fields([
    ['subjects', String(r.subjects)],
    ['skipped', String(r.skipped)],
    ['replayed', String(r.replayed)],
    ['new memories', String(r.newMemories)],
    ['mined incrementally', String(r.minedIncrementally)],
    ['mined fully', String(r.minedFully)],
    ['patterns found', String(r.patternsFound)],
    ['patterns new', String(r.patternsNew)],
    ['patterns strengthened', String(r.patternsStrengthened)],
    ['weights updated', String(r.weightsUpdated)],
    ['insights written', String(r.insightsWritten)],
    ['promoted', String(r.promoted)],
    ['expired', String(r.expired)],
    ['insight ids', list(r.insightIds)],
    ['promoted ids', list(r.promotedIds)],
    ['failed subjects', list(r.failedSubjects)],
    ['duration ms', fixed(r.durationMs, 1)],
  ]);
  return dryRun ? `dry run: nothing written\n${text}` : text;
}
