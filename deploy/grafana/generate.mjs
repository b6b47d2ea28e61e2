#!/usr/bin/env node
// Generates Engram's Grafana dashboards (Grafana 10+, schemaVersion 39) and their provisioning files:
//   dashboards/engram-{overview,gateway,shards,engines}.json
//   provisioning/datasources/prometheus.yml   the Prometheus data source (uid "prometheus")
//   provisioning/dashboards/engram.yml        a file provider for the dashboards folder
// Every query uses metric names from METRICS (@engram/telemetry); the overview's alert panels chart each alert
// rule's left-hand side against its threshold (the ENGRAM_ALERT_* settings, as for deploy/prometheus/alerts.yml).
//
//   npm run build && npm run gen:dashboards             write the files
//   node deploy/grafana/generate.mjs --check            exit 1 if a file differs from what would be written
//   node deploy/grafana/generate.mjs --stdout           print {"<file>": "<content>"} as JSON, write nothing
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METRICS } from '@engram/telemetry';
import { alertRules, alertSettings, JOBS, main, promDuration, yaml } from '../prometheus/generate.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The data source: a variable whose default is the provisioned data source's uid. */
export const DATASOURCE_UID = 'prometheus';
const DS = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };
/** Where the provisioning expects the dashboards folder (mounted there: see deploy/README.md). */
export const DASHBOARDS_PATH = '/var/lib/grafana/dashboards/engram';
/** Rate windows: short, so panels show data within a minute of load (Prometheus scrapes every 5s). */
const W = '1m';

// ---- PromQL helpers -------------------------------------------------------------------------------------------

const sel = (metric, filter, extra = '') => {
  const matchers = [filter, extra].filter(Boolean).join(', ');
  return matchers ? `${metric}{${matchers}}` : metric;
};
const rate = (metric, filter, extra) => `rate(${sel(metric, filter, extra)}[${W}])`;
const sumRate = (by, metric, filter, extra) => `sum${by ? ` by (${by}) ` : ''}(${rate(metric, filter, extra)})`;
const quantile = (q, histogram, by, filter) => `histogram_quantile(${q}, sum by (${by ? `${by}, ` : ''}le) (${rate(`${histogram}_bucket`, filter)}))`;
/** Share of calls that did not end OK; 0 where every call did (so the panel always has a value). */
const nonOk = (by, count, filter) => `(${sumRate(by, count, filter, 'grpc_code!="OK"')} or ${sumRate(by, count, filter)} * 0) / ${sumRate(by, count, filter)}`;

const SERVER = METRICS.rpcServerDuration;
const SERVER_COUNT = `${SERVER}_count`;
const CLIENT = METRICS.rpcClientDuration;

// ---- panels ---------------------------------------------------------------------------------------------------

/** A time series panel: targets are [expr, legend] pairs. */
const ts = (title, unit, targets, o = {}) => ({ kind: 'timeseries', title, unit, targets, width: 12, height: 8, ...o });
const stat = (title, unit, expr, o = {}) => ({ kind: 'stat', title, unit, targets: [[expr, o.legend ?? '']], width: 6, height: 4, ...o });
const row = (title, panels) => ({ title, panels });

/** Load of every node of a job (or all jobs): CPU, memory, event-loop lag, in-flight calls. */
function processPanels(filter, legend, width) {
  return [
    ts('CPU (cores)', 'short', [[rate(METRICS.cpu, filter), legend]], { width }),
    ts('Memory', 'bytes', [
      [sel(METRICS.residentMemory, filter), `${legend} resident`],
      [sel(METRICS.heapUsed, filter), `${legend} heap`],
    ], { width }),
    ts('Event-loop lag (p99)', 's', [[sel(METRICS.eventLoopLag, filter), legend]], { width }),
    ts('In-flight RPCs', 'short', [[sel(METRICS.inFlight, filter), legend]], { width }),
  ];
}

