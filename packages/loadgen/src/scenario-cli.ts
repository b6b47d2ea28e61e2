import { Argument, Command, CommanderError } from 'commander';
import { runSpecOf, type BenchmarkSettings } from './benchmark.js';
import { addRunOptions, duration, EXIT_FAIL, EXIT_USAGE, int, parser, settingsOf, type CliIo, type Flags } from './cli.js';
import { CodecError } from './codec.js';
import { ConfigError, parseBytes, parseNumber } from './criteria.js';
import { ProgressLine } from './progress.js';
import { scenarioMarkdown } from './scenario-summary.js';
import { runScenarios, scenarioDefaults, SCENARIOS, type ScenarioName, type ScenarioOptions } from './scenarios.js';
import { TemplateError } from './template.js';

const CHOICES = [...SCENARIOS, 'suite'] as const;

/** A ratio such as 1.5, 1.5x or ×1.5. */
export function parseRatio(value: string, field: string): number {
  const n = parseNumber(value.trim().replace(/^×/, '').replace(/[x×]$/i, ''), field);
  if (n <= 0) throw new ConfigError(`${field}: expected a ratio > 0, got ${JSON.stringify(value)}`);
  return n;
}

const positive = parser((v, f) => {
  const n = parseNumber(v, f);
  if (n <= 0) throw new ConfigError(`${f}: expected a number > 0`);
  return n;
}, 'value');
const fraction = parser((v, f) => {
  const n = parseNumber(v, f);
  if (n <= 0 || n > 1) throw new ConfigError(`${f}: expected a fraction in (0, 1]`);
  return n;
}, 'value');
const factor = parser((v, f) => {
  const n = parseRatio(v, f);
  if (n <= 1) throw new ConfigError(`${f}: expected a factor > 1`);
  return n;
}, 'value');
const ratio = parser(parseRatio, 'ratio');
const size = parser(parseBytes, 'size');

export function buildScenarioCommand(): Command {
  const command = new Command('loadgen scenario')
    .description(
      "The benchmark suite as scenarios: baseline (unloaded latency, 1 call in flight), load (the LoadTestConfig with its criteria), stress (open-loop steps of rising rate up to the knee: the highest rate whose p99 stays under MaxLatency), endurance (a long run in windows: rate, p99 and RSS drift); suite runs the four in order. Writes each run's ghz JSON report, a JSON per scenario and summary.md into --out; exit code 1 when a criterion fails.",
    )
    .addArgument(new Argument('<scenario>', 'the scenario').choices(CHOICES))
    .argument('[host]', 'server address host:port (or "host" in the config)');
  return addRunOptions(command)
    .requiredOption('--out <dir>', 'directory of the reports, scenario JSONs and summary.md (created if missing)')
    .option('--smoke', 'a short run of each scenario (seconds: baseline 1s, load 1.5s, stress 3 steps of 0.75s, endurance 3 windows of 0.75s); explicit flags win')
    .option('--fail-fast', 'skip the remaining scenarios once one fails')
    .option('--baseline-duration <d>', 'baseline: run length; default 10s', duration)
    .option('--baseline-concurrency <n>', 'baseline: calls in flight; default 1', int(1))
    .option('--start-rps <n>', 'stress: the first step rate (default: --start-fraction of the load scenario\'s measured rate)', positive)
    .option('--start-fraction <f>', 'stress: first step = this share of the reference rate; default 0.25', fraction)
    .option('--step-factor <x>', 'stress: each step offers this multiple of the previous rate; default 1.5', factor)
    .option('--steps <n>', 'stress: at most this many steps; default 8', int(1))
    .option('--step-duration <d>', 'stress: length of each step; default 10s', duration)
    .option('--stress-max-time <d>', 'stress: no step starts that would end after this; default 3m', duration)
    .option('--stress-concurrency <n>', 'stress: open-loop slots (calls in flight at most); default max(-c, 256)', int(1))
    .option('--saturation <f>', 'stress: a step is saturated below this share of its offered rate answered; default 0.9', fraction)
    .option('--endurance-duration <d>', 'endurance: run length; default 5m', duration)
    .option('--windows <n>', 'endurance: windows the run is measured in; default 10', int(2))
    .option('--endurance-rps <n>', "endurance: open-loop rate (default the load scenario's: --rps, or closed loop)", parser((v, f) => parseNumber(v, f), 'rps'))
    .option('--endurance-concurrency <n>', "endurance: calls in flight (default the load scenario's -c)", int(1))
    .option('--max-latency-drift <ratio>', 'endurance: fail when the p99 grows more than this from the first to the last window (fitted), e.g. 1.5x', ratio)
    .option('--max-memory-growth <size>', 'endurance: fail when the generator or a watched target grows its RSS by more than this (fitted), e.g. 64MB', size)
    .option('-q, --quiet', 'no progress lines on stderr')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');
}

