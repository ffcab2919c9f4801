import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * One authority over a problem's state: src/domain/problem-state.ts decides, and only two methods store what it
 * decided (their parameters are of its `DecidedStatus` type, which only it makes). This check reads every statement
 * in src/ that writes the problems table and fails on any other that sets a status column.
 */
const ROOT = path.join(__dirname, '..', '..');
const STATUS_COLUMNS = ['state', 'closed_on', 'deadline', 'assigned_on', 'escalation', 'data_confirmed', 'signed_off_by', 'reopen_count', 'letter_id'];
const ALLOWED = new Set(['ProblemRepository.saveDecisions', 'ProblemRepository.insertOpened']);

interface Write {
  where: string;
  sets: string[];
}

/** The enclosing class and method of each offset, from the declarations before it. */
function methodAt(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const cls = [...before.matchAll(/\bclass (\w+)/g)].at(-1)?.[1] ?? '(module)';
  const method = [...before.matchAll(/^ {2}(?:(?:private|public|static|async|readonly)\s+)*(\w+)\s*(?:<[^>]*>)?\(/gm)].at(-1)?.[1];
  const fn = [...before.matchAll(/^(?:export\s+)?(?:async\s+)?function\s+(\w+)/gm)].at(-1)?.[1];
  return `${cls}.${method ?? fn ?? '(top)'}`;
}

/** Every write to `problems` in a source text, with the columns it sets. */
function problemWrites(file: string, text: string): Write[] {
  const writes: Write[] = [];
  const columns = (s: string) => STATUS_COLUMNS.filter((c) => new RegExp(`(^|[\\s,({])${c}\\s*(=|:)`).test(s));
  // SQL: UPDATE problems … SET … (up to WHERE/FROM/RETURNING or the end of the template).
  for (const m of text.matchAll(/UPDATE\s+problems\b(?:\s+\w+)?\s+SET\b([\s\S]*?)(?=\bFROM\b|\bWHERE\b|\bRETURNING\b|`)/gi)) {
    writes.push({ where: `${file}: ${methodAt(text, m.index!)}`, sets: columns(m[1]!) });
  }
  for (const m of text.matchAll(/INSERT\s+INTO\s+problems\b([\s\S]*?)(?=`)/gi)) {
    writes.push({ where: `${file}: ${methodAt(text, m.index!)}`, sets: columns(m[1]!.replace(/[()]/g, ' ').replace(/,/g, ' = ,')) });
  }
  // Kysely: updateTable('problems') … .set({ … }), and insertInto('problems'), whose values are whatever it is given.
  for (const m of text.matchAll(/updateTable\(\s*'problems'\s*\)([\s\S]*?)\.execute/g)) {
    const set = /\.set\(([\s\S]*?)\)\s*\.(where|execute|returning)/.exec(m[1]!)?.[1] ?? '';
    writes.push({ where: `${file}: ${methodAt(text, m.index!)}`, sets: /\.\.\./.test(set) ? ['(spread)'] : columns(set) });
  }
  for (const m of text.matchAll(/insertInto\(\s*'problems'\s*\)/g)) writes.push({ where: `${file}: ${methodAt(text, m.index!)}`, sets: ['(values)'] });
  return writes;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sources(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

describe('writes of a problem’s status', () => {
  const writes = sources(path.join(ROOT, 'src')).flatMap((f) => problemWrites(path.relative(ROOT, f), readFileSync(f, 'utf8')));

  it('come only from the domain’s decisions', () => {
    const offending = writes.filter((w) => w.sets.length > 0 && !ALLOWED.has(w.where.split(': ')[1]!));
    expect(offending).toEqual([]);
  });

  it('are stored by the two methods that take decided statuses, and found by this check', () => {
    const found = new Set(writes.filter((w) => w.sets.length > 0).map((w) => w.where.split(': ')[1]));
    expect(found).toEqual(ALLOWED);
    const repo = readFileSync(path.join(ROOT, 'src/repositories/problem.repository.ts'), 'utf8');
    expect(repo).toMatch(/async saveDecisions\(rows: Array<\{ id: number; status: DecidedStatus \}>\)/);
    expect(repo).toMatch(/async insertOpened\(rows: Array<NewProblem & \{ status: DecidedStatus \}>\)/);
  });

  it('would catch a status written anywhere else (the check itself works)', () => {
    const planted = [
      "class LetterRepository {\n  async assignAll(ids: number[]) {\n    await sql`UPDATE problems p SET state = 'assigned', deadline = x.d FROM x WHERE p.id = x.id`.execute(this.db);\n  }\n}",
      "class ProblemRepository {\n  async close(id: number) {\n    await this.db.updateTable('problems').set({ closed_on: today }).where('id', '=', id).execute();\n  }\n}",
      "class ProblemRepository {\n  async bump(id: number) {\n    await sql`UPDATE problems SET anomaly_count = anomaly_count + 1 WHERE state = 'open'`.execute(this.db);\n  }\n}",
    ].map((t) => problemWrites('planted.ts', t));
    expect(planted[0]).toEqual([{ where: 'planted.ts: LetterRepository.assignAll', sets: ['state', 'deadline'] }]);
    expect(planted[1]).toEqual([{ where: 'planted.ts: ProblemRepository.close', sets: ['closed_on'] }]);
    // A comparison in WHERE is not a write.
    expect(planted[2]).toEqual([{ where: 'planted.ts: ProblemRepository.bump', sets: [] }]);
  });
});
