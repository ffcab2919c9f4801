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

    expect(await syncCatalogue(db.db, config)).toEqual({ unitsChanged: [], unitsDeactivated: [], indicatorsChanged: [], indicatorsDeactivated: [] });

    const fewer = {
      units: config.units.filter((u) => u.code !== 'jingde'),
      indicators: config.indicators
        .filter((i) => i.code !== 'e_license_usage_rate')
        .map((i) => (i.code === 'satisfaction_rate' ? { ...i, alert: 99.5 } : i)),
    };
    expect(await syncCatalogue(db.db, fewer)).toEqual({
      unitsChanged: [],
      unitsDeactivated: ['jingde'],
      indicatorsChanged: ['satisfaction_rate'],
      indicatorsDeactivated: ['e_license_usage_rate'],
    });
    const jingde = await db.db.selectFrom('units').select(['name', 'active']).where('code', '=', 'jingde').executeTakeFirstOrThrow();
    expect(jingde).toEqual({ name: '旌德县', active: false });
    const sat = await db.db.selectFrom('indicators').select('alert_value').where('code', '=', 'satisfaction_rate').executeTakeFirstOrThrow();
    expect(sat.alert_value).toBe('99.5');

    const back = await syncCatalogue(db.db, config);
    expect(back.unitsChanged).toEqual(['jingde']);
    expect(back.indicatorsChanged.sort()).toEqual(['e_license_usage_rate', 'satisfaction_rate']);
  });

  it('syncs a catalogue larger than one statement can carry', async () => {
    const config = loadConfig();
    const many = Array.from({ length: 12_000 }, (_, k) => ({
      code: `u${k}`, name: `单位${k}`, kind: 'county' as const, parent: 'xuancheng', aliases: [], contacts: [],
    }));
    const result = await syncCatalogue(db.db, { units: [...config.units, ...many], indicators: config.indicators });
    expect(result.unitsChanged).toHaveLength(12_000);
    const n = await db.db.selectFrom('units').select((eb) => eb.fn.countAll<number>().as('n')).where('active', '=', true).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(config.units.length + 12_000);
  });
});
