import type { z } from 'zod';

/** One documented setting. Its value comes from a flag, else its environment variable, else its default. */
export interface Setting<T = unknown> {
  /** Environment variable; the flag is derived from it (ENGRAM_STORAGE_BLOCK_SIZE → --storage-block-size). */
  readonly env: string;
  /** Default as a user would write it; parsed by the same parser as any other value. */
  readonly default: string;
  /** What the setting does, one sentence. */
  readonly doc: string;
  readonly parse: z.ZodType<T, string>;
}

export type SettingMap = Record<string, Setting>;

/** A group of settings: one section of the configuration reference, often one struct of the seed. */
export interface Group<S extends SettingMap = SettingMap> {
  readonly title: string;
  /** The seed struct this group implements, if any (e.g. "BadgerOptions"). */
  readonly seed?: string;
  readonly settings: S;
  /** Cross-setting validation; returns a problem or undefined. */
  check?(values: GroupValues<S>): string | undefined;
}

export type GroupValues<S extends SettingMap> = { readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

export type GroupMap = Record<string, Group>;

export type ConfigOf<G extends GroupMap> = { readonly [K in keyof G]: G[K] extends Group<infer S> ? GroupValues<S> : never };

export function setting<T>(env: string, def: string, doc: string, parse: z.ZodType<T, string>): Setting<T> {
  return { env, default: def, doc, parse };
}

export function group<S extends SettingMap>(g: Group<S>): Group<S> {
  return g;
}

/** The flag that sets an environment variable's setting. */
export function flagOf(env: string): string {
  return `--${env.replace(/^ENGRAM_/, '').toLowerCase().replace(/_/g, '-')}`;
}
