import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRICS } from '@engram/telemetry';
import { ROOT } from './harness/processes.js';
import {
  alertRules,
  allExpressions,
  dashboards,
  expandVariables,
  generated,
  GRAFANA_DIR,
  parseYamlSubset,
  splitComparison,
  type GrafanaPanel,
} from './harness/promql.js';

const GENERATOR = join(GRAFANA_DIR, 'generate.mjs');
const WITHOUT_QUERIES = new Set(['row', 'alertlist']);
const FILES = ['engram-engines.json', 'engram-gateway.json', 'engram-overview.json', 'engram-shards.json'];

/** Names a query may use: METRICS names, the series of their histograms (and counters' own), and `up`. */
const KNOWN = new Set(Object.values(METRICS).flatMap((m) => [m, `${m}_bucket`, `${m}_sum`, `${m}_count`]));

const yamlFile = (path: string) => parseYamlSubset(readFileSync(join(GRAFANA_DIR, path), 'utf8')) as unknown as Record<string, any>;

describe('Grafana dashboards', () => {
  it('are what the generator writes with the default settings (dashboards and provisioning)', () => {
    const files = generated(GENERATOR);
    expect(Object.keys(files).sort()).toEqual([
      ...FILES.map((f) => `dashboards/${f}`),
      'provisioning/dashboards/engram.yml',
      'provisioning/datasources/prometheus.yml',
    ]);
    for (const [path, text] of Object.entries(files)) {
      expect(readFileSync(join(GRAFANA_DIR, path), 'utf8'), `deploy/grafana/${path} is stale: run npm run gen:dashboards`).toBe(text);
    }
  });

  it('are Grafana 10+ dashboards with unique uids, the engram tag and a data source variable', () => {
    const all = dashboards();
    expect(all.map((d) => d.file)).toEqual(FILES);
    expect(new Set(all.map((d) => d.dashboard.uid)).size).toBe(all.length);
    const datasource = yamlFile('provisioning/datasources/prometheus.yml').datasources[0];
    for (const { file, dashboard } of all) {
      expect(dashboard.uid, file).toBe(file.replace(/\.json$/, ''));
      expect(dashboard.schemaVersion, file).toBe(39);
      expect(dashboard.tags, file).toContain('engram');
      const ds = dashboard.templating.list.find((v) => v.type === 'datasource') as { name: string; current: { value: string } } | undefined;
      expect(ds?.name, file).toBe('DS_PROMETHEUS');
      // Its default is the provisioned data source, so provisioned dashboards work as they are.
      expect(ds?.current.value, file).toBe(datasource.uid);
    }
  });

  it('give every panel a query (an expr), a unit and a place on the 24-column grid without overlaps', () => {
    for (const { file, dashboard } of dashboards()) {
      const placed: GrafanaPanel[] = [];
      for (const p of dashboard.panels) {
        const where = `${file}: ${p.title}`;
        expect(p.gridPos.x + p.gridPos.w, where).toBeLessThanOrEqual(24);
        for (const q of placed) {
          const overlap = p.gridPos.x < q.gridPos.x + q.gridPos.w && q.gridPos.x < p.gridPos.x + p.gridPos.w && p.gridPos.y < q.gridPos.y + q.gridPos.h && q.gridPos.y < p.gridPos.y + p.gridPos.h;
          expect(overlap, `${where} overlaps ${q.title}`).toBe(false);
        }
        placed.push(p);
        if (WITHOUT_QUERIES.has(p.type)) continue;
        expect(p.targets?.some((t) => typeof t.expr === 'string' && t.expr.length > 0), where).toBe(true);
        const unit = p.type === 'heatmap' ? (p as unknown as { options: { yAxis: { unit: string } } }).options.yAxis.unit : p.fieldConfig?.defaults.unit;
        expect(unit, where).toBeTruthy();
        for (const t of p.targets ?? []) expect((t as unknown as { datasource: { uid: string } }).datasource.uid, where).toBe('${DS_PROMETHEUS}');
      }
      expect(new Set(dashboard.panels.map((p) => p.id)).size, file).toBe(dashboard.panels.length);
    }
  });

  it('query only metric names from METRICS (with their _bucket, _sum and _count series)', () => {
    for (const { file, dashboard } of dashboards()) {
      const queries = [
        ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `${file}: ${p.title}`, expr: t.expr ?? '' }))),
        ...dashboard.templating.list.map((v) => ({ where: `${file}: variable ${v.name}`, expr: v.definition ?? '' })),
      ];
      for (const { where, expr } of queries) {
        for (const name of expr.match(/engram_[a-z0-9_]+/g) ?? []) expect(KNOWN, `${where}: ${name}`).toContain(name);
      }
    }
  });

  it('follow metrics → analysis → alerts on the overview, with a stat per alert rule against its threshold', () => {
    const overview = dashboards().find((d) => d.dashboard.uid === 'engram-overview')!.dashboard;
    expect(overview.panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual(['Metrics', 'Analysis', 'Alerts']);
    expect(overview.panels.some((p) => p.type === 'alertlist')).toBe(true);
    expect(overview.panels.some((p) => p.type === 'heatmap')).toBe(true);
    for (const rule of alertRules()) {
      const { left, threshold } = splitComparison(rule.expr);
      const panel = overview.panels.find((p) => p.title === rule.alert) as (GrafanaPanel & { fieldConfig: { defaults: { thresholds: { steps: { value: number | null }[] } } } }) | undefined;
      expect(panel?.type, rule.alert).toBe('stat');
      expect(panel!.targets![0]!.expr, rule.alert).toBe(left);
      const steps = panel!.fieldConfig.defaults.thresholds.steps.map((s) => s.value);
      // The color changes at the threshold (at 1 for a threshold of 0: queue depth and `up` are whole numbers).
      expect(steps, rule.alert).toEqual([null, threshold === 0 ? 1 : threshold]);
    }
  });

  it('are provisioned from the folder deploy/README.md mounts, with the Prometheus data source', () => {
    const provider = yamlFile('provisioning/dashboards/engram.yml').providers[0];
    expect(provider.type).toBe('file');
    const readme = readFileSync(join(ROOT, 'deploy/README.md'), 'utf8');
    expect(readme).toContain(`deploy/grafana/dashboards:${provider.options.path}`);
    expect(readme).toContain('deploy/grafana/provisioning:/etc/grafana/provisioning');
    const datasource = yamlFile('provisioning/datasources/prometheus.yml').datasources[0];
    expect(datasource).toMatchObject({ type: 'prometheus', uid: 'prometheus', url: 'http://prometheus:9090' });
  });
});

