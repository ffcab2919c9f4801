import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The layers of the code, lowest first: a file may import from its own layer and the ones below it, never from one
 * above. So the domain is pure, lower layers never reach up (delivery never into services, config never into
 * delivery), and no folder cycle can form.
 */
const LAYERS: Array<[layer: string, paths: string[]]> = [
  ['domain', ['src/domain']],
  ['base', ['src/project-root.ts', 'src/logger.ts', 'src/crash-points.ts', 'src/heap-policy.ts']],
  ['config', ['src/config', 'migrations']],
  ['db', ['src/db']],
  ['adapters', ['src/ingest', 'src/export', 'src/repositories']],
  ['delivery', ['src/delivery']],
  ['services', ['src/services']],
  ['pipeline', ['jobs']],
  ['runtime', ['src/queue']],
  ['ops', ['src/ops']],
  ['api', ['src/api', 'src/console']],
  ['composition', ['src/app-context.ts']],
  ['daemon', ['src/daemon.ts']],
  ['entry', ['src/cli', 'src/demo']],
];

const ROOT = path.join(__dirname, '..', '..');

function layerOf(file: string): number {
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  const i = LAYERS.findIndex(([, paths]) => paths.some((p) => rel === p || rel.startsWith(`${p}/`)));
  if (i < 0) throw new Error(`${rel} is in no layer: add it to LAYERS`);
  return i;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sources(full) : name.endsWith('.ts') ? [full] : [];
  });
}

/** Relative imports (value or type) of a file, resolved to files. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => {
    const target = path.resolve(path.dirname(file), s);
    for (const candidate of [`${target}.ts`, path.join(target, 'index.ts')]) {
      try {
        if (statSync(candidate).isFile()) return candidate;
      } catch {
        // next candidate
      }
    }
    throw new Error(`${path.relative(ROOT, file)}: cannot resolve ${s}`);
  });
}

function violations(files: string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    for (const target of importsOf(file)) {
      const [from, to] = [layerOf(file), layerOf(target)];
      if (to > from) out.push(`${path.relative(ROOT, file)} (${LAYERS[from]![0]}) imports ${path.relative(ROOT, target)} (${LAYERS[to]![0]})`);
    }
  }
  return out;
}

describe('layers', () => {
  const files = [...sources(path.join(ROOT, 'src')), ...sources(path.join(ROOT, 'jobs')), ...sources(path.join(ROOT, 'migrations'))];

  it('point down only', () => {
    expect(violations(files)).toEqual([]);
  });

  it('catch a lower layer reaching up (the check itself works)', () => {
    const relay = path.join(ROOT, 'src/services/outbox-relay.service.ts');
    expect(importsOf(relay).some((t) => layerOf(t) === layerOf(path.join(ROOT, 'src/delivery/mail-transport.ts')))).toBe(true);
    // Were the relay in delivery/, its import of the ledger service would be one.
    expect(layerOf(path.join(ROOT, 'src/delivery/x.ts'))).toBeLessThan(layerOf(path.join(ROOT, 'src/services/ledger.service.ts')));
    expect(files.length).toBeGreaterThan(100);
  });

  it('keep the domain free of I/O', () => {
    const io = /from '(node:(fs|net|http|https|child_process|worker_threads)|pg|kysely|ioredis|bullmq|nodemailer|fastify)'/;
    const impure = files.filter((f) => layerOf(f) === 0 && io.test(readFileSync(f, 'utf8')));
    expect(impure.map((f) => path.relative(ROOT, f))).toEqual([]);
  });
});
