import { sql } from 'kysely';
import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import { composeAlert } from '../domain/alert-message';
import { describeFact, FactPart } from '../domain/anomaly-explanation';
import { crashPoint } from '../crash-points';
import { renderMessage } from '../delivery/render-message';
import type { ReplyLinkMaker } from './access.service';
import type { Day } from '../domain/day';
import type { Logger } from '../logger';
import { OutboxRepository } from '../repositories/outbox.repository';

/** A problem with a major anomaly on the day, and everything its rules found on it that day. */
interface MajorProblem {
  unit_code: string;
  unit_name: string;
  contacts: Array<{ email?: string }>;
  indicator: string;
  problem_id: number;
  facts: FactPart[];
}

/**
 * 第一时间反馈: after a day is judged, one alert per responsible unit listing its problems with a major anomaly that day,
 * one line each, to the unit's
 * contacts with the operator in copy. The outbox keeps it to one per unit and day however often the day is judged.
 */
export class AlertService {
  constructor(
    private readonly deps: {
      db: Db;
      config: Pick<DubanConfig, 'delivery' | 'bureau' | 'templates'>;
      logger: Logger;
      /** A unit's signed reply link for the alert's day; absent, alerts carry none. */
      replyLink?: ReplyLinkMaker;
    },
  ) {}

  async writeForDay(day: Day): Promise<{ alerts: number }> {
    const { delivery } = this.deps.config;
    // One line per problem (a fact, with every rule that fired on it that day), to the unit that answers for it (the
    // data-source department for unreported data).
    const r = await sql<MajorProblem>`
      SELECT o.code AS unit_code, o.name AS unit_name, o.contacts, coalesce(i.name, string_agg(DISTINCT ai.name, '、')) AS indicator,
             p.id AS problem_id,
             json_agg(json_build_object('kind', a.kind, 'ruleId', a.rule_id, 'explanation', a.explanation, 'unitName', au.name,
                                        'indicatorName', ai.name) ORDER BY a.id) AS facts
      FROM anomalies a
      JOIN problems p ON p.id = a.problem_id
      JOIN units o ON o.id = p.owner_unit_id
      JOIN units au ON au.id = a.unit_id
      JOIN indicators ai ON ai.id = a.indicator_id
      LEFT JOIN indicators i ON i.id = p.indicator_id
      WHERE a.day = ${day}::date AND a.status = 'active'
        AND EXISTS (SELECT 1 FROM anomalies m WHERE m.problem_id = p.id AND m.day = ${day}::date AND m.status = 'active' AND m.severity = 'major')
      GROUP BY o.code, o.name, o.contacts, o.id, i.id, i.name, p.id
      ORDER BY o.code, i.id NULLS LAST, p.id`.execute(this.deps.db);
    const byUnit = new Map<string, MajorProblem[]>();
    for (const a of r.rows) {
      const list = byUnit.get(a.unit_code);
      if (list) list.push(a);
      else byUnit.set(a.unit_code, [a]);
    }

    const messages = [];
    for (const [code, items] of byUnit) {
      const to = items[0]!.contacts.map((c) => c.email).filter((e): e is string => Boolean(e));
      const cc = delivery.operatorEmail ? [delivery.operatorEmail] : [];
      if (to.length === 0 && cc.length === 0) {
        this.deps.logger.warn({ unit: code, day }, 'major anomalies but no contact address: alert not sent');
        continue;
      }
      const view = composeAlert({
        unitName: items[0]!.unit_name,
        day,
        bureau: this.deps.config.bureau,
        items: items.map((a) => ({ indicator: a.indicator, explanation: describeFact(a.facts), problemId: a.problem_id })),
      });
      const reply = this.deps.replyLink?.(code, day, day);
      const body = renderMessage(this.deps.config.templates.alert, reply ? { ...view, reply } : view);
      messages.push({
        kind: 'alert' as const,
        recipient_key: code,
        period: day,
        message_id: `<alert-${day}-${code}@${delivery.messageIdDomain}>`,
        // Without a contact the operator receives it and passes it on.
        to_addresses: to.length > 0 ? to : cc,
        cc_addresses: to.length > 0 ? cc : [],
        ...body,
      });
    }
    const created = await new OutboxRepository(this.deps.db).insert(messages);
    crashPoint('alerts.written');
    return { alerts: created.length };
  }
}
