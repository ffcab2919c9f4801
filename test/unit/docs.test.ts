import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const DOCS = ['README.md', 'README.zh-CN.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Markdown links and images: [text](target) and ![alt](target). */
function links(text: string): string[] {
  return [...text.replace(/```[\s\S]*?```/g, '').matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchors(text: string): Set<string> {
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s/g, '-')));
}

describe('README and docs/', () => {
  it('keep the README a door: at most 8 KiB', () => {
    expect(statSync(path.join(ROOT, 'README.md')).size).toBeLessThanOrEqual(8192);
  });

  it('link only to files in the repository, and to headings that exist', () => {
    const broken: string[] = [];
    for (const doc of DOCS) {
      for (const link of links(readFileSync(path.join(ROOT, doc), 'utf8'))) {
        if (/^[a-z]+:/i.test(link)) {
          broken.push(`${doc}: ${link} (points outside the repository)`);
          continue;
        }
        const [file, anchor] = link.split('#');
        const target = file ? path.resolve(path.dirname(path.join(ROOT, doc)), file) : path.join(ROOT, doc);
        if (!target.startsWith(ROOT + path.sep) || !existsSync(target)) broken.push(`${doc}: ${link}`);
        else if (anchor && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(anchor)) broken.push(`${doc}: ${link} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('find a broken link (the check itself works)', () => {
    expect(links('see [x](docs/nowhere.md) and ![y](a.png), not in ```\n[w](v)\n```')).toEqual(['docs/nowhere.md', 'a.png']);
    expect(anchors('## One authority over a problem’s state\n### Several instances')).toEqual(new Set(['one-authority-over-a-problems-state', 'several-instances']));
  });

  it('name no design file outside the repository', () => {
    for (const doc of DOCS) expect(`${doc}: ${readFileSync(path.join(ROOT, doc), 'utf8').includes('../shared')}`).toBe(`${doc}: false`);
  });
});
