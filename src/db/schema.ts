import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { ProblemState } from '../domain/problem-state';
import type { ApiRole } from '../domain/access-policy';

/** Postgres `numeric` arrives as a string so no digit is lost; `date` as `YYYY-MM-DD`. */
export type Numeric = ColumnType<string, string | number, string | number>;
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export interface UnitsTable {
  id: Generated<number>;
  code: string;
  name: string;
  kind: 'city' | 'county' | 'department';
  parent_code: string | null;
  aliases: ColumnType<string[], string[], string[]>;
  contacts: ColumnType<unknown, string, string>;
  active: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

/**
 * An indicator as the catalogue names it. What a verdict reads of it (kind, direction, 预警值, 先进值, weight, scope)
 * is versioned in `indicator_versions`; `indicators_on(day)` joins the two as they stood on a day.
 */
export interface IndicatorsTable {
  id: Generated<number>;
  code: string;
  name: string;
  unit: string;
  formula: string;
  source_system: string;
  source_department: string | null;
  /** Other header texts sources use for its column. */
  header_aliases: ColumnType<string[], string[] | undefined, string[]>;
  active: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

/** One version of an indicator's thresholds: append-only, with who, why and from which day. */
export interface IndicatorVersionsTable {
  id: Generated<number>;
  indicator_id: number;
  version: number;
  kind: 'percent' | 'count' | 'number';
  direction: 'higher' | 'lower';
  alert_value: Numeric | null;
  benchmark_value: Numeric | null;
  weight: Numeric;
  /** Which units the indicator applies to (and so is expected from): 'all', {kinds: [...]} or {units: [codes]}. */
  scope: ColumnType<IndicatorScope, string, never>;
  created_by: string;
  reason: string;
  effective_from: string;
  created_at: CreatedAt;
}

export type IndicatorScope = 'all' | { kinds: Array<'city' | 'county' | 'department'> } | { units: string[] };

export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface IngestRunsTable {
  id: Generated<number>;
  day: string;
  source: string;
  trigger: string;
  status: RunStatus;
  inputs: ColumnType<string[], string | undefined, string>;
  accepted: Generated<number>;
  revised: Generated<number>;
  unchanged: Generated<number>;
  rejected: Generated<number>;
  /** Cells the inputs held (null for runs before they were counted): new + revised + unchanged + duplicates + rejected + ignored. */
  cells_seen: number | null;
  /** Cells in columns not read (see ingest_ignored_columns). */
  ignored: Generated<number>;
  /** Cells equal to another of the same unit, indicator and day in the run: taken once. */
  duplicates: Generated<number>;
  error: string | null;
  started_at: CreatedAt;
  finished_at: Date | null;
}

export interface ObservationsTable {
  day: string;
  indicator_id: number;
  unit_id: number;
  value: Numeric;
  first_run_id: number;
  run_id: number;
  recorded_at: CreatedAt;
  revised_at: Date | null;
}

export interface ObservationRevisionsTable {
  id: Generated<number>;
  day: string;
  indicator_id: number;
  unit_id: number;
  old_value: Numeric;
  new_value: Numeric;
  run_id: number;
  /** The run that had written the value replaced; the owner's trigger applies a revision only if it still stands. */
  old_run_id: number;
  revised_at: CreatedAt;
}

export interface IngestRejectsTable {
  id: Generated<number>;
  run_id: number;
  source: string;
  input: string;
  line_no: number | null;
  /** The header of the rejected cell's column, where the input has one. */
  column_name: string | null;
  raw: string;
  reason: string;
  message: string;
  created_at: CreatedAt;
}

export interface GoLiveTable {
  only_row: Generated<boolean>;
  /** The first start of a daemon on this database. */
  started_at: Date;
  host: string;
}

export interface IngestIgnoredColumnsTable {
  id: Generated<number>;
  run_id: number;
  input: string;
  /** 1-based. */
  column_no: number;
  header: string;
  reason: string;
  message: string;
  suggestion: string | null;
  cells: number;
}

export interface JobRunsTable {
  id: Generated<number>;
  job: string;
  slot: string;
  status: RunStatus;
  attempts: Generated<number>;
  worker: string;
  result: ColumnType<unknown, string | null | undefined, string | null>;
  error: string | null;
  started_at: CreatedAt;
  finished_at: Date | null;
}

export interface RuleVersionsTable {
  id: Generated<number>;
  rule_id: string;
  version: number;
  definition: ColumnType<unknown, string | null, never>;
  digest: string;
  created_by: string;
  reason: string;
  effective_from: string;
  created_at: CreatedAt;
}

export interface EvaluationRunsTable {
  id: Generated<number>;
  day: string;
  trigger: string;
  summary: ColumnType<unknown, string | null | undefined, string | null>;
  /** The ingest run whose data the evaluation judged (its day's verdict then); none for what-if runs. */
  after_run: number | null;
  started_at: CreatedAt;
  finished_at: Date | null;
}

export interface AnomaliesTable {
  id: Generated<number>;
  rule_id: string;
  rule_version_id: number;
  /** The thresholds the anomaly was judged against (null only before they were versioned). */
  indicator_version_id: number | null;
  indicator_id: number;
  unit_id: number;
  day: string;
  kind: string;
  severity: 'warning' | 'major';
  observed_value: Numeric | null;
  expected_value: Numeric | null;
  explanation: string;
  status: Generated<'active' | 'superseded'>;
  evaluation_id: number;
  created_at: CreatedAt;
  superseded_at: Date | null;
  problem_id: number | null;
}

export interface ProblemsTable {
  id: Generated<number>;
  /** The series' indicator for a value problem; none for a missing-data problem, which lists its indicators. */
  indicator_id: number | null;
  unit_id: number;
  /** `value`: one fact about a series, whatever rules fired; `missing`: a unit's expected data not reported. */
  kind: 'value' | 'missing';
  owner_unit_id: number;
  category: string;
  state: Generated<ProblemState>;
  severity: 'warning' | 'major';
  first_seen: string;
  last_seen: string;
  anomaly_count: number;
  worst_value: Numeric | null;
  /** The value on the first and on the latest day of a breach. */
  first_value: Numeric | null;
  latest_value: Numeric | null;
  /** Every rule that fired on it. */
  rules: ColumnType<string[], string[] | undefined, string[]>;
  /** The problem it was merged into, for one 已合并. */
  merged_into: number | null;
  reopen_count: Generated<number>;
  data_confirmed: Generated<boolean>;
  escalation: Generated<'none' | 'remind' | 'supervise' | 'notify'>;
  signed_off_by: string | null;
  assigned_on: string | null;
  deadline: string | null;
  closed_on: string | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
  letter_id: number | null;
}

export interface OutboxTable {
  id: Generated<number>;
  kind: 'letter' | 'alert' | 'summary' | 'notice' | 'checkpoint';
  recipient_key: string;
  period: string;
  message_id: string;
  to_addresses: string[];
  cc_addresses: ColumnType<string[], string[] | undefined, string[]>;
  subject: string;
  html: string;
  text: string;
  status: Generated<'pending' | 'delivered' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: CreatedAt;
  lease_token: string | null;
  lease_until: Date | null;
  last_error: string | null;
  created_at: CreatedAt;
  delivered_at: Date | null;
}

export interface LettersTable {
  id: Generated<number>;
  week: string;
  unit_id: number;
  seq: number;
  letter_no: string;
  letter_day: string;
  outbox_id: number;
  /** bigint[] arrives as strings. */
  problem_ids: ColumnType<string[], number[], never>;
  assigned_ids: ColumnType<string[], number[], never>;
  created_at: CreatedAt;
}

export interface LedgerEventsTable {
  /** int8 arrives as a number (see database.ts); written as text so no digit is rounded. */
  seq: ColumnType<number, string, never>;
  type: string;
  actor: string;
  problem_id: ColumnType<number | null, string | null | undefined, never>;
  unit_id: number | null;
  indicator_id: number | null;
  rule_id: string | null;
  payload: ColumnType<unknown, string, never>;
  recorded_at: ColumnType<Date, string, never>;
  prev_hash: string;
  hash: string;
}

/** A signed head of the ledger (see ledger-checkpoint.ts); the line is what the file and the auditors' mail hold. */
export interface LedgerCheckpointsTable {
  id: Generated<number>;
  /** The daily step's slot (its day); none for one made on demand. */
  slot: string | null;
  day: string;
  event_count: number;
  head_hash: string;
  key_id: string;
  made_at: Date;
  made_by: string;
  line: string;
}

/** A person's access to the API: the token itself is never stored, only its SHA-256. */
export interface ApiTokensTable {
  id: Generated<number>;
  person: string;
  role: ApiRole;
  /** The units a lead answers for (codes); empty for other roles. */
  units: string[];
  token_hash: string;
  created_by: string;
  created_at: CreatedAt;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
  last_used_at: Date | null;
}

/** Reply links of a period (a week's letters, a day's alerts) revoked, for one unit or all. */
export interface ReplyLinkRevocationsTable {
  id: Generated<number>;
  period: string;
  unit_code: string | null;
  revoked_by: string;
  reason: string;
  revoked_at: CreatedAt;
}

/** A file a lead attached to a reply: kept whole, with its SHA-256 (also in the reply's ledger event). */
export interface EvidenceFilesTable {
  id: Generated<number>;
  problem_id: number;
  file_name: string;
  content_type: string;
  size: number;
  sha256: string;
  content: Buffer;
  uploaded_by: string;
  created_at: CreatedAt;
}

export interface Database {
  evaluation_runs: EvaluationRunsTable;
  anomalies: AnomaliesTable;
  rule_versions: RuleVersionsTable;
  indicator_versions: IndicatorVersionsTable;
  units: UnitsTable;
  indicators: IndicatorsTable;
  ingest_runs: IngestRunsTable;
  observations: ObservationsTable;
  observation_revisions: ObservationRevisionsTable;
  ingest_rejects: IngestRejectsTable;
  ingest_ignored_columns: IngestIgnoredColumnsTable;
  go_live: GoLiveTable;
  job_runs: JobRunsTable;
  ledger_events: LedgerEventsTable;
  ledger_checkpoints: LedgerCheckpointsTable;
  problems: ProblemsTable;
  outbox: OutboxTable;
  letters: LettersTable;
  api_tokens: ApiTokensTable;
  reply_link_revocations: ReplyLinkRevocationsTable;
  evidence_files: EvidenceFilesTable;
}

export type UnitRow = Selectable<UnitsTable>;
export type IndicatorRow = Selectable<IndicatorsTable>;
export type IngestRunRow = Selectable<IngestRunsTable>;
export type IngestRejectRow = Selectable<IngestRejectsTable>;
export type IngestIgnoredColumnRow = Selectable<IngestIgnoredColumnsTable>;
export type NewIngestReject = Insertable<IngestRejectsTable>;
export type JobRunRow = Selectable<JobRunsTable>;
export type RuleVersionRow = Selectable<RuleVersionsTable>;
export type IndicatorVersionRow = Selectable<IndicatorVersionsTable>;
export type LedgerEventRow = Selectable<LedgerEventsTable>;
export type ProblemRow = Selectable<ProblemsTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type NewOutboxMessage = Insertable<OutboxTable>;
export type LetterRow = Selectable<LettersTable>;
export type LedgerCheckpointRow = Selectable<LedgerCheckpointsTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
