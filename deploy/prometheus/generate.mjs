#!/usr/bin/env node
// Generates Engram's Prometheus files from the settings and the metric names in METRICS (@engram/telemetry):
//   alerts.yml       the alert rules; thresholds are the ENGRAM_ALERT_* settings (the seed's PerformanceAlerts)
//   alerts.test.yml  promtool unit tests that make every rule fire and then resolve at those thresholds
//   prometheus.yml   an example scrape config for `npm start` (ports: the ENGRAM_LOCAL_* settings)
//
//   npm run build && npm run gen:alerts                  write the files (settings from the environment)
//   node deploy/prometheus/generate.mjs --check          exit 1 if a file differs from what would be written
//   node deploy/prometheus/generate.mjs --stdout         print {"<file>": "<content>"} as JSON, write nothing
//
// deploy/grafana/generate.mjs imports alertRules() for the dashboards' alert panels.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alertGroups, loadConfig, localGroups } from '@engram/config';
import { METRICS } from '@engram/telemetry';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Prometheus job names the rules, the dashboards and the example config assume. */
export const JOBS = { gateway: 'engram-gateway', shard: 'engram-shard', engine: 'engram-engine' };
/** Status codes that mean the server failed (not the caller's mistake, like NOT_FOUND or INVALID_ARGUMENT). */
export const SERVER_ERROR_CODES = ['UNKNOWN', 'INTERNAL', 'UNAVAILABLE', 'DEADLINE_EXCEEDED'];
const ERROR_RATIO = 0.05;
const NODE_DOWN_FOR_MS = 60_000;

// ---- number and duration formats ------------------------------------------------------------------------------

/** A number as PromQL and YAML read it back exactly (JavaScript's shortest round-trip form). */
const num = (n) => String(n);