interface ScenarioFlags extends Flags {
  out: string;
  smoke?: boolean;
  failFast?: boolean;
  baselineDuration?: number;
  baselineConcurrency?: number;
  startRps?: number;
  startFraction?: number;
  stepFactor?: number;
  steps?: number;
  stepDuration?: number;
  stressMaxTime?: number;
  stressConcurrency?: number;
  saturation?: number;
  enduranceDuration?: number;
  windows?: number;
  enduranceRps?: number;
  enduranceConcurrency?: number;
  maxLatencyDrift?: number;
  maxMemoryGrowth?: number;
}

/** The scenario options of the flags over the defaults (full, or --smoke's). */
export function scenarioOptionsOf(f: ScenarioFlags): ScenarioOptions {
  const d = scenarioDefaults(Boolean(f.smoke));
  return {
    out: f.out,
    failFast: Boolean(f.failFast),
    baseline: { durationMs: f.baselineDuration ?? d.baseline.durationMs, concurrency: f.baselineConcurrency ?? d.baseline.concurrency },
    load: d.load,
    stress: {
      startRps: f.startRps,
      startFraction: f.startFraction ?? d.stress.startFraction,
      factor: f.stepFactor ?? d.stress.factor,
      maxSteps: f.steps ?? d.stress.maxSteps,
      stepMs: f.stepDuration ?? d.stress.stepMs,
      maxTimeMs: f.stressMaxTime ?? d.stress.maxTimeMs,
      concurrency: f.stressConcurrency,
      saturation: f.saturation ?? d.stress.saturation,
    },
    endurance: {
      durationMs: f.enduranceDuration ?? d.endurance.durationMs,
      windows: f.windows ?? d.endurance.windows,
      rps: f.enduranceRps,
      concurrency: f.enduranceConcurrency,
      maxLatencyDrift: f.maxLatencyDrift,
      maxMemoryGrowth: f.maxMemoryGrowth,
    },
  };
}

/**
 * `loadgen scenario <baseline|load|stress|endurance|suite> [host] --out dir …`: runs the scenarios, prints the
 * Markdown summary, and returns 0 when every criterion passed, 1 when one failed, 2 for usage errors.
 */
export async function runScenarioCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const command = buildScenarioCommand().configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) });
  let settings: BenchmarkSettings;
  let flags: ScenarioFlags;
  let which: ScenarioName[];
  let options: ScenarioOptions;
  try {
    command.parse([...argv], { from: 'user' });
    flags = command.opts<ScenarioFlags>();
    const [scenario, host] = command.args as [string, string | undefined];
    which = scenario === 'suite' ? [...SCENARIOS] : [scenario as ScenarioName];
    settings = settingsOf(host, flags);
    if (io.defaults?.hostGiven && host === undefined) settings.host = io.defaults.host;
    settings.host ??= io.defaults?.host;
    settings.timeoutMs ??= io.defaults?.timeoutMs;
    if (flags.smoke) {
      // A smoke run is short whatever the config says: only explicit flags bound its load scenario.
      settings.durationMs = flags.duration ?? scenarioDefaults(true).load.durationMs;
      settings.total = flags.total;
    }
    options = scenarioOptionsOf(flags);
    runSpecOf(settings); // usage errors (no call, no host) before any run
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_USAGE;
  }
  const progress = new ProgressLine(stderr, Boolean(stderr.isTTY) && !flags.quiet);
  const abort = new AbortController();
  io.signal?.addEventListener('abort', () => abort.abort());
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const run = await runScenarios(which, settings, options, {
      log: flags.quiet ? undefined : (line) => stderr.write(`${line}\n`),
      onProgress: (p) => progress.update(p),
      onRunEnd: () => progress.done(),
      signal: abort.signal,
    });
    stdout.write(scenarioMarkdown(run));
    if (!flags.quiet) stderr.write(`${run.pass ? 'PASS' : `FAIL: ${run.failed.join('; ')}`}\nwrote ${run.files.length} files to ${options.out}\n`);
    return run.pass ? 0 : EXIT_FAIL;
  } catch (err) {
    progress.done();
    stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof ConfigError || err instanceof CodecError || err instanceof TemplateError || err instanceof SyntaxError ? EXIT_USAGE : EXIT_FAIL;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
