import type { FastifyInstance } from 'fastify';
import type { RuleDefinition } from '../config/rules-schema';
import { reaches } from '../domain/access-policy';
import { addDays, dayIn, daysBetween } from '../domain/day';
import { describeThresholds } from '../domain/indicator-thresholds';
import { indicatorCode, unitCode } from '../domain/names';
import { thresholdsOf } from '../repositories/indicator-version.repository';
import { compareBy } from '../services/backtest.service';
import { thresholdsFromConfig } from '../services/thresholds.service';
import { ApiError, notFound } from './api-error';
import type { ApiDeps } from './api-server';
import { DAY_SCHEMA, ERROR_SCHEMA, REFUSALS, ROW_SCHEMA } from './schemas';

const DAY_QUERY = { type: 'object', additionalProperties: false, properties: { day: { ...DAY_SCHEMA, description: '哪一天（默认今天）' } } } as const;
const APPLY_BODY = {
  type: 'object',
  required: ['reason'],
  additionalProperties: false,
  properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 }, effective: { ...DAY_SCHEMA, description: '从哪天起生效（默认今天）' } },
} as const;
const APPLIED = { type: 'object', required: ['changes', 'stored'], properties: { changes: { type: 'integer' }, stored: { type: 'array', items: { type: 'string' } }, effectiveFrom: { type: 'string' } } } as const;

