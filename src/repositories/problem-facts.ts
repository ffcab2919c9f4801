import { sql } from 'kysely';

/**
 * SQL a problem's line is read with, over a problem aliased `p`: the findings of its latest day (standing ones, or,
 * when revisions took them all back, the last that stood), as a JSON array of `FactPart`s the domain's `describeFact`
 * makes one line of; and the indicator it is about (for missing data, every indicator it lists).
 */
export const latestFacts = sql`
  LEFT JOIN LATERAL (SELECT a2.day, a2.status FROM anomalies a2 WHERE a2.problem_id = p.id
                     ORDER BY (a2.status = 'active') DESC, a2.day DESC, a2.id DESC LIMIT 1) latest ON true
  LEFT JOIN LATERAL (SELECT json_agg(json_build_object('kind', a.kind, 'ruleId', a.rule_id, 'explanation', a.explanation,
                                                       'unitName', au.name, 'indicatorName', ai.name) ORDER BY a.id) AS parts,
                            string_agg(DISTINCT ai.name, '、') AS indicators
                     FROM anomalies a JOIN indicators ai ON ai.id = a.indicator_id JOIN units au ON au.id = a.unit_id
                     WHERE a.problem_id = p.id AND a.day = latest.day AND a.status = latest.status) facts ON true`;

/** The names (as their latest versions call them) of the rules that fired on a problem `p`, in its order. */
export const ruleNames = sql`ARRAY(SELECT coalesce((SELECT v.definition->>'name' FROM rule_versions v
                                                    WHERE v.rule_id = r AND v.definition IS NOT NULL ORDER BY v.version DESC LIMIT 1), r)
                                   FROM unnest(p.rules) r)`;

/**
 * The findings of a problem's first day (发现日期; standing ones, or, when revisions took them all back, the last that
 * stood) as `FactPart`s, with the series' value that day and the 预警值 of the thresholds it was judged against: what
 * the 台账 says was found when the problem was found, however long it ran or whenever it came back.
 */
export const firstFacts = sql`
  LEFT JOIN LATERAL (SELECT a2.day, a2.status FROM anomalies a2 WHERE a2.problem_id = p.id
                     ORDER BY (a2.day = p.first_seen) DESC, (a2.status = 'active') DESC, a2.day, a2.id DESC LIMIT 1) found ON true
  LEFT JOIN LATERAL (SELECT json_agg(json_build_object('kind', a.kind, 'ruleId', a.rule_id, 'explanation', a.explanation,
                                                       'unitName', au.name, 'indicatorName', ai.name) ORDER BY a.id) AS parts,
                            (array_agg(a.observed_value::text ORDER BY a.id) FILTER (WHERE a.kind <> 'missing' AND a.observed_value IS NOT NULL))[1] AS value,
                            (array_agg(v.alert_value::text ORDER BY a.id) FILTER (WHERE a.kind <> 'missing' AND v.alert_value IS NOT NULL))[1] AS alert
                     FROM anomalies a JOIN indicators ai ON ai.id = a.indicator_id JOIN units au ON au.id = a.unit_id
                     LEFT JOIN indicator_versions v ON v.id = a.indicator_version_id
                     WHERE a.problem_id = p.id AND a.day = found.day AND a.status = found.status) first_facts ON true`;
