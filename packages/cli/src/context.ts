import { InvalidArgumentError, type Command } from 'commander';
import { createClient, type EngramClient } from './client.js';
import { InputError } from './input.js';

/** The options every command takes (given before or after the command name). */
export interface GlobalOptions {
  address: string;
  /** Deadline of each call, milliseconds. */
  timeout: number;
  json: boolean;
}

export function globalOptions(command: Command): GlobalOptions {
  const o = command.optsWithGlobals<GlobalOptions>();
  return { address: o.address, timeout: o.timeout, json: Boolean(o.json) };
}

/** Runs a command's work with a client of the gateway, closing it afterwards so the process can exit. */
export async function withClient<T>(command: Command, work: (client: EngramClient, options: GlobalOptions) => Promise<T>): Promise<T> {
  const options = globalOptions(command);
  const client = createClient({ address: options.address, timeoutMs: options.timeout });
  try {
    return await work(client, options);
  } finally {
    client.close();
  }
}

/**
 * A commander argument parser from one of input.ts's parsers: an InputError becomes commander's usage error,
 * reported as `error: option '--ttl <duration>' argument 'x' is invalid. …` with exit code 2.
 */
export function flag<T>(parse: (text: string, field: string) => T, field: string): (value: string) => T {
  return (value) => {
    try {
      return parse(value, field);
    } catch (err) {
      // Commander names the option already: keep only the reason.
      if (err instanceof InputError) throw new InvalidArgumentError(err.message.replace(`${field}: `, ''));
      throw err;
    }
  };
}

/** A repeatable option: each occurrence is parsed and appended. */
export function repeatable<T>(parse: (text: string, field: string) => T, field: string): (value: string, previous: T[] | undefined) => T[] {
  const one = flag(parse, field);
  return (value, previous) => [...(previous ?? []), one(value)];
}

export const text = (value: string): string => value;
