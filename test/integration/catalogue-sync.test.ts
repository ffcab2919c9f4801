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