/** RPCs a node kind serves: rate by method and code, p99 and mean latency by method, non-OK share. */
function rpcPanels(filter) {
  return [
    ts('RPC rate by method and code', 'reqps', [[sumRate('rpc_method, grpc_code', SERVER_COUNT, filter), '{{rpc_method}} {{grpc_code}}']]),
    ts('RPC p99 latency by method', 's', [[quantile(0.99, SERVER, 'rpc_method', filter), '{{rpc_method}}']]),
    ts('RPC mean latency by method', 's', [[`${sumRate('rpc_method', `${SERVER}_sum`, filter)} / ${sumRate('rpc_method', SERVER_COUNT, filter)}`, '{{rpc_method}}']]),
    ts('RPC non-OK share by method', 'percentunit', [[nonOk('rpc_method', SERVER_COUNT, filter), '{{rpc_method}}']]),
  ];
}

function overview(rules) {
  const gw = `job="${JOBS.gateway}"`;
  return {
    uid: 'engram-overview',
    title: 'Engram / Overview',
    description: 'The seed\'s picture: metrics (what the cluster does), analysis (where the load and latency are), alerts (what crosses a threshold).',
    instanceVariable: undefined,
    rows: [
      row('Metrics', [
        stat('Requests/s (gateway)', 'reqps', sumRate('', SERVER_COUNT, gw), { width: 4 }),
        stat('p99 latency (gateway)', 's', quantile(0.99, SERVER, '', gw), { width: 4 }),
        stat('Non-OK share (gateway)', 'percentunit', nonOk('', SERVER_COUNT, gw), { width: 4 }),
        stat('Nodes up', 'short', 'sum(up{job=~"engram-.*"})', { width: 4 }),
        stat('Memories', 'short', `sum(${METRICS.memories})`, { width: 4 }),
        stat('Subjects', 'short', `sum(${METRICS.subjects})`, { width: 4 }),
        ts('Request rate by service', 'reqps', [[sumRate('job, rpc_service', SERVER_COUNT, ''), '{{job}} {{rpc_service}}']]),
        ts('p99 latency by service', 's', [[quantile(0.99, SERVER, 'job, rpc_service', ''), '{{job}} {{rpc_service}}']]),
        ts('Non-OK share by node kind', 'percentunit', [[nonOk('job', SERVER_COUNT, ''), '{{job}}']]),
        ts('RPC bytes by direction', 'Bps', [[sumRate('job, direction', METRICS.rpcServerBytes, ''), '{{job}} {{direction}}']]),
      ]),
      row('Analysis', [
        {
          kind: 'heatmap',
          title: 'Gateway latency distribution',
          unit: 's',
          targets: [[`sum by (le) (increase(${sel(`${SERVER}_bucket`, gw)}[${W}]))`, '{{le}}']],
          width: 12,
          height: 8,
        },
        ts('Gateway latency percentiles', 's', [0.5, 0.9, 0.99].map((q) => [quantile(q, SERVER, '', gw), `p${q * 100}`])),
        ts('Requests/s per node', 'reqps', [[sumRate('job, instance', SERVER_COUNT, ''), '{{instance}}']], { width: 8 }),
        ts('Storage batch p99 per shard', 's', [[quantile(0.99, METRICS.storageBatchDuration, 'instance', ''), '{{instance}}']], { width: 8 }),
        ts('Disk I/O per node', 'Bps', [
          [rate(METRICS.diskRead, ''), '{{instance}} read'],
          [rate(METRICS.diskWritten, ''), '{{instance}} written'],
        ], { width: 8 }),
        ...processPanels('', '{{instance}}', 6),
      ]),
      row('Alerts', [
        {
          kind: 'alertlist',
          title: 'Engram alerts (firing and pending)',
          description: 'The rules of deploy/prometheus/alerts.yml, from the Prometheus data source (alerting must list its rules).',
          width: 24,
          height: 6,
        },
        ...rules.map((r) =>
          stat(r.alert, r.unit, r.left, {
            description: `${r.meaning}. The alert fires when this is ${r.op} ${r.threshold} for ${promDuration(r.forMs)} (red: where it fires).`,
            legend: '{{instance}}',
            steps: r.steps ?? [['green', null], ['red', r.threshold === 0 ? 1 : r.threshold]],
            colorMode: 'background',
          }),
        ),
      ]),
    ],
  };
}