describe('allExpressions (for the live Prometheus test)', () => {
  it('lists every panel query, runnable (variables set to All), and every alert rule without its comparison', () => {
    const expressions = allExpressions();
    const targets = dashboards().flatMap(({ dashboard }) => dashboard.panels.flatMap((p) => p.targets ?? []));
    const rules = alertRules();
    expect(expressions).toHaveLength(targets.length + rules.length);
    for (const { source, expr } of expressions) {
      expect(expr, source).not.toMatch(/\$|\[\[/);
      expect(source.length, expr).toBeGreaterThan(0);
    }
    for (const r of rules) expect(expressions).toContainEqual({ source: `alert ${r.alert}`, expr: splitComparison(r.expr).left });
  });

  it('expands dashboard variables to their "All" value', () => {
    const vars = [{ name: 'instance', type: 'query', allValue: '.*' }, { name: 'DS_PROMETHEUS', type: 'datasource' }];
    expect(expandVariables('up{instance=~"$instance"} + up{instance=~"${instance}"}', vars)).toBe('up{instance=~".*"} + up{instance=~".*"}');
    expect(expandVariables('up{job="$instances"}', vars)).toBe('up{job="$instances"}');
  });

  it('strips the top-level comparison of an alert expression', () => {
    expect(splitComparison('up{job=~"engram-.*"} == 0')).toEqual({ left: 'up{job=~"engram-.*"}', op: '==', threshold: 0 });
    expect(splitComparison('histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m]))) > 0.25')).toEqual({
      left: 'histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))',
      op: '>',
      threshold: 0.25,
    });
    expect(splitComparison('rate(a[5m]) + rate(b[5m]) >= 1e6')).toEqual({ left: 'rate(a[5m]) + rate(b[5m])', op: '>=', threshold: 1e6 });
    // Comparisons inside parentheses, selectors and strings are not the top-level one.
    expect(splitComparison('(a > 1) or b{x=">2", y!="<"} != -3')).toEqual({ left: '(a > 1) or b{x=">2", y!="<"}', op: '!=', threshold: -3 });
    expect(splitComparison('x <= .5')).toEqual({ left: 'x', op: '<=', threshold: 0.5 });
    expect(() => splitComparison('(a > 1)')).toThrow(/no top-level comparison/);
    expect(() => splitComparison('a > b')).toThrow(/not a number/);
    expect(() => splitComparison('a > 1 and b')).toThrow(/not a number/);
    expect(() => splitComparison('> 1')).toThrow(/empty left side/);
  });

  it('reads the YAML the generators write', () => {
    const doc = parseYamlSubset(
      ['# a comment', 'a: 1', 'b:', '  - x', "  - 'y: ''quoted'''", 'c:', '  - name: n', '    list: []', '    map:', '      k: "v\\"w"', 'd: {}', ''].join('\n'),
    );
    expect(doc).toEqual({ a: '1', b: ['x', "y: 'quoted'"], c: [{ name: 'n', list: [], map: { k: 'v"w' } }], d: {} });
  });
});