/** Indicators, units and their values; rules and thresholds in force, and applying the configured files as versions. */
export async function catalogueRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { services, config } = deps;
  const today = () => dayIn(config.timezone, deps.now());

  api.get('/units', { config: { action: 'catalogue.read' }, schema: { summary: '单位目录', response: { 200: { type: 'object', properties: { units: { type: 'array', items: ROW_SCHEMA } } }, ...REFUSALS } } }, async () => ({
    units: config.units.map((u) => ({ code: u.code, name: u.name, kind: u.kind, parent: u.parent ?? null, aliases: u.aliases })),
  }));

  api.get<{ Querystring: { day?: string } }>(
    '/indicators',
    { config: { action: 'catalogue.read' }, schema: { summary: '指标及某天现行的阈值（预警值、先进值、方向……）', querystring: DAY_QUERY, response: { 200: { type: 'object', properties: { day: { type: 'string' }, indicators: { type: 'array', items: ROW_SCHEMA } } }, ...REFUSALS } } },
    async (req) => {
      const day = req.query.day ?? today();
      const versions = await services.thresholds.inForceOn(day);
      return {
        day,
        indicators: versions.map((v) => {
          const t = thresholdsOf(v);
          const named = config.indicators.find((i) => i.code === v.code);
          return { code: v.code, name: v.name, unit: named?.unit ?? '', ...t, version: v.version, effective_from: v.effective_from, description: describeThresholds(t) };
        }),
      };
    },
  );

  api.get<{ Params: { unit: string }; Querystring: { indicator?: string; from?: string; to?: string } }>(
    '/units/:unit/series',
    {
      config: { action: 'catalogue.read' },
      schema: {
        summary: '一个单位的指标数值（默认近 30 天）；责任单位负责人只能看本单位',
        params: { type: 'object', required: ['unit'], properties: { unit: { type: 'string', description: '单位：代码、名称或别名' } } },
        querystring: { type: 'object', additionalProperties: false, properties: { indicator: { type: 'string' }, from: DAY_SCHEMA, to: DAY_SCHEMA } },
        response: { 200: { type: 'object', properties: { unit: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, values: { type: 'array', items: ROW_SCHEMA } } }, ...REFUSALS },
      },
    },
    async (req) => {
      const unit = unitCode(config, req.params.unit);
      if (!reaches(req.identity!, [unit])) throw notFound(`单位“${req.params.unit}”的数据`);
      const to = req.query.to ?? today();
      const from = req.query.from ?? addDays(to, -29);
      const indicator = req.query.indicator === undefined ? undefined : indicatorCode(config, req.query.indicator);
      const values = await services.ingest.series(unit, indicator, from, to);
      return { unit, from, to, values: values.map((v) => ({ ...v, revised_at: v.revised_at?.toISOString() ?? null })) };
    },
  );

  api.get<{ Querystring: { day?: string } }>(
    '/rules',
    { config: { action: 'rules.read' }, schema: { summary: '某天现行的规则版本，以及已存、尚未生效的版本', querystring: DAY_QUERY, response: { 200: { type: 'object', properties: { day: { type: 'string' }, inForce: { type: 'array', items: ROW_SCHEMA }, pending: { type: 'array', items: ROW_SCHEMA } } }, ...REFUSALS } } },
    async (req) => {
      const day = req.query.day ?? today();
      const [inForce, pending] = await Promise.all([services.rules.inForceOn(day), services.rules.pendingAfter(day)]);
      const shown = (r: (typeof inForce)[number]) => ({ rule_id: r.rule_id, version: r.version, definition: r.definition as RuleDefinition | null, effective_from: r.effective_from, created_by: r.created_by, reason: r.reason, created_at: r.created_at.toISOString() });
      return { day, inForce: inForce.map(shown), pending: pending.map(shown) };
    },
  );

  api.get<{ Querystring: { day?: string } }>(
    '/thresholds',
    { config: { action: 'rules.read' }, schema: { summary: '某天现行的阈值版本，以及已存、尚未生效的版本', querystring: DAY_QUERY, response: { 200: { type: 'object', properties: { day: { type: 'string' }, inForce: { type: 'array', items: ROW_SCHEMA }, pending: { type: 'array', items: ROW_SCHEMA } } }, ...REFUSALS } } },
    async (req) => {
      const day = req.query.day ?? today();
      const [inForce, pending] = await Promise.all([services.thresholds.inForceOn(day), services.thresholds.pendingAfter(day)]);
      const shown = (v: (typeof inForce)[number]) => ({ indicator: v.code, name: v.name, version: v.version, ...thresholdsOf(v), effective_from: v.effective_from, created_by: v.created_by, reason: v.reason, created_at: v.created_at.toISOString() });
      return { day, inForce: inForce.map(shown), pending: pending.map(shown) };
    },
  );

  api.get<{ Querystring: { from: string; to: string } }>(
    '/rules/backtest',
    {
      config: { action: 'rules.apply' },
      schema: {
        summary: '回测：用规则文件中（拟应用）的规则重新评估 from 至 to 的历史数据，与现行规则对比每条规则、每个单位的异常数和问题数；不写入任何数据',
        querystring: { type: 'object', required: ['from', 'to'], additionalProperties: false, properties: { from: DAY_SCHEMA, to: DAY_SCHEMA } },
        response: { 200: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' }, byRule: { type: 'array', items: ROW_SCHEMA }, byUnit: { type: 'array', items: ROW_SCHEMA } } }, ...REFUSALS },
      },
    },
    async (req) => {
      const { from, to } = req.query;
      if (from > to) throw new ApiError(400, 'invalid_request', `起止日期颠倒：${from} 晚于 ${to}`);
      if (daysBetween(from, to) > 92) throw new ApiError(400, 'invalid_request', '回测区间至多 93 天');
      const report = await services.backtest.run(config.rules, from, to);
      const rows = (key: 'ruleId' | 'unit') =>
        compareBy(report, key).map((r) => ({ key: r.key, currentAnomalies: r.current.anomalies, proposedAnomalies: r.proposed.anomalies, currentFacts: r.current.facts, proposedFacts: r.proposed.facts }));
      return { from, to, byRule: rows('ruleId'), byUnit: rows('unit') };
    },
  );

  // Applying stores the files the service was started with (rules.yaml, indicators.yaml) as new versions, as
  // `duban rules apply` and `duban thresholds apply` do; the person is the token's.
  api.post<{ Body: { reason: string; effective?: string } }>(
    '/rules/apply',
    { config: { action: 'rules.apply' }, schema: { summary: '把规则文件的变更存为新版本（记入台账）', body: APPLY_BODY, response: { 200: APPLIED, 409: ERROR_SCHEMA, ...REFUSALS } } },
    async (req) => {
      const effectiveFrom = req.body.effective ?? today();
      const { changes, stored } = await services.rules.apply(config.rules, { by: req.identity!.person, reason: req.body.reason, effectiveFrom });
      return { changes: changes.length, stored: stored.map((v) => `${v.rule_id} 第 ${v.version} 版`), effectiveFrom };
    },
  );

  api.post<{ Body: { reason: string; effective?: string } }>(
    '/thresholds/apply',
    { config: { action: 'rules.apply' }, schema: { summary: '把指标文件中阈值的变更存为新版本（记入台账）', body: APPLY_BODY, response: { 200: APPLIED, 409: ERROR_SCHEMA, ...REFUSALS } } },
    async (req) => {
      const effectiveFrom = req.body.effective ?? today();
      const { changes, stored } = await services.thresholds.apply(thresholdsFromConfig(config.indicators), { by: req.identity!.person, reason: req.body.reason, effectiveFrom });
      return { changes: changes.length, stored: stored.map((v) => `${v.name} 第 ${v.version} 版`), effectiveFrom };
    },
  );
}