function gateway() {
  const f = `job="${JOBS.gateway}", instance=~"$instance"`;
  return {
    uid: 'engram-gateway',
    title: 'Engram / Gateway',
    description: 'The public API: RPCs by method and code, the calls the gateway makes to shards and engines, its ring.',
    instanceVariable: JOBS.gateway,
    rows: [
      row('RPCs', [
        stat('Requests/s', 'reqps', sumRate('', SERVER_COUNT, f)),
        stat('p99 latency', 's', quantile(0.99, SERVER, '', f)),
        stat('Non-OK share', 'percentunit', nonOk('', SERVER_COUNT, f)),
        stat('In-flight RPCs', 'short', `sum(${sel(METRICS.inFlight, f)})`),
        ...rpcPanels(f),
        ts('RPC bytes by method and direction', 'Bps', [[sumRate('rpc_method, direction', METRICS.rpcServerBytes, f), '{{rpc_method}} {{direction}}']], { width: 24 }),
      ]),
      row('Calls to shards and engines', [
        ts('Client p99 latency by peer', 's', [[quantile(0.99, CLIENT, 'peer', f), '{{peer}}']]),
        ts('Client calls by peer and code', 'reqps', [[sumRate('peer, grpc_code', `${CLIENT}_count`, f), '{{peer}} {{grpc_code}}']]),
        ts('Client p99 latency by method', 's', [[quantile(0.99, CLIENT, 'rpc_method', f), '{{rpc_method}}']]),
        ts('Client non-OK share by peer', 'percentunit', [[nonOk('peer', `${CLIENT}_count`, f), '{{peer}}']]),
      ]),
      row('Ring and process', [
        ts('Ring share by shard', 'percentunit', [[sel(METRICS.ringShare, f), '{{instance}}: {{member}}']]),
        ts('Ring members', 'short', [[sel(METRICS.ringMembers, f), '{{instance}}']]),
        ...processPanels(f, '{{instance}}', 6),
      ]),
    ],
  };
}

