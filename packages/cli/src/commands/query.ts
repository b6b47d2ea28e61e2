import type { Command } from 'commander';
import type { LayerName, QueryRequest, ScoredMemory__Output } from '@engram/protocol';
import type { EngramClient } from '../client.js';
import { flag, repeatable, text, withClient } from '../context.js';
import { resultsTable } from '../format.js';
import { occurredRange, parseInteger, parseLayer, parseTime, parseWeights, type RankingWeights } from '../input.js';
import { emit, queryJson } from '../json.js';

interface QueryFlags {
  subject?: string;
  limit?: number;
  layer?: LayerName[];
  kind?: string[];
  tag?: string[];
  since?: number;
  until?: number;
  weights?: RankingWeights;
  pageToken?: string;
  all?: boolean;
  maxPages: number;
  reinforce: boolean;
  allowPartial?: boolean;
}

/** The request of one page (the page token is added per page). */
export function queryRequest(text: string | undefined, f: QueryFlags): QueryRequest {
  const occurred = occurredRange(f.since, f.until);
  const request: QueryRequest = {
    subject: f.subject ?? '',
    text: text ?? '',
    layers: f.layer ?? [],
    kinds: f.kind ?? [],
    tags: f.tag ?? [],
    skipReinforce: !f.reinforce,
    allowPartial: Boolean(f.allowPartial),
  };
  if (f.limit !== undefined) request.limit = f.limit;
  if (f.weights) request.weights = f.weights;
  if (occurred) request.occurred = occurred;
  return request;
}

interface Pages {
  results: ScoredMemory__Output[];
  nextPageToken: string;
  unavailableShards: string[];
  pages: number;
}

/** One page, or with `all` every page until the last (at most maxPages). */
async function fetchPages(client: EngramClient, request: QueryRequest, firstToken: string, all: boolean, maxPages: number): Promise<Pages> {
  const out: Pages = { results: [], nextPageToken: firstToken, unavailableShards: [], pages: 0 };
  const unavailable = new Set<string>();
  do {
    const res = await client.query({ ...request, pageToken: out.nextPageToken });
    out.results.push(...res.results);
    for (const shard of res.unavailableShards) unavailable.add(shard);
    out.nextPageToken = res.nextPageToken;
    out.pages++;
  } while (all && out.nextPageToken !== '' && out.pages < maxPages);
  out.unavailableShards = [...unavailable];
  return out;
}

export function registerQuery(program: Command): void {
  program
    .command('query')
    .description("rank memories by recency, importance, relevance to the text and activation")
    .argument('[text]', 'text cue (BM25 relevance); only memories sharing a term with it are candidates')
    .option('--subject <subject>', 'the subject to search (default: every subject of the tenant)')
    .option('--limit <n>', 'page size (server default 10, at most 1000)', flag((v, f) => parseInteger(v, f, 1, 100_000), '--limit'))
    .option('--layer <layer>', 'only this layer (repeatable: any of them)', repeatable(parseLayer, '--layer'))
    .option('--kind <kind>', 'only this kind (repeatable: any of them)', repeatable(text, '--kind'))
    .option('--tag <tag>', 'only memories with this tag (repeatable: all of them)', repeatable(text, '--tag'))
    .option('--since <iso>', 'occurred at or after', flag(parseTime, '--since'))
    .option('--until <iso>', 'occurred before', flag(parseTime, '--until'))
    .option('--weights <weights>', 'ranking weights, e.g. rec=1,imp=1,rel=1,act=0.5', flag(parseWeights, '--weights'))
    .option('--page-token <token>', 'continue from the page token a previous query printed')
    .option('--all', 'follow the page tokens to the last page')
    .option('--max-pages <n>', 'most pages --all fetches', flag((v, f) => parseInteger(v, f, 1, 1_000_000), '--max-pages'), 100)
    .option('--no-reinforce', 'read without counting an access')
    .option('--allow-partial', 'tenant-wide: answer from the shards that are up, naming the others')
    .action(async (cue: string | undefined, flags: QueryFlags, command: Command) => {
      const request = queryRequest(cue, flags);
      await withClient(command, async (client, o) => {
        const pages = await fetchPages(client, request, flags.pageToken ?? '', Boolean(flags.all), flags.maxPages);
        emit(o.json, queryJson(pages), () => {
          const lines = [pages.results.length > 0 ? resultsTable(pages.results) : 'no memories found'];
          if (pages.nextPageToken) lines.push(`next page token: ${pages.nextPageToken}`);
          if (pages.unavailableShards.length > 0) lines.push(`partial answer: unavailable shards ${pages.unavailableShards.join(', ')}`);
          return lines.join('\n');
        });
      });
    });
}
