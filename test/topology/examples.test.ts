import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTopology } from '../../src/topology/load.js';
import { runCli } from '../helpers/cli.js';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
/** The ```yaml blocks of a markdown file that describe a topology. */
const yamlBlocks = (markdown: string) => [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => /^regions:/m.test(b));

describe('topology examples', () => {
  it('the README and the runbook show files that load', () => {
    const blocks = [...yamlBlocks(read('README.md')), ...yamlBlocks(read('docs/disaster-recovery.md'))];
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const block of blocks) expect(parseTopology(block, 'example').regions.map((r) => r.name)).toEqual(['eu', 'us']);
  });

  it('dr --help shows a file that loads', async () => {
    const help = (await runCli(['dr', '--help'], { url: 'http://127.0.0.1:1' })).stdout;
    const example = help.slice(help.indexOf('A minimal file:') + 'A minimal file:'.length, help.indexOf('With --topology')).replace(/^ {2}/gm, '');
    expect(parseTopology(example, 'help').regions.map((r) => r.postgres.standbyName)).toEqual(['eu', 'us']);
  });
});
