import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * Where the standard public datasets live: ENGRAM_DATASETS, or ../shared/datasets beside the project root (they
 * are shared, never copied into the project). This file sits at packages/patterns/{src,dist}/, four levels below
 * the directory that holds the project.
 */
export function datasetsDir(): string {
  const fromEnv = process.env.ENGRAM_DATASETS;
  if (fromEnv) return path.resolve(fromEnv);
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/datasets');
}

/** The path of one dataset file; throws naming both the file and how to point at the directory when it is missing. */
export function datasetPath(name: string): string {
  const file = path.join(datasetsDir(), name);
  if (!existsSync(file)) {
    throw new Error(`dataset ${name} not found at ${file}; set ENGRAM_DATASETS to the directory that holds it`);
  }
  return file;
}
