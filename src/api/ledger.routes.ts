import type { FastifyInstance } from 'fastify';
import { dayIn } from '../domain/day';
import { EVENT_LABELS, eventLabel } from '../domain/ledger-events';
import { readLedgerFilter } from '../domain/ledger-filter';
import { LEDGER_STATUS_LABELS, LEDGER_STATUSES } from '../domain/ledger-status';
import { WorkingCalendar } from '../domain/working-calendar';
import { indicatorCode, problemState, unitCode } from '../domain/names';
import { ExportFormat, renderTable } from '../export/table-export';
import { describeAudit } from '../services/audit-report-text';
import { auditHolds } from '../services/audit.service';
import { checkpointsToCheck } from '../services/checkpoint-copies';
import type { ApiDeps } from './api-server';
import { DAY_SCHEMA, REFUSALS } from './schemas';

const EVENT_SCHEMA = {
  type: 'object',
  required: ['seq', 'recorded_at', 'type', 'type_label', 'actor', 'description'],
  properties: {
    seq: { type: 'integer' },
    recorded_at: { type: 'string' },
    type: { type: 'string' },
    type_label: { type: 'string' },
    actor: { type: 'string' },
    problem_id: { type: 'integer', nullable: true },
    unit: { type: 'string', nullable: true },
    indicator: { type: 'string', nullable: true },
    rule_id: { type: 'string', nullable: true },
    description: { type: 'string' },
    payload: { type: 'object', additionalProperties: true },
  },
} as const;

const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  json: 'application/json; charset=utf-8',
};

/** The 台账 for auditors and the director: its events (filtered, a page at a time), its export, and its verification. */
export async function ledgerRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { services, config } = deps;

  api.get<{
    Querystring: { from?: string; to?: string; unit?: string; indicator?: string; problem?: number; state?: string; type?: string; actor?: string; cursor?: number; limit?: number };
  }>(
    '/ledger/events',
    {
      config: { action: 'ledger.read' },
      schema: {
        summary: '台账事件（按序号，逐页：下一页用返回的 next_cursor）',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { ...DAY_SCHEMA, description: '业务日起（事件所涉的日子）' },
            to: { ...DAY_SCHEMA, description: '业务日止' },
            unit: { type: 'string' },
            indicator: { type: 'string' },
            problem: { type: 'integer', minimum: 1 },
            state: { type: 'string', description: '问题当前状态' },
            type: { type: 'string', enum: Object.keys(EVENT_LABELS) },
            actor: { type: 'string' },
            cursor: { type: 'integer', minimum: 0, description: '上一页的 next_cursor' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 },
          },
        },
        response: { 200: { type: 'object', required: ['events', 'next_cursor'], properties: { events: { type: 'array', items: EVENT_SCHEMA }, next_cursor: { type: 'integer', nullable: true } } }, ...REFUSALS },
      },
    },
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? 200;
      const events = await services.audit.describedEvents({
        from: q.from,
        to: q.to,
        unit: q.unit === undefined ? undefined : unitCode(config, q.unit),
        indicator: q.indicator === undefined ? undefined : indicatorCode(config, q.indicator),
        problem: q.problem,
        state: q.state === undefined ? undefined : problemState(q.state),
        type: q.type,
        actor: q.actor,
        afterSeq: q.cursor,
        limit,
      });
      return {
        events: events.map((e) => ({ ...e, recorded_at: e.recorded_at.toISOString(), type_label: eventLabel(e.type) })),
        next_cursor: events.length === limit ? events.at(-1)!.seq : null,
      };
    },
  );

  api.get<{ Querystring: { format?: ExportFormat; unit?: string; indicator?: string; state?: string; from?: string; to?: string } }>(
    '/ledger/export',
    {
      config: { action: 'ledger.export' },
      schema: {
        summary: '导出问题台账（每个问题一行，列与 duban audit ledger 相同），可按单位（单位或责任单位）、指标、状态和发现日期筛选；问题表与台账不一致时拒绝导出',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            format: { type: 'string', enum: ['csv', 'xlsx', 'json'], default: 'xlsx' },
            unit: { type: 'string', description: '单位或责任单位：代码、名称或别名' },
            indicator: { type: 'string', description: '指标：代码、名称或别名（数据未报送的问题按其所列指标）' },
            state: { type: 'string', description: `状态：${LEDGER_STATUSES.map((s) => LEDGER_STATUS_LABELS[s]).join('、')}，或英文代码（${LEDGER_STATUSES.join('、')}）` },
            from: { ...DAY_SCHEMA, description: '发现日期起' },
            to: { ...DAY_SCHEMA, description: '发现日期止' },
          },
        },
        response: { 200: { type: 'string', format: 'binary' }, ...REFUSALS },
      },
    },
    async (req, reply) => {
      const format = req.query.format ?? 'xlsx';
      const today = dayIn(config.timezone, deps.now());
      const { filter, text } = readLedgerFilter(config, req.query);
      const table = await services.audit.ledgerExport(filter, {
        asOf: today,
        calendar: new WorkingCalendar(config.calendar),
        bureau: config.bureau.name,
        by: req.identity!.person,
        filterText: text,
      });
      const file = await renderTable(table, format);
      return reply
        .type(CONTENT_TYPES[format])
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(`问题台账-${today}.${format}`)}`)
        .send(file);
    },
  );

  api.get(
    '/audit/verify',
    {
      config: { action: 'audit.verify' },
      schema: {
        summary: '核验台账（哈希链、签名检查点、问题表重演、采集数值指纹），同 duban audit verify',
        response: { 200: { type: 'object', required: ['holds', 'lines'], properties: { holds: { type: 'boolean' }, lines: { type: 'array', items: { type: 'string' } }, events: { type: 'integer' } } }, ...REFUSALS },
      },
    },
    async () => {
      const checkpoints = await checkpointsToCheck(config.audit.checkpoints);
      const report = await services.audit.verify({ ...(checkpoints ? { checkpoints } : {}), values: true });
      return { holds: auditHolds(report), lines: describeAudit(report, checkpoints?.sources), events: report.chain.checked };
    },
  );
}
