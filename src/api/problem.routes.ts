import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Identity, reaches, unitScope } from '../domain/access-policy';
import { eventLabel } from '../domain/ledger-events';
import { indicatorCode, problemState, unitCode } from '../domain/names';
import { hasRunningDeadline, ProblemState, STATE_LABELS } from '../domain/problem-state';
import { WorkingCalendar } from '../domain/working-calendar';
import { addDays, dayIn } from '../domain/day';
import { mondayOf, parseIsoWeek } from '../domain/iso-week';
import type { EvidenceUpload } from '../repositories/evidence.repository';
import { describeMove, ManualAction } from '../services/problem-action.service';
import { ApiError, notFound } from './api-error';
import type { ApiDeps } from './api-server';
import { ERROR_SCHEMA, ID_PARAMS, REFUSALS, ROW_SCHEMA, WEEK_SCHEMA } from './schemas';

const PROBLEM_SCHEMA = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'state', 'state_label', 'unit', 'unit_code', 'owner', 'owner_code', 'indicator'],
  properties: {
    id: { type: 'integer' },
    state: { type: 'string' },
    state_label: { type: 'string' },
    unit: { type: 'string' },
    unit_code: { type: 'string' },
    owner: { type: 'string' },
    owner_code: { type: 'string' },
    indicator: { type: 'string' },
    deadline: { type: 'string', nullable: true },
    alert: { type: 'number', nullable: true, description: '现行预警值' },
    deadline_working_days: { type: 'integer', nullable: true, description: '距整改期限的工作日数（负数为已逾期）' },
  },
} as const;

const MOVE_SCHEMA = {
  type: 'object',
  required: ['id', 'from', 'to', 'message'],
  properties: { id: { type: 'integer' }, from: { type: 'string' }, to: { type: 'string' }, deadline: { type: 'string', nullable: true }, message: { type: 'string' } },
} as const;

const NOTE = { type: 'string', maxLength: 2000 } as const;

