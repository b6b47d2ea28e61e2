import { Command } from 'commander';
import { flagOf, type ConfigOf, type GroupMap, type Setting } from './setting.js';

/** Thrown with every problem found, each naming the variable and flag to fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

export interface ConfigSource {
  env?: NodeJS.ProcessEnv;
  /** Arguments after the program name. */
  argv?: readonly string[];
  /** Program name and summary for --help. */
  program?: { name: string; description: string };
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(o);
}

/** The raw strings given on the command line, by environment variable name. */
function parseFlags(groups: GroupMap, source: ConfigSource): Map<string, string> {
  const program = new Command(source.program?.name ?? 'engram')
    .description(source.program?.description ?? '')
    .exitOverride()
    .allowExcessArguments(false);
  const byAttribute = new Map<string, string>();
  for (const g of Object.values(groups)) {
    for (const s of Object.values(g.settings) as Setting[]) {
      const flag = flagOf(s.env);
      program.option(`${flag} <value>`, `${s.doc} [env ${s.env}, default ${s.default || '""'}]`);
      const attr = flag.slice(2).replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
      byAttribute.set(attr, s.env);
    }
  }
  program.parse([...(source.argv ?? [])], { from: 'user' });
  const given = new Map<string, string>();
  for (const [attr, value] of Object.entries(program.opts<Record<string, string>>())) {
    const env = byAttribute.get(attr);
    if (env) given.set(env, value);
  }
  return given;
}

/**
 * Reads every setting of the groups: flag, else environment, else default; parses and validates each, then
 * each group's cross checks. Returns one frozen object, or throws ConfigError listing all problems.
 */
export function loadConfig<G extends GroupMap>(groups: G, source: ConfigSource = {}): ConfigOf<G> {
  const env = source.env ?? process.env;
  const flags = parseFlags(groups, source);
  const problems: string[] = [];
  const out: Record<string, Record<string, unknown>> = {};
  for (const [groupName, g] of Object.entries(groups)) {
    const values: Record<string, unknown> = {};
    const problemsBefore = problems.length;
    for (const [key, s] of Object.entries(g.settings) as [string, Setting][]) {
      const raw = flags.get(s.env) ?? env[s.env] ?? s.default;
      const parsed = s.parse.safeParse(raw.trim());
      if (parsed.success) values[key] = parsed.data;
      else problems.push(`${s.env} (${flagOf(s.env)}) = "${raw}": ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    }
    out[groupName] = values;
    if (g.check && problems.length === problemsBefore) {
      const problem = g.check(values as never);
      if (problem) problems.push(`${g.title}: ${problem}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(out) as ConfigOf<G>;
}
