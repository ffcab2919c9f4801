import type { FastifyInstance } from 'fastify';
import { dayIn } from '../domain/day';
import { isoWeekOf, parseIsoWeek } from '../domain/iso-week';
import { notFound } from './api-error';
import type { ApiDeps } from './api-server';
import { DAY_SCHEMA, ERROR_SCHEMA, ID_PARAMS, REFUSALS, ROW_SCHEMA, WEEK_SCHEMA } from './schemas';

/** The director's cockpit, and the operator's view of the machinery: ingest runs and their rejects, failed mail. */
export async function operationsRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { services, config } = deps;
  const today = () => dayIn(config.timezone, deps.now());

  api.get<{ Querystring: { week?: string } }>(
    '/cockpit',
    {
      config: { action: 'cockpit.read' },
      schema: {
        summary: '决策驾驶舱：指标卡片（全市值、预警值、较上周、低于预警值的单位）、逾期排名、各指标排名、通报、趋势、本周新增/销号/逾期',
        querystring: { type: 'object', additionalProperties: false, properties: { week: { ...WEEK_SCHEMA, description: '哪一周（默认本周）' } } },
        response: { 200: ROW_SCHEMA, ...REFUSALS },
      },
    },
    async (req) => services.summary.cockpit(req.query.week ? parseIsoWeek(req.query.week) : isoWeekOf(today())),
  );

  api.get<{ Querystring: { day?: string } }>(
    '/ingest/runs',
    {
      config: { action: 'operations.read' },
      schema: {
        summary: '某天（默认今天）的采集批次：每个数据源的单元格去向（新增、修订、未变、重复、拒收、忽略）',
        querystring: { type: 'object', additionalProperties: false, properties: { day: DAY_SCHEMA } },
        response: { 200: { type: 'object', properties: { day: { type: 'string' }, runs: { type: 'array', items: ROW_SCHEMA } } }, ...REFUSALS },
      },
    },
    async (req) => {
      const day = req.query.day ?? today();
      const runs = await services.ingest.runsOf(day);
      return { day, runs: runs.map((r) => ({ ...r, started_at: r.started_at.toISOString(), finished_at: r.finished_at?.toISOString() ?? null })) };
    },
  );

  api.get<{ Params: { id: number } }>(
    '/ingest/runs/:id/rejects',
    {
      config: { action: 'operations.read' },
      schema: {
        summary: '一个采集批次拒收的单元格（文件、行、列、原因、原文）和未读取的列',
        params: ID_PARAMS,
        response: { 200: { type: 'object', properties: { rejects: { type: 'array', items: ROW_SCHEMA }, ignoredColumns: { type: 'array', items: ROW_SCHEMA } } }, ...REFUSALS },
      },
    },
    async (req) => {
      const [rejects, ignoredColumns] = await Promise.all([services.ingest.rejects({ runId: req.params.id }, 1000), services.ingest.ignoredColumns({ runId: req.params.id })]);
      return { rejects, ignoredColumns };
    },
  );

  api.post<{ Params: { id: number } }>(
    '/messages/:id/retry',
    {
      config: { action: 'messages.retry' },
      schema: { summary: '重新发送一封发送失败的邮件（记入台账）', params: ID_PARAMS, response: { 200: { type: 'object', properties: { id: { type: 'integer' }, message: { type: 'string' } } }, 409: ERROR_SCHEMA, ...REFUSALS } },
    },
    async (req) => {
      if (!(await services.outbox.retry(req.params.id, req.identity!.person))) throw notFound(`编号为 ${req.params.id} 的发送失败的邮件`);
      return { id: req.params.id, message: `邮件 ${req.params.id} 已重新排队发送` };
    },
  );
}