function shards() {
  const f = `job="${JOBS.shard}", instance=~"$instance"`;
  const hitRatio = (by) => `${sumRate(by, METRICS.cacheRequests, f, 'result="hit"')} / ${sumRate(by, METRICS.cacheRequests, f)}`;
  const writes = METRICS.storageBatchWrites;
  return {
    uid: 'engram-shards',
    title: 'Engram / Shards',
    description: 'Memory shards: group-commit batches, LevelDB on disk, the record cache, memories by layer, retention.',
    instanceVariable: JOBS.shard,
    rows: [
      row('Storage', [
        stat('Memories', 'short', `sum(${sel(METRICS.memories, f)})`),
        stat('Subjects', 'short', `sum(${sel(METRICS.subjects, f)})`),
        stat('Disk', 'bytes', `sum(${sel(METRICS.storageDiskBytes, f)})`),
        stat('Cache hit ratio', 'percentunit', hitRatio('')),
        ts('Storage batch latency p99', 's', [[quantile(0.99, METRICS.storageBatchDuration, 'instance', f), '{{instance}}']]),
        ts('Writes per batch', 'short', [
          [quantile(0.5, writes, '', f), 'p50'],
          [quantile(0.99, writes, '', f), 'p99'],
          [`${sumRate('', `${writes}_sum`, f)} / ${sumRate('', `${writes}_count`, f)}`, 'mean'],
        ]),
        ts('Batches per second', 'ops', [[sumRate('instance', `${METRICS.storageBatchDuration}_count`, f), '{{instance}}']]),
        ts('Batch bytes written', 'Bps', [[sumRate('instance', METRICS.storageBatchBytes, f), '{{instance}}']]),
        ts('Pending writes', 'short', [[sel(METRICS.storagePendingWrites, f), '{{instance}}']]),
        ts('Write admission (memories) and busy refusals per second', 'short', [
          [`sum by (instance, state) (${sel(METRICS.writeAdmission, f)})`, '{{instance}} {{state}}'],
          [sumRate('instance', METRICS.writeRefused, f), '{{instance}} refused/s'],
        ]),
        ts('Store size on disk', 'bytes', [[sel(METRICS.storageDiskBytes, f), '{{instance}}']]),
        ts('Postings in memory and segment flushes per minute', 'short', [
          [sel(METRICS.storagePostingsBuffered, f), '{{instance}} buffered'],
          [`increase(${sel(METRICS.storagePostingFlushes, f)}[${W}])`, '{{instance}} flushes'],
        ]),
        ts('Compactions and expiries per minute', 'short', [
          [`increase(${sel(METRICS.storageCompactions, f)}[${W}])`, '{{instance}} compactions'],
          [`increase(${sel(METRICS.storageExpired, f)}[${W}])`, '{{instance}} expired'],
        ]),
        ts('Disk I/O', 'Bps', [
          [rate(METRICS.diskRead, f), '{{instance}} read'],
          [rate(METRICS.diskWritten, f), '{{instance}} written'],
        ]),
      ]),
      row('Cache and memories', [
        ts('Cache hit ratio', 'percentunit', [[hitRatio('instance'), '{{instance}}']], { width: 8 }),
        ts('Cache lookups by result', 'ops', [[sumRate('instance, result', METRICS.cacheRequests, f), '{{instance}} {{result}}']], { width: 8 }),
        ts('Cache size', 'bytes', [[sel(METRICS.cacheBytes, f), '{{instance}}']], { width: 8 }),
        ts('Memory by kind', 'bytes', [
          [sel(METRICS.residentAnon, f), '{{instance}} resident anon'],
          [sel(METRICS.residentFile, f), '{{instance}} resident file'],
          [sel(METRICS.heapTotal, f), '{{instance}} V8 heap reserved'],
          [sel(METRICS.heapUsed, f), '{{instance}} V8 heap used'],
          [sel(METRICS.externalMemory, f), '{{instance}} external'],
          [sel(METRICS.cacheBytes, f), '{{instance}} record cache'],
        ], { width: 24 }),
        ts('Memories by layer', 'short', [[`sum by (layer) (${sel(METRICS.memories, f)})`, '{{layer}}']], { stack: true }),
        ts('Subjects by shard', 'short', [[sel(METRICS.subjects, f), '{{instance}}']]),
      ]),
      row('RPCs and process', [...rpcPanels(f), ...processPanels(f, '{{instance}}', 6)]),
    ],
  };
}

function engines() {
  const f = `job="${JOBS.engine}", instance=~"$instance"`;
  return {
    uid: 'engram-engines',
    title: 'Engram / Engines',
    description: 'Thought engines: the mining worker pool, mining by strategy, dreams, and their calls to shards.',
    instanceVariable: JOBS.engine,
    rows: [
      row('Worker pool', [
        stat('Worker threads', 'short', `sum(${sel(METRICS.workerThreads, f)})`),
        stat('Queued tasks', 'short', `sum(${sel(METRICS.workerQueueDepth, f)})`),
        stat('Running tasks', 'short', `sum(${sel(METRICS.workerRunning, f)})`),
        stat('Utilization', 'percentunit', `avg(${sel(METRICS.workerUtilization, f)})`),
        ts('Threads, running and queued tasks', 'short', [
          [sel(METRICS.workerThreads, f), '{{instance}} threads'],
          [sel(METRICS.workerRunning, f), '{{instance}} running'],
          [sel(METRICS.workerQueueDepth, f), '{{instance}} queued'],
        ]),
        ts('Worker utilization', 'percentunit', [[sel(METRICS.workerUtilization, f), '{{instance}}']]),
        ts('Task wait p99 by kind', 's', [[quantile(0.99, METRICS.workerWait, 'kind', f), '{{kind}}']]),
        ts('Task run p99 by kind', 's', [[quantile(0.99, METRICS.workerRun, 'kind', f), '{{kind}}']]),
      ]),
      row('Mining and dreams', [
        ts('Mining p99 by strategy', 's', [[quantile(0.99, METRICS.miningDuration, 'strategy', f), '{{strategy}}']]),
        ts('Mining requests by strategy and outcome', 'reqps', [[sumRate('strategy, outcome', `${METRICS.miningDuration}_count`, f), '{{strategy}} {{outcome}}']]),
        ts('Dreams per minute by trigger and outcome', 'short', [[`sum by (trigger, outcome) (increase(${sel(METRICS.dreams, f)}[${W}]))`, '{{trigger}} {{outcome}}']]),
        ts('Ring share by shard', 'percentunit', [[sel(METRICS.ringShare, f), '{{instance}}: {{member}}']]),
      ]),
      row('RPCs and process', [
        ...rpcPanels(f),
        ts('Client p99 latency to shards by peer', 's', [[quantile(0.99, CLIENT, 'peer', f), '{{peer}}']]),
        ts('Client calls by peer and code', 'reqps', [[sumRate('peer, grpc_code', `${CLIENT}_count`, f), '{{peer}} {{grpc_code}}']]),
        ...processPanels(f, '{{instance}}', 6),
      ]),
    ],
  };
}

