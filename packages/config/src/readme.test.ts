import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderReadme } from './readme-table.js';

describe('README configuration reference', () => {
  it('is the one generated from the settings (run npm run docs:config after changing a setting)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(renderReadme(readme)).toBe(readme);
  });
});