/** Milliseconds as a Prometheus duration: 5m, 1m30s, 250ms, 0s. */
export function promDuration(ms) {
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]]) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** Bytes for people: 2GiB, 100MiB, 1536B. */
function bytesText(b) {
  for (const [unit, size] of [['TiB', 1024 ** 4], ['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]]) {
    if (b >= size && b % size === 0) return `${b / size}${unit}`;
  }
  return `${b}B`;
}

/** Go's fmt "%.4g", which Prometheus' humanize template functions use. */
function goG4(v) {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const trim = (s) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  const [mantissa, e] = v.toExponential(3).split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 4) return `${trim(mantissa)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return trim(v.toFixed(3 - exp));
}

/** Prometheus' template functions (template/template.go), to predict the annotations the tests expect. */
const HUMANIZE = {
  humanize(v) {
    if (v === 0 || !Number.isFinite(v)) return goG4(v);
    const big = Math.abs(v) >= 1;
    let prefix = '';
    for (const p of big ? ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'] : ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
      if (big ? Math.abs(v) < 1000 : Math.abs(v) >= 1) break;
      prefix = p;
      v = big ? v / 1000 : v * 1000;
    }
    return `${goG4(v)}${prefix}`;
  },
  humanize1024(v) {
    if (Math.abs(v) <= 1 || !Number.isFinite(v)) return goG4(v);
    let prefix = '';
    for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
      if (Math.abs(v) < 1024) break;
      prefix = p;
      v /= 1024;
    }
    return `${goG4(v)}${prefix}`;
  },
  humanizeDuration(v) {
    if (!Number.isFinite(v)) return goG4(v);
    if (v === 0) return '0s';
    if (Math.abs(v) >= 1) {
      const sign = v < 0 ? '-' : '';
      const d = Math.trunc(Math.abs(v));
      const [days, hours, minutes, seconds] = [Math.floor(d / 86400), Math.floor(d / 3600) % 24, Math.floor(d / 60) % 60, d % 60];
      if (days) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
      if (hours) return `${sign}${hours}h ${minutes}m ${seconds}s`;
      if (minutes) return `${sign}${minutes}m ${seconds}s`;
      return `${sign}${goG4(Math.abs(v))}s`;
    }
    let prefix = '';
    for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
      if (Math.abs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
    return `${goG4(v)}${prefix}s`;
  },
  humanizePercentage: (v) => `${goG4(v * 100)}%`,
};

/** Renders the template forms the annotations use: {{ $labels.x }}, {{ $value }}, {{ $value | humanize... }}. */
function renderTemplate(text, labels, value) {
  return text.replace(/\{\{\s*(.*?)\s*\}\}/g, (all, inner) => {
    const label = /^\$labels\.(\w+)$/.exec(inner);
    if (label) return labels[label[1]] ?? '';
    const fn = /^\$value(?:\s*\|\s*(\w+))?$/.exec(inner);
    if (fn && !fn[1] && Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
    if (fn?.[1] && HUMANIZE[fn[1]]) return HUMANIZE[fn[1]](value);
    throw new Error(`unsupported template ${all}: add it to renderTemplate`);
  });
}

// ---- the rules ------------------------------------------------------------------------------------------------

/** The p99 of a histogram per node over 5m. */
const p99 = (histogram) => `histogram_quantile(0.99, sum by (job, instance, le) (rate(${histogram}_bucket[5m])))`;

/**
 * Engram's alert rules from the alert settings ({ alerts } of loadConfig(alertGroups)). Each rule is
 * `left op threshold` (the dashboards chart `left` against `threshold`), with a promtool test: the series that make
 * it fire (high) and resolve (low), and the value the rule sees while it fires.
 */
export function alertRules(alerts) {
  const forMs = Math.round(alerts.for);
  const latency = alerts.maxProcessingLatency / 1000;
  const storage = alerts.maxStorageLatency / 1000;
  const serverCount = `${METRICS.rpcServerDuration}_count`;
  const byNode = (selector) => `sum by (job, instance) (rate(${selector}[5m]))`;
  const errorCodes = `{grpc_code=~"${SERVER_ERROR_CODES.join('|')}"}`;
  // Both halves of the disk figure, rounded up to whole bytes per minute so test counters stay integers.
  const diskPerMinute = Math.max(1, Math.round(alerts.diskIoThreshold * 60));
  const cpuPerMinute = Math.max(1, Math.round(2 * alerts.cpuThreshold * 60));
  const histogramTest = (job, instance, extra, T) => ({
    labels: { job, instance },
    series: [
      // All calls between T and 2T while it fires (p99 = 2T), all under T once it resolves (p99 = 0.99 T).
      { name: `_bucket`, labels: { ...extra, le: num(T) }, counter: [0, 100] },
      { name: `_bucket`, labels: { ...extra, le: num(2 * T) }, counter: [99, 100] },
      { name: `_bucket`, labels: { ...extra, le: '+Inf' }, counter: [100, 100] },
    ],
    value: 2 * T,
  });
  const rpc = { rpc_service: 'engram.v1.MemoryService', rpc_method: 'Recall' };

  return [
    {
      alert: 'EngramNodeDown',
      left: `up{job=~"engram-.*"}`,
      op: '==',
      threshold: 0,
      forMs: NODE_DOWN_FOR_MS,
      severity: 'critical',
      meaning: 'Prometheus cannot scrape a node (its metrics endpoint does not answer)',
      setting: 'none (1 minute)',
      unit: 'short',
      steps: [['red', null], ['green', 1]],
      summary: 'Engram node {{ $labels.instance }} is down',
      description: 'Prometheus cannot scrape {{ $labels.job }} target {{ $labels.instance }} (up = {{ $value }}): the node is stopped, crashed or unreachable.',
      runbook:
        'Check that the process runs and read its log (npm start: <ENGRAM_LOCAL_DATA_DIR>/logs/<node>.log; Kubernetes: kubectl logs), restart it, then run `engram status` to confirm every node serves again.',
      test: { metric: 'up', labels: { job: JOBS.shard, instance: 'shard-0' }, series: [{ labels: {}, gauge: [0, 1] }], value: 0 },
    },
    {
      alert: 'EngramHighProcessingLatency',
      left: p99(METRICS.rpcServerDuration),
      op: '>',
      threshold: latency,
      forMs,
      severity: 'warning',
      meaning: "99th percentile of a node's RPC latency over 5 minutes",
      setting: 'ENGRAM_ALERT_MAX_PROCESSING_LATENCY',
      unit: 's',
      summary: 'Slow RPCs on Engram node {{ $labels.instance }}',
      description: `The 99th percentile RPC latency on {{ $labels.instance }} ({{ $labels.job }}) is {{ $value | humanizeDuration }} over 5m, above ${promDuration(alerts.maxProcessingLatency)} (ENGRAM_ALERT_MAX_PROCESSING_LATENCY).`,
      runbook:
        "Find the slow method on the Engram / Gateway, Shards or Engines dashboard; check the node's CPU, event-loop lag and in-flight calls and the storage latency of the shards it calls, then add nodes or shed load (ENGRAM_MAX_IN_FLIGHT).",
      test: { metric: METRICS.rpcServerDuration, ...histogramTest(JOBS.gateway, 'gateway-0', { ...rpc, grpc_code: 'OK' }, latency) },
    },
    {
      alert: 'EngramHighStorageLatency',
      left: p99(METRICS.storageBatchDuration),
      op: '>',
      threshold: storage,
      forMs,
      severity: 'warning',
      meaning: "99th percentile of a shard's group-commit batch latency (LevelDB write and fsync) over 5 minutes",
      setting: 'ENGRAM_ALERT_MAX_STORAGE_LATENCY',
      unit: 's',
      summary: 'Slow storage on Engram shard {{ $labels.instance }}',
      description: `The 99th percentile group-commit batch latency on {{ $labels.instance }} is {{ $value | humanizeDuration }} over 5m, above ${promDuration(alerts.maxStorageLatency)} (ENGRAM_ALERT_MAX_STORAGE_LATENCY).`,
      runbook:
        "Check the disk under the shard's ENGRAM_DATA_DIR (iostat, free space) and the Engram / Shards dashboard for pending writes, batch sizes and compactions; move the store to faster disks or add shards.",
      test: { metric: METRICS.storageBatchDuration, ...histogramTest(JOBS.shard, 'shard-0', {}, storage) },
    },
    {
      alert: 'EngramHighMemory',
      left: METRICS.residentMemory,
      op: '>',
      threshold: alerts.memoryThreshold,
      forMs,
      severity: 'warning',
      meaning: 'Resident memory of a node process',
      setting: 'ENGRAM_ALERT_MEMORY_THRESHOLD',
      unit: 'bytes',
      summary: 'High memory use on Engram node {{ $labels.instance }}',
      description: `Resident memory of {{ $labels.instance }} ({{ $labels.job }}) is {{ $value | humanize1024 }}B, above ${bytesText(alerts.memoryThreshold)} (ENGRAM_ALERT_MEMORY_THRESHOLD).`,
      runbook:
        'Compare heap used with resident memory on Engram / Overview; on shards lower ENGRAM_CACHE_MAX_BYTES or ENGRAM_STORAGE_BLOCK_CACHE_SIZE, on engines ENGRAM_PATTERN_MEMORY_LIMIT or ENGRAM_PATTERN_CONCURRENCY; if the heap keeps growing, restart the node and report a leak.',
      test: { metric: METRICS.residentMemory, labels: { job: JOBS.engine, instance: 'engine-0' }, series: [{ labels: {}, gauge: [2 * alerts.memoryThreshold, alerts.memoryThreshold / 2] }], value: 2 * alerts.memoryThreshold },
    },
    {
      alert: 'EngramHighCPU',
      left: `rate(${METRICS.cpu}[5m])`,
      op: '>',
      threshold: alerts.cpuThreshold,
      forMs,
      severity: 'warning',
      meaning: 'CPU cores a node process uses, averaged over 5 minutes',
      setting: 'ENGRAM_ALERT_CPU_THRESHOLD',
      unit: 'short',
      summary: 'High CPU use on Engram node {{ $labels.instance }}',
      description: `{{ $labels.instance }} ({{ $labels.job }}) used {{ $value | humanize }} CPU cores over 5m, above ${num(alerts.cpuThreshold)} (ENGRAM_ALERT_CPU_THRESHOLD).`,
      runbook:
        'See which RPCs and mining tasks load the node on Engram / Overview and Engines; on engines lower ENGRAM_PATTERN_CONCURRENCY or ENGRAM_DREAM_CPU_BUDGET, otherwise give the process more cores or add nodes.',
      test: { metric: METRICS.cpu, labels: { job: JOBS.gateway, instance: 'gateway-0' }, series: [{ labels: {}, counter: [cpuPerMinute, 0] }], value: cpuPerMinute / 60 },
    },
    {
      alert: 'EngramHighDiskIO',
      left: `rate(${METRICS.diskRead}[5m]) + rate(${METRICS.diskWritten}[5m])`,
      op: '>',
      threshold: alerts.diskIoThreshold,
      forMs,
      severity: 'warning',
      meaning: 'Bytes per second a node process reads and writes, averaged over 5 minutes',
      setting: 'ENGRAM_ALERT_DISK_IO_THRESHOLD',
      unit: 'Bps',
      summary: 'High disk I/O on Engram node {{ $labels.instance }}',
      description: `{{ $labels.instance }} ({{ $labels.job }}) read and wrote {{ $value | humanize1024 }}B/s over 5m, above ${bytesText(alerts.diskIoThreshold)}/s (ENGRAM_ALERT_DISK_IO_THRESHOLD).`,
      runbook:
        'Check batch bytes, compactions and expiries on Engram / Shards (a retention sweep or compaction burst passes); if it is sustained, move the store to faster disks or add shards to spread the writes.',
      test: {
        labels: { job: JOBS.shard, instance: 'shard-1' },
        series: [
          { metric: METRICS.diskRead, labels: {}, counter: [diskPerMinute, 0] },
          { metric: METRICS.diskWritten, labels: {}, counter: [diskPerMinute, 0] },
        ],
        value: (2 * diskPerMinute) / 60,
      },
    },
    {
      alert: 'EngramHighErrorRate',
      // Errors or, where there are none, 0: the left side always has a value per node (dashboards chart it).
      left: `(${byNode(serverCount + errorCodes)} or ${byNode(serverCount)} * 0) / ${byNode(serverCount)}`,
      op: '>',
      threshold: ERROR_RATIO,
      forMs,
      severity: 'critical',
      meaning: `Share of a node's RPCs that failed with ${SERVER_ERROR_CODES.join(', ')} over 5 minutes`,
      setting: 'none (5%)',
      unit: 'percentunit',
      summary: 'RPCs fail on Engram node {{ $labels.instance }}',
      description: `{{ $value | humanizePercentage }} of the RPCs on {{ $labels.instance }} ({{ $labels.job }}) failed with ${SERVER_ERROR_CODES.join(', ')} over 5m, above ${ERROR_RATIO * 100}%.`,
      runbook:
        "Find the failing method and code on the node's dashboard and read its log; UNAVAILABLE or DEADLINE_EXCEEDED mostly mean a shard or engine it calls is down or overloaded (see EngramNodeDown and the latency alerts), INTERNAL or UNKNOWN a bug to report.",
      test: {
        metric: serverCount,
        labels: { job: JOBS.gateway, instance: 'gateway-0' },
        // 10% INTERNAL while it fires; NOT_FOUND (the caller's mistake) does not count.
        series: [
          { labels: { ...rpc, grpc_code: 'OK' }, counter: [80, 90] },
          { labels: { ...rpc, grpc_code: 'NOT_FOUND' }, counter: [10, 10] },
          { labels: { ...rpc, grpc_code: 'INTERNAL' }, counter: [10, 0] },
        ],
        value: 0.1,
      },
    },
    {
      alert: 'EngramWorkerPoolSaturated',
      left: `min_over_time(${METRICS.workerQueueDepth}[5m])`,
      op: '>',
      threshold: 0,
      forMs,
      severity: 'warning',
      meaning: "A thought engine's mining tasks kept waiting for a worker thread: the queue never emptied for 5 minutes",
      setting: 'none (queue never empty)',
      unit: 'short',
      summary: 'Mining worker pool saturated on Engram engine {{ $labels.instance }}',
      description: 'At least {{ $value | humanize }} mining tasks waited for a worker thread on {{ $labels.instance }} at every scrape for 5m: mining requests and dreams queue up.',
      runbook:
        'Check task wait and run times on Engram / Engines; give the engine more cores and worker threads (ENGRAM_PATTERN_CONCURRENCY, ENGRAM_PATTERN_CPU_LIMIT), add engines, or reduce DetectPatterns and dream load (ENGRAM_DREAM_INTERVAL).',
      test: { metric: METRICS.workerQueueDepth, labels: { job: JOBS.engine, instance: 'engine-0' }, series: [{ labels: {}, gauge: [3, 0] }], value: 3 },
    },
  ].map((r) => ({ ...r, expr: `${r.left} ${r.op} ${num(r.threshold)}` }));
}

