import { writeFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { benchmark, type BenchmarkSettings } from './benchmark.js';
import { CodecError } from './codec.js';
import { readDocument, readGhzConfig, type Settings } from './config.js';
import { ConfigError, parseBytes, parseDurationMs, parseLoadTestConfig, parseNumber, type LoadTestConfig } from './criteria.js';
import { ProgressLine } from './progress.js';
import { markdownSummary, textSummary } from './summary.js';
import { TemplateError } from './template.js';

export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

const FORMATS = ['summary', 'json', 'pretty', 'markdown'] as const;

export function parser<T>(parse: (value: string, field: string) => T, field: string): (value: string) => T {
  return (value) => {
    try {
      return parse(value, field);
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message.replace(`${field}: `, '') : String(err));
    }
  };
}

export const int = (min: number) => parser((v, f) => {
  const n = parseNumber(v, f, min);
  if (!Number.isInteger(n)) throw new ConfigError(`${f}: expected an integer`);
  return n;
}, 'value');
const json = parser((v) => JSON.parse(v) as unknown, 'JSON');
export const duration = parser(parseDurationMs, 'duration');
const list = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...value.split(',').filter(Boolean)];

export function buildCommand(): Command {
  const command = new Command('loadgen')
    .description(
      "A gRPC load generator for unary calls that drives HTTP/2 directly: ghz's flags, config files and JSON report, the seed's LoadTestConfig as success criteria. Exit code 1 when a criterion fails.",
    )
    .argument('[host]', 'server address host:port (or "host" in the config)');
  return addRunOptions(command)
    .addOption(new Option('-O, --format <format>', 'report format; default summary').choices(FORMATS))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--json', 'the JSON report on stdout, no progress line (= -O json --quiet)')
    .option('--markdown <file>', 'also write a Markdown summary to this file')
    .option('-q, --quiet', 'no progress line')
    .addHelpText('after', '\nScenarios (baseline, load, stress, endurance, suite): loadgen scenario --help')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');
}

/** The options of a run (the load, the call, the criteria, the watched targets), shared with `scenario`. */
export function addRunOptions(command: Command): Command {
  return command
    .option('--config <file>', 'a ghz config file (JSON or YAML); flags override it')
    .option('--call <method>', 'the method: package.Service/Method (engram.v1.* need no --proto)')
    .option('-d, --data <json>', 'call data as protobuf JSON; strings may hold ghz templates ({{.RequestNumber}}, {{randomString 8}}, {{randomInt 1 100}}, ...)', json)
    .option('-D, --data-file <file>', 'call data from a JSON file')
    .option('-B, --binary-file <file>', 'the request message as raw bytes (no schema needed)')
    .option('-m, --metadata <json>', 'request metadata as a JSON object of strings', json)
    .option('--proto <file>', '.proto file of a service outside engram.v1')
    .option('-i, --import-paths <dirs>', 'import paths for --proto (comma-separated, repeatable)', list)
    .option('--insecure', 'plaintext HTTP/2 (the default; accepted for ghz compatibility)')
    .option('--cacert <file>', 'TLS with this CA certificate')
    .option('--skipTLS', 'TLS without verifying the certificate')
    .option('--cname <name>', 'TLS server name to verify')
    .option('-c, --concurrency <n>', 'calls in flight (ConcurrentUsers); default 50', int(1))
    .option('--connections <n>', 'HTTP/2 connections the calls are spread over; default 1', int(1))
    .option('-n, --total <n>', 'calls to make; default 200, unbounded with --duration', int(0))
    .option('-z, --duration <d>', 'run length, e.g. 30s, 1m (TestDuration)', duration)
    .addOption(new Option('--duration-stop <mode>', 'at the end of --duration: ignore (or close) drops calls in flight from the report, wait waits for them').choices(['close', 'ignore', 'wait']))
    .option('-r, --rps <n>', 'open loop at this many calls per second (RequestsPerSecond); 0 = closed loop', parser((v, f) => parseNumber(v, f), 'rps'))
    .option('-t, --timeout <d>', 'deadline of each call; default 20s', duration)
    .option('--connect-timeout <d>', 'connection deadline; default 10s', duration)
    .option('--cpus <n>', 'worker processes sharing the load; default 1', int(1))
    .option('--skip-first <n>', 'leave the first n results out of the report', int(0))
    .option('--body-ring <n>', 'distinct bodies expanded from the template before the run; default 1024', int(1))
    .option('--exact-templates', 'expand and encode the template for every call (exact {{.RequestNumber}}, costs CPU per call)')
    .option('--details [n]', "list each call in the report's details (at most n, default 100000)")
    .option('--name <name>', 'name of the run')
    .option('--tags <json>', 'tags of the run (JSON object of strings)', json)
    .option('--load-test <file>', "the seed's LoadTestConfig as JSON or YAML (ConcurrentUsers, RequestsPerSecond, TestDuration, MaxMemoryUsage, MaxCPUUsage, MaxLatency, MinThroughput, MaxErrorRate)")
    .option('--max-latency <d>', 'fail when the p99 latency of successful calls exceeds this (MaxLatency)', duration)
    .option('--min-throughput <rps>', 'fail below this many successful calls per second (MinThroughput)', parser((v, f) => parseNumber(v, f), 'rps'))
    .option('--max-memory <size>', 'fail when the generator or a watched target exceeds this resident memory, e.g. 512MB (MaxMemoryUsage)', parser(parseBytes, 'size'))
    .option('--max-cpu <cores>', 'fail when the generator or a watched target uses more CPU cores on average (MaxCPUUsage)', parser((v, f) => parseNumber(v, f), 'cores'))
    .option('--max-error-rate <fraction>', 'fail when more than this share of calls fails; default 0', parser((v, f) => parseNumber(v, f), 'fraction'))
    .option('--target-pid <pids>', 'watch these processes (comma-separated, repeatable) for MaxMemoryUsage/MaxCPUUsage', list)
    .option('--target-metrics <addresses>', 'watch processes through their Prometheus metrics (host:port, comma-separated, repeatable)', list);
}