/** Problems: the list and one problem's story for whoever may see them; the actions on them for whoever may act. */
export async function problemRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { services, config } = deps;

  const calendar = new WorkingCalendar(config.calendar);
  /**
   * Problems as people read them: the state in Chinese, the indicator's 预警值 in force today, and the working days
   * left to the deadline (negative: overdue by that many) while one runs.
   */
  const described = async <P extends { state: ProblemState; indicator: string; deadline: string | null }>(rows: P[]) => {
    const today = dayIn(config.timezone, deps.now());
    const alerts = new Map((await services.thresholds.inForceOn(today)).map((v) => [v.name, v.alert_value === null ? null : Number(v.alert_value)]));
    return rows.map((r) => ({
      ...r,
      state_label: STATE_LABELS[r.state],
      alert: alerts.get(r.indicator) ?? null,
      deadline_working_days: r.deadline && hasRunningDeadline(r.state) ? calendar.workingDaysBetween(today, r.deadline) : null,
    }));
  };

  /** A problem the asker may see, or 404 as if it did not exist. */
  const visible = async (who: Identity, id: number) => {
    const p = await services.problemActions.show(id);
    if (!p || !reaches(who, [p.unit_code, p.owner_code])) throw notFound(`编号为 ${id} 的问题`);
    return p;
  };

  api.get<{ Querystring: { unit?: string; indicator?: string; state?: string; week?: string; limit?: number } }>(
    '/problems',
    {
      config: { action: 'problems.read' },
      schema: {
        summary: '问题列表（最新的在前）；责任单位负责人只看到本单位的问题',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            unit: { type: 'string', description: '单位或责任单位：代码、名称或别名' },
            indicator: { type: 'string', description: '指标：代码、名称或别名' },
            state: { type: 'string', description: '状态：代码或名称（如 整改中）' },
            week: { ...WEEK_SCHEMA, description: '这一周内出现过的问题，如 2026-W48' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 },
          },
        },
        response: { 200: { type: 'object', required: ['problems'], properties: { problems: { type: 'array', items: PROBLEM_SCHEMA } } }, ...REFUSALS },
      },
    },
    async (req) => {
      const q = req.query;
      const monday = q.week ? mondayOf(parseIsoWeek(q.week)) : undefined;
      const scope = unitScope(req.identity!);
      const rows = await services.problemActions.list({
        unit: q.unit === undefined ? undefined : unitCode(config, q.unit),
        indicator: q.indicator === undefined ? undefined : indicatorCode(config, q.indicator),
        state: q.state === undefined ? undefined : problemState(q.state),
        ...(scope === 'all' ? {} : { withinUnits: scope }),
        ...(monday ? { seenFrom: monday, seenTo: addDays(monday, 6) } : {}),
        limit: q.limit ?? 200,
      });
      return { problems: await described(rows) };
    },
  );

  api.get<{ Params: { id: number } }>(
    '/problems/:id',
    {
      config: { action: 'problems.read' },
      schema: {
        summary: '一个问题：现状、经过（台账事件）和证据文件',
        params: ID_PARAMS,
        response: {
          200: {
            type: 'object',
            required: ['problem', 'timeline', 'evidence'],
            properties: {
              problem: PROBLEM_SCHEMA,
              timeline: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { seq: { type: 'integer' }, recorded_at: { type: 'string' }, type: { type: 'string' }, type_label: { type: 'string' }, actor: { type: 'string' }, description: { type: 'string' } },
                },
              },
              evidence: { type: 'array', items: ROW_SCHEMA },
            },
          },
          ...REFUSALS,
        },
      },
    },
    async (req) => {
      const p = await visible(req.identity!, req.params.id);
      const [events, evidence] = await Promise.all([services.audit.describedEvents({ problem: p.id }), services.problemActions.evidence(p.id)]);
      return {
        problem: (await described([p]))[0]!,
        timeline: events.map((e) => ({ seq: e.seq, recorded_at: e.recorded_at.toISOString(), type: e.type, type_label: eventLabel(e.type), actor: e.actor, description: e.description })),
        evidence: evidence.map((f) => ({ ...f, created_at: f.created_at.toISOString() })),
      };
    },
  );

  api.get<{ Params: { id: number; fileId: number } }>(
    '/problems/:id/evidence/:fileId',
    {
      config: { action: 'problems.read' },
      schema: {
        summary: '下载一个证据文件（原样）',
        params: { type: 'object', required: ['id', 'fileId'], properties: { id: { type: 'integer', minimum: 1 }, fileId: { type: 'integer', minimum: 1 } } },
        response: { 200: { type: 'string', format: 'binary' }, ...REFUSALS },
      },
    },
    async (req, reply) => {
      await visible(req.identity!, req.params.id);
      const f = await services.problemActions.evidenceFile(req.params.id, req.params.fileId);
      if (!f) throw notFound('这个证据文件');
      return reply
        .type(f.content_type)
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(f.file_name)}`)
        .header('x-content-sha256', f.sha256)
        .send(f.content);
    },
  );

  /** Runs an action on a visible problem as the asker; the state machine decides, the ledger records the asker. */
  const act = async (req: FastifyRequest<{ Params: { id: number } }>, action: ManualAction, actor: string, attach: EvidenceUpload[] = []) => {
    await visible(req.identity!, req.params.id);
    const { from, problem } = await services.problemActions.act(req.params.id, action, { actor }, attach);
    return { id: problem.id, from, to: problem.state, deadline: problem.deadline, message: describeMove(problem.id, from, problem.state) };
  };

  api.post<{ Params: { id: number }; Body: { measures: string; note?: string; contact?: string; evidence?: Array<{ fileName: string; contentType: string; contentBase64: string }> } }>(
    '/problems/:id/respond',
    {
      config: { action: 'problems.respond' },
      schema: {
        summary: '责任单位反馈整改措施（问题转为待核验），可附证据文件',
        params: ID_PARAMS,
        body: {
          type: 'object',
          required: ['measures'],
          additionalProperties: false,
          properties: {
            measures: { type: 'string', minLength: 1, maxLength: 4000, description: '整改措施及完成情况' },
            note: NOTE,
            contact: { type: 'string', maxLength: 200, description: '联系人及电话' },
            evidence: {
              type: 'array',
              maxItems: 5,
              items: {
                type: 'object',
                required: ['fileName', 'contentType', 'contentBase64'],
                additionalProperties: false,
                properties: { fileName: { type: 'string', minLength: 1, maxLength: 200 }, contentType: { type: 'string', minLength: 1 }, contentBase64: { type: 'string', minLength: 1 } },
              },
            },
          },
        },
        response: { 200: MOVE_SCHEMA, 409: ERROR_SCHEMA, 413: ERROR_SCHEMA, ...REFUSALS },
      },
    },
    async (req) => {
      const who = req.identity!;
      const attach = (req.body.evidence ?? []).map((f) => evidenceUpload(f, config.api));
      const contact = req.body.contact?.trim();
      // Through a reply link the person is who the reply names; with a token, the token's person.
      const actor = who.via === 'link' && contact ? `${contact}（${who.person}）` : who.person;
      const note = [req.body.note?.trim(), contact ? `联系人：${contact}` : undefined].filter(Boolean).join('；');
      return act(req, { type: 'respond', measures: req.body.measures.trim(), ...(note ? { note } : {}) }, actor, attach);
    },
  );

  const simple = (path: string, action: 'problems.verify' | 'problems.close' | 'problems.assign', summary: string, make: (who: Identity) => ManualAction) =>
    api.post<{ Params: { id: number }; Body: { note?: string } }>(
      path,
      {
        config: { action },
        schema: {
          summary,
          params: ID_PARAMS,
          body: { type: 'object', additionalProperties: false, properties: { note: NOTE } },
          response: { 200: MOVE_SCHEMA, 409: ERROR_SCHEMA, ...REFUSALS },
        },
      },
      async (req) => act(req, { ...make(req.identity!), ...(req.body?.note ? { note: req.body.note } : {}) } as ManualAction, req.identity!.person),
    );
  simple('/problems/:id/verify', 'problems.verify', '核验人签字确认整改到位', (who) => ({ type: 'verify', by: who.person }));
  simple('/problems/:id/close', 'problems.close', '销号（默认须数据确认恢复且有核验人签字）', () => ({ type: 'close' }));
  simple('/problems/:id/assign', 'problems.assign', '手工交办：开始计算整改期限', () => ({ type: 'assign' }));

  const withReason = (path: string, action: 'problems.dismiss' | 'problems.reopen' | 'problems.verify', summary: string, type: 'dismiss' | 'reopen' | 'send_back') =>
    api.post<{ Params: { id: number }; Body: { reason: string; note?: string } }>(
      path,
      {
        config: { action },
        schema: {
          summary,
          params: ID_PARAMS,
          body: { type: 'object', required: ['reason'], additionalProperties: false, properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 }, note: NOTE } },
          response: { 200: MOVE_SCHEMA, 409: ERROR_SCHEMA, ...REFUSALS },
        },
      },
      async (req) => act(req, { type, reason: req.body.reason, ...(req.body.note ? { note: req.body.note } : {}) }, req.identity!.person),
    );
  withReason('/problems/:id/dismiss', 'problems.dismiss', '撤销问题（须说明原因）', 'dismiss');
  withReason('/problems/:id/reopen', 'problems.reopen', '重新打开已销号或已撤销的问题（须说明原因）', 'reopen');
  withReason('/problems/:id/send-back', 'problems.verify', '核验人退回整改（须说明原因）：回到整改中，期限照旧', 'send_back');
}

/** A file of a reply, checked against the configured types and size and fingerprinted. */
function evidenceUpload(f: { fileName: string; contentType: string; contentBase64: string }, limits: { evidenceMaxBytes: number; evidenceTypes: readonly string[] }): EvidenceUpload {
  if (!limits.evidenceTypes.includes(f.contentType)) {
    throw new ApiError(415, 'unsupported_type', `不接受的证据文件类型 ${f.contentType}（可接受：${limits.evidenceTypes.join('、')}）`);
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(f.contentBase64)) throw new ApiError(400, 'invalid_request', `证据文件 ${f.fileName} 的内容不是有效的 base64`);
  const content = Buffer.from(f.contentBase64, 'base64');
  if (content.length === 0) throw new ApiError(400, 'invalid_request', `证据文件 ${f.fileName} 为空`);
  if (content.length > limits.evidenceMaxBytes) throw new ApiError(413, 'too_large', `证据文件 ${f.fileName} 超过 ${Math.round(limits.evidenceMaxBytes / 1024 / 1024)} MB 的上限`);
  return { fileName: f.fileName, contentType: f.contentType, content, sha256: createHash('sha256').update(content).digest('hex') };
}