// ---- Grafana JSON ---------------------------------------------------------------------------------------------

/** Objects with sorted keys (Grafana's own export order), so the output does not depend on how it was built. */
function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

function targetsOf(p) {
  return p.targets.map(([expr, legend], i) => ({
    datasource: DS,
    editorMode: 'code',
    expr,
    ...(p.kind === 'heatmap' ? { format: 'heatmap' } : {}),
    legendFormat: legend || '__auto',
    range: true,
    refId: String.fromCharCode(65 + i),
  }));
}

function panelJson(p, id, gridPos) {
  const base = { id, title: p.title, type: p.kind, gridPos, ...(p.description ? { description: p.description } : {}) };
  switch (p.kind) {
    case 'timeseries':
      return {
        ...base,
        datasource: DS,
        targets: targetsOf(p),
        fieldConfig: {
          defaults: {
            color: { mode: 'palette-classic' },
            custom: {
              drawStyle: 'line',
              fillOpacity: p.stack ? 30 : 10,
              lineWidth: 1,
              showPoints: 'never',
              spanNulls: false,
              stacking: { group: 'A', mode: p.stack ? 'normal' : 'none' },
            },
            min: 0,
            unit: p.unit,
          },
          overrides: [],
        },
        options: { legend: { calcs: [], displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
      };
    case 'stat':
      return {
        ...base,
        datasource: DS,
        targets: targetsOf(p),
        fieldConfig: {
          defaults: {
            color: { mode: 'thresholds' },
            mappings: [],
            thresholds: { mode: 'absolute', steps: (p.steps ?? [['green', null]]).map(([color, value]) => ({ color, value })) },
            unit: p.unit,
          },
          overrides: [],
        },
        options: {
          colorMode: p.colorMode ?? 'value',
          graphMode: 'area',
          justifyMode: 'auto',
          orientation: 'auto',
          reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
          textMode: 'auto',
        },
      };
    case 'heatmap':
      return {
        ...base,
        datasource: DS,
        targets: targetsOf(p),
        fieldConfig: { defaults: { custom: { hideFrom: { legend: false, tooltip: false, viz: false }, scaleDistribution: { type: 'linear' } } }, overrides: [] },
        options: {
          calculate: false,
          cellGap: 1,
          color: { exponent: 0.5, fill: 'dark-orange', mode: 'scheme', reverse: false, scale: 'exponential', scheme: 'Oranges', steps: 64 },
          exemplars: { color: 'rgba(255,0,255,0.7)' },
          filterValues: { le: 1e-9 },
          legend: { show: true },
          rowsFrame: { layout: 'auto' },
          tooltip: { mode: 'single', showColorScale: false, yHistogram: false },
          yAxis: { axisPlacement: 'left', reverse: false, unit: p.unit },
        },
      };
    case 'alertlist':
      return {
        ...base,
        options: {
          alertInstanceLabelFilter: '',
          alertName: 'Engram',
          dashboardAlerts: false,
          groupBy: [],
          groupMode: 'default',
          maxItems: 20,
          sortOrder: 1,
          stateFilter: { error: true, firing: true, noData: false, normal: false, pending: true },
          viewMode: 'list',
        },
      };
    default:
      throw new Error(`unknown panel kind ${p.kind}`);
  }
}

/** Rows and their panels, placed left to right on Grafana's 24-column grid. */
function layout(rows) {
  const panels = [];
  let id = 0;
  let y = 0;
  for (const r of rows) {
    panels.push({ collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, id: ++id, panels: [], title: r.title, type: 'row' });
    y += 1;
    let x = 0;
    let lineHeight = 0;
    for (const p of r.panels) {
      if (x + p.width > 24) {
        y += lineHeight;
        x = 0;
        lineHeight = 0;
      }
      panels.push(panelJson(p, ++id, { h: p.height, w: p.width, x, y }));
      x += p.width;
      lineHeight = Math.max(lineHeight, p.height);
    }
    y += lineHeight;
  }
  return panels;
}

function templating(instanceJob) {
  const list = [
    {
      current: { selected: false, text: 'Prometheus', value: DATASOURCE_UID },
      hide: 0,
      includeAll: false,
      label: 'Data source',
      multi: false,
      name: 'DS_PROMETHEUS',
      options: [],
      query: 'prometheus',
      refresh: 1,
      regex: '',
      skipUrlSync: false,
      type: 'datasource',
    },
  ];
  if (instanceJob) {
    const query = `label_values(${METRICS.inFlight}{job="${instanceJob}"}, instance)`;
    list.push({
      allValue: '.*',
      current: { selected: true, text: ['All'], value: ['$__all'] },
      datasource: DS,
      definition: query,
      hide: 0,
      includeAll: true,
      label: 'Instance',
      multi: true,
      name: 'instance',
      options: [],
      query: { qryType: 1, query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
      refresh: 2,
      regex: '',
      skipUrlSync: false,
      sort: 1,
      type: 'query',
    });
  }
  return { list };
}

function dashboardJson(d) {
  return sortKeys({
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    description: d.description,
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: [{ asDropdown: true, icon: 'external link', includeVars: false, keepTime: true, tags: ['engram'], targetBlank: false, title: 'Engram', type: 'dashboards' }],
    panels: layout(d.rows),
    refresh: '30s',
    schemaVersion: 39,
    tags: ['engram'],
    templating: templating(d.instanceVariable),
    time: { from: 'now-1h', to: 'now' },
    timepicker: {},
    timezone: '',
    title: d.title,
    uid: d.uid,
    version: 1,
    weekStart: '',
  });
}

/** Every file this script writes, by path under deploy/grafana; alert thresholds from env. */
export function render(env = process.env) {
  const rules = alertRules(alertSettings(env));
  const files = {};
  for (const d of [overview(rules), gateway(), shards(), engines()]) files[`dashboards/${d.uid}.json`] = `${JSON.stringify(dashboardJson(d), null, 2)}\n`;
  const header = ['Generated by `npm run gen:dashboards` (deploy/grafana/generate.mjs); see deploy/README.md.'];
  files['provisioning/datasources/prometheus.yml'] = yaml(header, {
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        type: 'prometheus',
        uid: DATASOURCE_UID,
        access: 'proxy',
        url: 'http://prometheus:9090',
        isDefault: true,
        editable: false,
        // The scrape interval of deploy/prometheus/prometheus.yml; manageAlerts lists the rules in Grafana's alerting.
        jsonData: { timeInterval: '5s', manageAlerts: true },
      },
    ],
  });
  files['provisioning/dashboards/engram.yml'] = yaml(header, {
    apiVersion: 1,
    providers: [
      {
        name: 'engram',
        orgId: 1,
        folder: 'Engram',
        type: 'file',
        disableDeletion: false,
        allowUiUpdates: false,
        updateIntervalSeconds: 30,
        options: { path: DASHBOARDS_PATH, foldersFromFilesStructure: false },
      },
    ],
  });
  return files;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2), render(), HERE);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 2;
  }
}
