import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import YAML from 'yaml';
import { ConfigError, parseDurationMs, parseLoadTestConfig, parseNumber, type LoadTestConfig } from './criteria.js';

/** The run settings the command line and config files share (flags win over a file). */
export interface Settings {
  host?: string;
  call?: string;
  data?: unknown;
  dataFile?: string;
  binaryFile?: string;
  metadata?: Record<string, string>;
  proto?: string;
  importPaths?: string[];
  insecure?: boolean;
  cacert?: string;
  skipTLS?: boolean;
  cname?: string;
  concurrency?: number;
  connections?: number;
  total?: number;
  rps?: number;
  durationMs?: number;
  durationStop?: 'ignore' | 'wait';
  timeoutMs?: number;
  connectTimeoutMs?: number;
  cpus?: number;
  skipFirst?: number;
  name?: string;
  tags?: Record<string, string>;
  format?: string;
  output?: string;
  loadTest?: LoadTestConfig;
}

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${field}: expected an object of strings`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

function str(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new ConfigError(`${field}: expected a string`);
  return value;
}

/** Reads a JSON or YAML document (by extension; TOML is not supported). */
export function readDocument(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  const ext = extname(path).toLowerCase();
  if (ext === '.toml') throw new ConfigError(`${path}: TOML configs are not supported; use JSON or YAML`);
  try {
    return ext === '.yaml' || ext === '.yml' ? YAML.parse(text) : JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// ghz keys that do not change a constant-load unary run (or that only matter to ghz itself).
const IGNORED = new Set([
  'keepalive',
  'reflect-metadata',
  'debug',
  'async',
  'max-duration',
  'stream-interval',
  'stream-call-duration',
  'stream-call-count',
  'stream-dynamic-messages',
  'lb-strategy',
  'count-errors',
  'max-recv-message-size',
  'max-send-message-size',
  'disable-template-functions',
  'disable-template-data',
  'load-start',
  'load-end',
  'load-step',
  'load-step-duration',
  'load-max-duration',
  'concurrency-start',
  'concurrency-end',
  'concurrency-step',
  'concurrency-step-duration',
  'concurrency-max-duration',
]);

/**
 * Settings from a ghz config (runner.Config's JSON/YAML keys: host, call, data, data-file, binary-file,
 * metadata, proto, import-paths, insecure, cacert, skipTLS, cname, concurrency, connections, total, rps (or the
 * older qps), duration, duration-stop, timeout, connect-timeout, cpus, skipFirst, name, tags, format, output),
 * plus `loadTest`, a LoadTestConfig (ghz ignores it). Keys for features this generator lacks are errors, except
 * a few that do not change what is measured.
 */
export function ghzSettings(raw: unknown, source = 'config'): Settings {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${source}: expected an object`);
  const s: Settings = {};
  for (const [key, value] of Object.entries(raw)) {
    const field = `${source}: ${key}`;
    switch (key) {
      case 'host':
        s.host = str(value, field);
        break;
      case 'call':
        s.call = str(value, field);
        break;
      case 'data':
        s.data = value;
        break;
      case 'data-file':
        s.dataFile = str(value, field);
        break;
      case 'binary-file':
        s.binaryFile = str(value, field);
        break;
      case 'metadata':
        s.metadata = stringMap(value, field);
        break;
      case 'proto':
        s.proto = str(value, field);
        break;
      case 'import-paths':
        s.importPaths = Array.isArray(value) ? value.map((v) => str(v, field)) : str(value, field).split(',');
        break;
      case 'insecure':
        s.insecure = Boolean(value);
        break;
      case 'cacert':
        s.cacert = str(value, field);
        break;
      case 'skipTLS':
      case 'skip-verify':
        s.skipTLS = Boolean(value);
        break;
      case 'cname':
      case 'authority':
        s.cname = str(value, field);
        break;
      case 'concurrency':
      case 'connections':
      case 'total':
      case 'cpus':
      case 'skipFirst':
        s[key] = parseNumber(value, field, key === 'total' || key === 'skipFirst' ? 0 : 1);
        break;
      case 'rps':
      case 'qps':
        s.rps = parseNumber(value, field);
        break;
      case 'duration':
        s.durationMs = parseDurationMs(value, field);
        break;
      case 'duration-stop': {
        const v = str(value, field).toLowerCase();
        if (!['close', 'ignore', 'wait'].includes(v)) throw new ConfigError(`${field}: expected close, ignore or wait`);
        s.durationStop = v === 'wait' ? 'wait' : 'ignore';
        break;
      }
      case 'timeout':
        s.timeoutMs = parseDurationMs(value, field);
        break;
      case 'connect-timeout':
        s.connectTimeoutMs = parseDurationMs(value, field);
        break;
      case 'name':
        s.name = str(value, field);
        break;
      case 'tags':
        s.tags = stringMap(value, field);
        break;
      case 'format':
        s.format = str(value, field);
        break;
      case 'output':
        s.output = str(value, field);
        break;
      case 'loadTest':
        s.loadTest = parseLoadTestConfig(value);
        break;
      case 'load-schedule':
      case 'concurrency-schedule':
        if (value !== 'const') throw new ConfigError(`${field}: only the "const" schedule is supported`);
        break;
      case 'protoset':
      case 'cert':
      case 'key':
      case 'enable-compression':
      case 'binary':
      case 'metadata-file':
        if (value) throw new ConfigError(`${field}: not supported by this generator`);
        break;
      default:
        if (!IGNORED.has(key)) throw new ConfigError(`${field}: unknown ghz config key`);
    }
  }
  return s;
}

export function readGhzConfig(path: string): Settings {
  return ghzSettings(readDocument(path), path);
}