export interface Flags {
  config?: string;
  call?: string;
  data?: unknown;
  dataFile?: string;
  binaryFile?: string;
  metadata?: unknown;
  proto?: string;
  importPaths?: string[];
  insecure?: boolean;
  cacert?: string;
  skipTLS?: boolean;
  cname?: string;
  concurrency?: number;
  connections?: number;
  total?: number;
  duration?: number;
  durationStop?: 'close' | 'ignore' | 'wait';
  rps?: number;
  timeout?: number;
  connectTimeout?: number;
  cpus?: number;
  skipFirst?: number;
  bodyRing?: number;
  exactTemplates?: boolean;
  details?: boolean | string;
  name?: string;
  tags?: unknown;
  loadTest?: string;
  maxLatency?: number;
  minThroughput?: number;
  maxMemory?: number;
  maxCpu?: number;
  maxErrorRate?: number;
  targetPid?: string[];
  targetMetrics?: string[];
  format?: (typeof FORMATS)[number];
  output?: string;
  json?: boolean;
  markdown?: string;
  quiet?: boolean;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const stringRecord = (value: unknown, field: string): Record<string, string> => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${field}: expected a JSON object`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
};

/**
 * Settings from the flags over the config file: a flag wins over the LoadTestConfig, which wins over the
 * config's own fields (the LoadTestConfig's load fields are ConcurrentUsers, RequestsPerSecond and TestDuration).
 */
export function settingsOf(host: string | undefined, f: Flags): BenchmarkSettings {
  const file: Settings = f.config ? readGhzConfig(f.config) : {};
  const criteria: LoadTestConfig = {
    ...file.loadTest,
    ...(f.loadTest ? parseLoadTestConfig(readDocument(f.loadTest)) : {}),
    ...defined({
      maxLatency: f.maxLatency,
      minThroughput: f.minThroughput,
      maxMemoryUsage: f.maxMemory,
      maxCpuUsage: f.maxCpu,
      maxErrorRate: f.maxErrorRate,
    }),
  };
  const fromCriteria = defined({ concurrency: criteria.concurrentUsers, rps: criteria.requestsPerSecond, durationMs: criteria.testDuration });
  const flags = defined({
    host,
    call: f.call,
    data: f.data,
    dataFile: f.dataFile,
    binaryFile: f.binaryFile,
    metadata: f.metadata === undefined ? undefined : stringRecord(f.metadata, '--metadata'),
    proto: f.proto,
    importPaths: f.importPaths,
    insecure: f.insecure,
    cacert: f.cacert,
    skipTLS: f.skipTLS,
    cname: f.cname,
    concurrency: f.concurrency,
    connections: f.connections,
    total: f.total,
    rps: f.rps,
    durationMs: f.duration,
    durationStop: f.durationStop === undefined ? undefined : f.durationStop === 'wait' ? ('wait' as const) : ('ignore' as const),
    timeoutMs: f.timeout,
    connectTimeoutMs: f.connectTimeout,
    cpus: f.cpus,
    skipFirst: f.skipFirst,
    name: f.name,
    tags: f.tags === undefined ? undefined : stringRecord(f.tags, '--tags'),
    format: f.json ? 'json' : f.format,
    output: f.output,
    bodyRing: f.bodyRing,
    exactTemplates: f.exactTemplates,
    details: f.details === undefined ? undefined : f.details === true ? 100_000 : parseNumber(f.details, '--details', 0),
    targetPids: f.targetPid?.map((p) => parseNumber(p, '--target-pid', 1)),
    targetMetrics: f.targetMetrics,
  });
  const merged: BenchmarkSettings = { ...file, ...fromCriteria, ...flags, loadTest: criteria };
  // A data file or binary file given on the command line replaces the config's data.
  if (flags.dataFile || flags.binaryFile) delete merged.data;
  if (flags.data !== undefined) delete merged.dataFile;
  return merged;
}

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
  /**
   * Defaults the caller supplies (the engram CLI's --address, --timeout and --json); `hostGiven` says the host
   * was given explicitly, so it wins over a config file's (a positional host still wins over it).
   */
  defaults?: { host?: string; hostGiven?: boolean; timeoutMs?: number; json?: boolean };
  signal?: AbortSignal;
}

/**
 * Runs the load generator's command line (arguments after the program name) and returns the exit code: 0 when
 * the run met its criteria, 1 when it did not (or could not run), 2 for usage errors.
 */
export async function runLoadgen(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  if (argv[0] === 'scenario') {
    const { runScenarioCli } = await import('./scenario-cli.js');
    return runScenarioCli(argv.slice(1), io);
  }
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const command = buildCommand().configureOutput({
    writeOut: (s) => stdout.write(s),
    writeErr: (s) => stderr.write(s),
  });
  let settings: BenchmarkSettings;
  let flags: Flags;
  try {
    command.parse([...argv], { from: 'user' });
    flags = command.opts<Flags>();
    if (io.defaults?.json) flags.json = true;
    settings = settingsOf(command.args[0], flags);
    if (io.defaults?.hostGiven && command.args[0] === undefined) settings.host = io.defaults.host;
    settings.host ??= io.defaults?.host;
    settings.timeoutMs ??= io.defaults?.timeoutMs;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_USAGE;
  }
  const format = settings.format ?? 'summary';
  const progress = new ProgressLine(stderr, Boolean(stderr.isTTY) && !flags.quiet && !flags.json);
  const abort = new AbortController();
  io.signal?.addEventListener('abort', () => abort.abort());
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const { report, verdict } = await benchmark(settings, { onProgress: (p) => progress.update(p), signal: abort.signal });
    progress.done();
    const text =
      format === 'json' ? `${JSON.stringify(report)}\n` : format === 'pretty' ? `${JSON.stringify(report, null, 2)}\n` : format === 'markdown' ? markdownSummary(report) : textSummary(report);
    if (settings.output) writeFileSync(settings.output, text);
    else stdout.write(text);
    if (flags.markdown) writeFileSync(flags.markdown, markdownSummary(report));
    return verdict.pass ? 0 : EXIT_FAIL;
  } catch (err) {
    progress.done();
    stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof ConfigError || err instanceof CodecError || err instanceof TemplateError || err instanceof SyntaxError ? EXIT_USAGE : EXIT_FAIL;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