// ---- YAML (block style, written by hand: simple and deterministic) ---------------------------------------------

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function yamlScalar(v) {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const s = String(v);
  const plain = /^[A-Za-z_][A-Za-z0-9_./-]*$/.test(s) && !/^(true|false|yes|no|on|off|null|y|n)$/i.test(s);
  const duration = /^(\d+(ms|s|m|h|d|w|y))+$/.test(s);
  return plain || duration ? s : `'${s.replace(/'/g, "''")}'`;
}

function yamlLines(value, indent) {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (!isObject(item)) return [`${indent}- ${yamlScalar(item)}`];
      const [first, ...rest] = yamlLines(item, `${indent}  `);
      return [`${indent}- ${first.trimStart()}`, ...rest];
    });
  }
  return Object.entries(value).flatMap(([k, v]) => {
    if (Array.isArray(v) || isObject(v)) {
      const empty = Array.isArray(v) ? '[]' : '{}';
      return Object.keys(v).length === 0 ? [`${indent}${k}: ${empty}`] : [`${indent}${k}:`, ...yamlLines(v, `${indent}  `)];
    }
    return [`${indent}${k}: ${yamlScalar(v)}`];
  });
}

/** A YAML document: comment lines, then the value (objects keep their key order). */
export const yaml = (header, value) => `${header.map((l) => `# ${l}`.trimEnd()).join('\n')}\n${yamlLines(value, '').join('\n')}\n`;

