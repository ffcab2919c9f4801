import { sql } from 'kysely';
import { loadConfig } from '../../src/config/load-config';
import { syncCatalogue } from '../../src/services/catalogue-sync.service';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('catalogue');
});
afterAll(() => db.drop());

describe('catalogue sync', () => {
  it('inserts the configured catalogue, changes nothing on a second sync, deactivates what config dropped and reactivates it', async () => {
    const config = loadConfig();
    const first = await syncCatalogue(db.db, config);
    expect(first.unitsChanged).toHaveLength(config.units.length);
    expect(first.indicatorsChanged).toHaveLength(11);
    // Each indicator's thresholds become its first version, judging from the calendar's first day, recorded in the ledger.
    expect(first.thresholdsAdopted).toHaveLength(11);
    const adopted = await db.db.selectFrom('ledger_events').select(['actor', 'payload']).where('type', '=', 'threshold_version_applied').execute();
    expect(adopted).toHaveLength(11);
    expect(adopted.find((e) => (e.payload as { indicator: string }).indicator === 'satisfaction_rate')).toMatchObject({
      actor: 'duban',
      payload: { version: 1, change: 'added', effectiveFrom: `${Math.min(...config.calendar.map((c) => c.year))}-01-01`, thresholds: { alert: 99.8, direction: 'higher' } },
    });

    const nothing = { unitsChanged: [], unitsDeactivated: [], indicatorsChanged: [], indicatorsDeactivated: [], thresholdsAdopted: [], thresholdsUnapplied: [] };
    expect(await syncCatalogue(db.db, config)).toEqual(nothing);

    const fewer = {
      ...config,
      units: config.units.filter((u) => u.code !== 'jingde'),
      indicators: config.indicators
        .filter((i) => i.code !== 'e_license_usage_rate')
        .map((i) => (i.code === 'satisfaction_rate' ? { ...i, name: '群众好评率', alert: 99.5 } : i)),
    };
    // The name follows the file; the 预警值 does not: it is reported as not applied, and the version in force stays.
    expect(await syncCatalogue(db.db, fewer)).toEqual({
      unitsChanged: [],
      unitsDeactivated: ['jingde'],
      indicatorsChanged: ['satisfaction_rate'],
      indicatorsDeactivated: ['e_license_usage_rate'],
      thresholdsAdopted: [],
      thresholdsUnapplied: [expect.objectContaining({ code: 'satisfaction_rate', change: 'changed', fields: [{ field: 'alert', from: 99.8, to: 99.5 }] })],
    });
    const jingde = await db.db.selectFrom('units').select(['name', 'active']).where('code', '=', 'jingde').executeTakeFirstOrThrow();
    expect(jingde).toEqual({ name: '旌德县', active: false });
    const sat = await sql<{ name: string; alert_value: string; version: number }>`
      SELECT name, alert_value::text, version FROM indicators_on('2026-11-30') WHERE code = 'satisfaction_rate'`.execute(db.db);
    expect(sat.rows).toEqual([{ name: '群众好评率', alert_value: '99.8', version: 1 }]);
    expect(await db.db.selectFrom('ledger_events').select('seq').where('type', '=', 'threshold_version_applied').execute()).toHaveLength(11);

    const back = await syncCatalogue(db.db, config);
    expect(back.unitsChanged).toEqual(['jingde']);
    expect(back.indicatorsChanged.sort()).toEqual(['e_license_usage_rate', 'satisfaction_rate']);
    expect(back.thresholdsUnapplied).toEqual([]);
  });

  it('syncs a catalogue larger than one statement can carry', async () => {
    const config = loadConfig();
    const many = Array.from({ length: 12_000 }, (_, k) => ({
      code: `u${k}`, name: `单位${k}`, kind: 'county' as const, parent: 'xuancheng', aliases: [], contacts: [],
    }));
    const result = await syncCatalogue(db.db, { ...config, units: [...config.units, ...many] });
    expect(result.unitsChanged).toHaveLength(12_000);
    const n = await db.db.selectFrom('units').select((eb) => eb.fn.countAll<number>().as('n')).where('active', '=', true).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(config.units.length + 12_000);
  });
});

describe('catalogue sync of 50,000 units', () => {
  let big: TestDatabase;
  beforeAll(async () => {
    big = await createTestDatabase('catalogue_big');
  });
  afterAll(() => big.drop());

  it('writes them in one statement, then only what differs; odd text arrives as written', async () => {
    const config = loadConfig();
    const many = Array.from({ length: 50_000 }, (_, k) => ({
      code: `m${k}`,
      name: `单位${k}`,
      kind: 'department' as const,
      parent: 'xuancheng',
      aliases: [`别名${k}`, `M${k}`],
      contacts: [{ name: '联络员', email: `m${k}@example.gov.cn`, role: '联络员' }],
    }));
    const odd = {
      code: 'odd',
      name: 'a "quoted" \\ name\nover two lines\t🙂 宣',
      kind: 'county' as const,
      aliases: ['{a,b}', 'x"y', 'NULL', "it's", '\\N'],
      contacts: [{ name: 'n', phone: '0563', role: 'null' }, { name: '"' }],
    };
    const units = [...config.units, ...many, odd];
    const first = await syncCatalogue(big.db, { ...config, units });
    expect(first.unitsChanged).toEqual(units.map((u) => u.code));
    const stored = await big.db.selectFrom('units').select(['name', 'kind', 'parent_code', 'aliases', 'contacts']).where('code', '=', 'odd').executeTakeFirstOrThrow();
    expect(stored).toEqual({ name: odd.name, kind: 'county', parent_code: null, aliases: odd.aliases, contacts: odd.contacts });

    expect(await syncCatalogue(big.db, { ...config, units })).toMatchObject({ unitsChanged: [], unitsDeactivated: [] });
    // Unchanged rows are compared before ON CONFLICT, which would have locked (and so written) every one of them.
    const touched = await sql<{ n: number }>`SELECT count(*)::int AS n FROM units WHERE xmax::text <> '0'`.execute(big.db);
    expect(touched.rows[0]!.n).toBe(0);

    const edited = units
      .filter((u) => u.code !== 'm40' && u.code !== 'm41')
      .map((u) =>
        u.code === 'm30' ? { ...u, aliases: ['别名30'] } : u.code === 'm10' ? { ...u, name: '单位十' } : u.code === 'm20' ? { ...u, contacts: [{ name: '联络员', role: '联络员' }] } : u,
      );
    const third = await syncCatalogue(big.db, { ...config, units: edited });
    expect(third).toMatchObject({ unitsChanged: ['m10', 'm20', 'm30'], unitsDeactivated: ['m40', 'm41'] });
    const back = await syncCatalogue(big.db, { ...config, units });
    expect(back).toMatchObject({ unitsChanged: ['m10', 'm20', 'm30', 'm40', 'm41'], unitsDeactivated: [] });
  });
});
