import type { FastifyInstance } from 'fastify';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { OutboxRow } from '../db/schema';
import { outboxMail } from '../delivery/mail-transport';
import { Identity, unitScope } from '../domain/access-policy';
import { MESSAGE_KIND_LABELS } from '../domain/ledger-event-text';
import { unitCode } from '../domain/names';
import { notFound } from './api-error';
import type { ApiDeps } from './api-server';
import { ID_PARAMS, REFUSALS } from './schemas';

const KINDS = ['letter', 'alert', 'summary', 'notice', 'checkpoint'] as const;
/** What a lead may read: their units' letters and alerts; summaries and checkpoints are the bureau's. */
const LEAD_KINDS = ['letter', 'alert'] as const;

const MESSAGE_SCHEMA = {
  type: 'object',
  required: ['id', 'kind', 'kind_label', 'recipient', 'period', 'subject', 'status', 'created_at'],
  properties: {
    id: { type: 'integer' },
    kind: { type: 'string', enum: [...KINDS] },
    kind_label: { type: 'string' },
    recipient: { type: 'string', description: '交办函、预警：单位代码' },
    period: { type: 'string', description: '交办函、调度会材料：周（2026-W48）；预警：数据日期' },
    subject: { type: 'string' },
    status: { type: 'string' },
    message_id: { type: 'string' },
    created_at: { type: 'string' },
    delivered_at: { type: 'string', nullable: true },
  },
} as const;

/** Letters (交办函), alerts and summaries as sent: listed, read as HTML or text, and downloaded as .eml. */
export async function messageRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { services, config } = deps;

  /** What of the outbox the asker may see: a lead their units' letters and alerts (a reply link: of its period only). */
  const reach = (who: Identity): { kinds?: readonly OutboxRow['kind'][]; recipients?: readonly string[]; period?: string } => {
    const scope = unitScope(who);
    return scope === 'all' ? {} : { kinds: LEAD_KINDS, recipients: scope, ...(who.period ? { period: who.period } : {}) };
  };
  const visible = async (who: Identity, id: number): Promise<OutboxRow> => {
    const m = await services.outbox.get(id);
    const r = reach(who);
    const seen = m && (!r.kinds || (r.kinds.includes(m.kind) && r.recipients!.includes(m.recipient_key) && (!r.period || r.period === m.period)));
    if (!m || !seen) throw notFound(`编号为 ${id} 的邮件`);
    return m;
  };
  const summary = (m: OutboxRow) => ({
    id: m.id,
    kind: m.kind,
    kind_label: MESSAGE_KIND_LABELS[m.kind] ?? m.kind,
    recipient: m.recipient_key,
    period: m.period,
    subject: m.subject,
    status: m.status,
    message_id: m.message_id,
    created_at: m.created_at.toISOString(),
    delivered_at: m.delivered_at?.toISOString() ?? null,
  });

  api.get<{ Querystring: { kind?: (typeof KINDS)[number]; unit?: string; period?: string; limit?: number } }>(
    '/messages',
    {
      config: { action: 'letters.read' },
      schema: {
        summary: '交办函、督办通知（重大异常）、调度会材料（最新的在前）；责任单位负责人只看到本单位的交办函和督办通知',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            kind: { type: 'string', enum: [...KINDS] },
            unit: { type: 'string', description: '单位：代码、名称或别名' },
            period: { type: 'string', description: '周（2026-W48）或日期（2026-11-26）' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          },
        },
        response: { 200: { type: 'object', required: ['messages'], properties: { messages: { type: 'array', items: MESSAGE_SCHEMA } } }, ...REFUSALS },
      },
    },
    async (req) => {
      const q = req.query;
      const r = reach(req.identity!);
      const unit = q.unit === undefined ? undefined : unitCode(config, q.unit);
      const recipients = unit === undefined ? r.recipients : (r.recipients ?? [unit]).filter((u: string) => u === unit);
      const kinds = q.kind === undefined ? r.kinds : (r.kinds ?? KINDS).filter((k) => k === q.kind);
      const period = r.period ?? q.period;
      if (r.period && q.period && q.period !== r.period) return { messages: [] };
      const rows = await services.outbox.find({ kinds, recipients, period, limit: q.limit ?? 100 });
      return { messages: rows.map(summary) };
    },
  );

  api.get<{ Params: { id: number } }>(
    '/messages/:id',
    {
      config: { action: 'letters.read' },
      schema: {
        summary: '一封邮件：主题、HTML 正文和纯文本正文',
        params: ID_PARAMS,
        response: { 200: { type: 'object', properties: { ...MESSAGE_SCHEMA.properties, html: { type: 'string' }, text: { type: 'string' } } }, ...REFUSALS },
      },
    },
    async (req) => {
      const m = await visible(req.identity!, req.params.id);
      return { ...summary(m), html: m.html, text: m.text };
    },
  );

  api.get<{ Params: { id: number } }>(
    '/messages/:id/html',
    { config: { action: 'letters.read' }, schema: { summary: '邮件的 HTML 正文（可直接打印）', params: ID_PARAMS, response: { 200: { type: 'string' }, ...REFUSALS } } },
    async (req, reply) => {
      const m = await visible(req.identity!, req.params.id);
      // A letter's own HTML, shown as a page: nothing it contains may run or load anything.
      return reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:").send(m.html);
    },
  );

  api.get<{ Params: { id: number } }>(
    '/messages/:id/eml',
    { config: { action: 'letters.read' }, schema: { summary: '下载 .eml（与发出的邮件相同的 Message-ID、收件人、主题和正文）', params: ID_PARAMS, response: { 200: { type: 'string', format: 'binary' }, ...REFUSALS } } },
    async (req, reply) => {
      const m = await visible(req.identity!, req.params.id);
      const eml = await new MailComposer(outboxMail(m, config.delivery.from))
        .compile()
        .build();
      return reply
        .type('message/rfc822')
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(`${m.subject}.eml`)}`)
        .send(eml);
    },
  );
}