// ---- the files ------------------------------------------------------------------------------------------------

function thresholdsHeader(alerts) {
  return [
    `  ENGRAM_ALERT_MAX_PROCESSING_LATENCY=${promDuration(alerts.maxProcessingLatency)}  ENGRAM_ALERT_MAX_STORAGE_LATENCY=${promDuration(alerts.maxStorageLatency)}`,
    `  ENGRAM_ALERT_MEMORY_THRESHOLD=${bytesText(alerts.memoryThreshold)}  ENGRAM_ALERT_CPU_THRESHOLD=${num(alerts.cpuThreshold)}  ENGRAM_ALERT_DISK_IO_THRESHOLD=${bytesText(alerts.diskIoThreshold)}  ENGRAM_ALERT_FOR=${promDuration(alerts.for)}`,
  ];
}

function alertsFile(alerts, rules) {
  return yaml(
    [
      'Engram alert rules. Generated by `npm run gen:alerts` (deploy/prometheus/generate.mjs) from the ENGRAM_ALERT_*',
      'settings and the metric names in METRICS (@engram/telemetry): do not edit, set the settings and regenerate.',
      'Thresholds:',
      ...thresholdsHeader(alerts),
    ],
    {
      groups: [
        {
          name: 'engram',
          rules: rules.map((r) => ({
            alert: r.alert,
            expr: r.expr,
            for: promDuration(r.forMs),
            labels: { severity: r.severity },
            annotations: { summary: r.summary, description: r.description, runbook: r.runbook },
          })),
        },
      ],
    },
  );
}

