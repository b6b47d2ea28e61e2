import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './processes.js';

export const PROMETHEUS_DIR = join(ROOT, 'deploy/prometheus');
export const GRAFANA_DIR = join(ROOT, 'deploy/grafana');
export const DASHBOARDS_DIR = join(GRAFANA_DIR, 'dashboards');

/** The environment without any ENGRAM_* setting: a generator then uses every default. */
export function defaultEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ENGRAM_'))), ...extra };
}

/** Runs a generator (deploy/prometheus or deploy/grafana generate.mjs) with --stdout: the files it would write, by path under its folder. */
export function generated(script: string, env: NodeJS.ProcessEnv = defaultEnv()): Record<string, string> {
  const r = spawnSync(process.execPath, [script, '--stdout'], { cwd: ROOT, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${script} --stdout failed (${r.status ?? r.signal}; run npm run build first?):\n${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, string>;
}

// ---- a YAML subset: what deploy/*/generate.mjs writes (block maps and lists, plain or quoted scalars) ------------

type Yaml = string | Yaml[] | { [key: string]: Yaml };

function scalar(text: string): string {
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) throw new Error(`unterminated quoted scalar: ${text}`);
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text.startsWith('"')) return JSON.parse(text) as string;
  return text;
}

/**
 * Parses the block-style YAML the generators write: maps, lists ("- "), one-line scalars (plain, '...', "..."),
 * `[]` and `{}` for empty collections, and # comments. Scalars stay strings. Not a general YAML parser.
 */
export function parseYamlSubset(source: string): Yaml {
  const lines = source
    .split('\n')
    .map((raw) => ({ indent: raw.length - raw.trimStart().length, text: raw.trim() }))
    .filter((l) => l.text !== '' && !l.text.startsWith('#'));
  let i = 0;

  function value(indent: number): Yaml {
    const line = lines[i];
    if (!line || line.indent < indent) return {};
    return line.text.startsWith('- ') || line.text === '-' ? list(line.indent) : map(line.indent);
  }

  function entry(text: string, indent: number, into: Record<string, Yaml>): void {
    const colon = text.search(/:( |$)/);
    if (colon < 0) throw new Error(`expected "key: value" at "${text}"`);
    const key = text.slice(0, colon);
    const rest = text.slice(colon + 1).trim();
    if (rest === '') into[key] = value(indent + 1);
    else if (rest === '[]') into[key] = [];
    else if (rest === '{}') into[key] = {};
    else into[key] = scalar(rest);
  }

  function map(indent: number): Record<string, Yaml> {
    const out: Record<string, Yaml> = {};
    while (i < lines.length && lines[i]!.indent === indent && !lines[i]!.text.startsWith('- ')) entry(lines[i++]!.text, indent, out);
    return out;
  }

  function list(indent: number): Yaml[] {
    const out: Yaml[] = [];
    while (i < lines.length && lines[i]!.indent === indent && lines[i]!.text.startsWith('- ')) {
      const text = lines[i]!.text.slice(2);
      const itemIndent = indent + 2;
      if (/^[^'"][^:]*:( |$)/.test(text)) {
        // A map item: its first entry is on the dash line, the others follow at the dash's indent + 2.
        const item: Record<string, Yaml> = {};
        i += 1;
        entry(text, itemIndent, item);
        Object.assign(item, map(itemIndent));
        out.push(item);
      } else {
        i += 1;
        out.push(scalar(text));
      }
    }
    return out;
  }

  const root = value(0);
  if (i < lines.length) throw new Error(`cannot parse line "${lines[i]!.text}"`);
  return root;
}

// ---- alert rules ----------------------------------------------------------------------------------------------

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export function alertRules(file = join(PROMETHEUS_DIR, 'alerts.yml')): AlertRule[] {
  const doc = parseYamlSubset(readFileSync(file, 'utf8')) as unknown as { groups: { name: string; rules: AlertRule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

export interface Comparison {
  left: string;
  op: '==' | '!=' | '>' | '<' | '>=' | '<=';
  threshold: number;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Splits an alert expression of the form `<left> <op> <number>` at its top-level comparison (outside parentheses,
 * braces, brackets and strings). Throws if the expression has another form.
 */
export function splitComparison(expr: string): Comparison {
  let depth = 0;
  let quote: string | undefined;
  let last: { at: number; op: Comparison['op'] } | undefined;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (quote) {
      if (c === '\\') i += 1;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if ('({['.includes(c)) depth += 1;
    else if (')}]'.includes(c)) depth -= 1;
    else if (depth === 0 && '=!<>'.includes(c)) {
      const two = expr.slice(i, i + 2);
      if (two === '==' || two === '!=' || two === '>=' || two === '<=') {
        last = { at: i, op: two };
        i += 1;
      } else if (c === '>' || c === '<') last = { at: i, op: c };
    }
  }
  if (!last) throw new Error(`no top-level comparison in: ${expr}`);
  const left = expr.slice(0, last.at).trim();
  const right = expr.slice(last.at + last.op.length).trim();
  if (!NUMBER.test(right)) throw new Error(`the right side of the top-level comparison is not a number: ${expr}`);
  if (left === '') throw new Error(`empty left side: ${expr}`);
  return { left, op: last.op, threshold: Number(right) };
}

// ---- dashboards -----------------------------------------------------------------------------------------------

export interface GrafanaTarget {
  expr?: string;
  legendFormat?: string;
  refId: string;
}

export interface GrafanaPanel {
  id: number;
  title: string;
  type: string;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: GrafanaTarget[];
  fieldConfig?: { defaults: { unit?: string } };
}

export interface GrafanaVariable {
  name: string;
  type: string;
  allValue?: string;
  definition?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  tags: string[];
  panels: GrafanaPanel[];
  templating: { list: GrafanaVariable[] };
}

/** The committed dashboards, by file name. */
export function dashboards(dir = DASHBOARDS_DIR): { file: string; dashboard: Dashboard }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Dashboard }));
}

/** An expression with the dashboard's variables set to "All" (their allValue), so Prometheus can run it. */
export function expandVariables(expr: string, variables: GrafanaVariable[]): string {
  let out = expr;
  for (const v of variables) {
    if (v.type !== 'query') continue;
    const all = v.allValue ?? '.*';
    out = out.replaceAll(`\${${v.name}}`, all).replaceAll(`[[${v.name}]]`, all).replace(new RegExp(`\\$${v.name}\\b`, 'g'), all);
  }
  return out;
}

/**
 * Every PromQL expression Engram's observability runs: each dashboard panel's targets (variables expanded to
 * "All") and each alert rule's left-hand side (the comparison stripped). `source` names the dashboard and panel,
 * or the alert.
 */
export function allExpressions(): { source: string; expr: string }[] {
  const out: { source: string; expr: string }[] = [];
  for (const { dashboard } of dashboards()) {
    for (const panel of dashboard.panels) {
      for (const t of panel.targets ?? []) {
        if (t.expr) out.push({ source: `${dashboard.title} / ${panel.title} [${t.refId}]`, expr: expandVariables(t.expr, dashboard.templating.list) });
      }
    }
  }
  for (const rule of alertRules()) out.push({ source: `alert ${rule.alert}`, expr: splitComparison(rule.expr).left });
  return out;
}