/** The promtool "values" notation of a series: high until fireAt, then low (RESOLVE_AFTER more samples). */
const RESOLVE_AFTER = 7;
function seriesValues(s, fireAt) {
  const n = RESOLVE_AFTER - 1;
  if (s.gauge) return `${num(s.gauge[0])}+0x${fireAt} ${num(s.gauge[1])}+0x${n}`;
  // A counter rises by high per minute, then by low; the sample after fireAt still rises by high, so the low part
  // starts above the last high value even where float sums round (no false counter reset).
  const [high, low] = s.counter;
  return `0+${num(high)}x${fireAt} ${num(high * (fireAt + 1))}+${num(low)}x${n}`;
}

const selector = (metric, labels) => `${metric}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`;

function alertsTestFile(alerts, rules) {
  const tests = rules.map((r) => {
    // Rates and quantiles over 5m have a full window of the high series at 5m; firing takes `for` more.
    const fireAt = 5 + Math.ceil(r.forMs / 60_000);
    const resolveAt = fireAt + RESOLVE_AFTER;
    const t = r.test;
    const labels = { ...t.labels };
    return {
      interval: '1m',
      input_series: t.series.map((s) => ({
        series: selector(`${s.metric ?? t.metric}${s.name ?? ''}`, { ...t.labels, ...s.labels }),
        values: seriesValues(s, fireAt),
      })),
      alert_rule_test: [
        {
          eval_time: `${fireAt}m`,
          alertname: r.alert,
          exp_alerts: [
            {
              exp_labels: { severity: r.severity, ...labels },
              exp_annotations: {
                summary: renderTemplate(r.summary, labels, t.value),
                description: renderTemplate(r.description, labels, t.value),
                runbook: renderTemplate(r.runbook, labels, t.value),
              },
            },
          ],
        },
        { eval_time: `${resolveAt}m`, alertname: r.alert, exp_alerts: [] },
      ],
    };
  });
  return yaml(
    [
      'promtool unit tests of alerts.yml: every rule fires (after its `for`) and resolves. Generated by',
      '`npm run gen:alerts` with the same thresholds; run `promtool test rules deploy/prometheus/alerts.test.yml`.',
      'Thresholds:',
      ...thresholdsHeader(alerts),
    ],
    { rule_files: ['alerts.yml'], evaluation_interval: '1m', tests },
  );
}

function prometheusFile(local) {
  if (local.metricsBasePort === 0) throw new Error('ENGRAM_LOCAL_METRICS_BASE_PORT=0 picks free ports: set a fixed base port to generate prometheus.yml');
  // The same offsets as services/local-cluster: gateway base, shard-i base + 10 + i, engine-i base + 20 + i.
  const target = (id, offset) => ({ targets: [`${local.host}:${local.metricsBasePort + offset}`], labels: { instance: id } });
  const nodes = (n, prefix, offset) => Array.from({ length: n }, (_, i) => target(`${prefix}-${i}`, offset + i));
  return yaml(
    [
      'Example Prometheus config for the local cluster (`npm start`): scrapes every node, loads alerts.yml. The `instance`',
      'label is the node id. Generated by `npm run gen:alerts` from the ENGRAM_LOCAL_* settings.',
      '  prometheus --config.file=deploy/prometheus/prometheus.yml --storage.tsdb.path=/tmp/engram-prometheus',
    ],
    {
      global: { scrape_interval: '5s', evaluation_interval: '5s' },
      rule_files: ['alerts.yml'],
      scrape_configs: [
        { job_name: JOBS.gateway, static_configs: [target('gateway-0', 0)] },
        { job_name: JOBS.shard, static_configs: nodes(local.shards, 'shard', 10) },
        { job_name: JOBS.engine, static_configs: nodes(local.engines, 'engine', 20) },
      ],
    },
  );
}

/** The alert settings from an environment (defaults for what it does not set). */
export const alertSettings = (env = process.env) => loadConfig(alertGroups, { env, argv: [] }).alerts;

/** Every file this script writes, by name, from the settings in env. */
export function render(env = process.env) {
  const alerts = alertSettings(env);
  const { local } = loadConfig(localGroups, { env, argv: [] });
  const rules = alertRules(alerts);
  return { 'alerts.yml': alertsFile(alerts, rules), 'alerts.test.yml': alertsTestFile(alerts, rules), 'prometheus.yml': prometheusFile(local) };
}

/** Writes files (name: path under dir) or, with --check, compares them, or with --stdout prints them as JSON. */
export function main(argv, files, dir) {
  if (argv.includes('--stdout')) {
    process.stdout.write(`${JSON.stringify(files, null, 2)}\n`);
    return 0;
  }
  const read = (name) => {
    try {
      return readFileSync(join(dir, name), 'utf8');
    } catch {
      return undefined;
    }
  };
  if (argv.includes('--check')) {
    const stale = Object.keys(files).filter((name) => read(name) !== files[name]);
    for (const name of stale) process.stderr.write(`${relative(process.cwd(), join(dir, name))} is not what the generator writes: run it again\n`);
    return stale.length === 0 ? 0 : 1;
  }
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    const changed = read(name) !== text;
    if (changed) writeFileSync(path, text);
    process.stdout.write(`${changed ? 'wrote    ' : 'unchanged'} ${relative(process.cwd(), path)}\n`);
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2), render(), HERE);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 2;
  }
}
