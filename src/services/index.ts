import type { AccessService } from './access.service';
import type { AlertService } from './alert.service';
import type { AuditService } from './audit.service';
import type { BacktestService } from './backtest.service';
import type { GoLiveService } from './go-live.service';
import type { CatalogueService } from './catalogue-sync.service';
import type { CheckpointService } from './checkpoint.service';
import type { EvaluationService } from './evaluation.service';
import type { IngestService } from './ingest.service';
import type { LetterService } from './letter.service';
import type { OutboxRelay } from './outbox-relay.service';
import type { OutboxService } from './outbox.service';
import type { ProblemActionService } from './problem-action.service';
import type { ProblemService } from './problem.service';
import type { ReconcileService } from './reconcile.service';
import type { ReplayService } from './replay.service';
import type { RulesService } from './rules.service';
import type { SummaryService } from './summary.service';
import type { ThresholdsService } from './thresholds.service';

/** Every use case duban has, as the composition root (src/app-context.ts) builds them for the daemon, the CLI and tests. */
export interface AppServices {
  catalogue: CatalogueService;
  ingest: IngestService;
  rules: RulesService;
  /** 预警值, 先进值 and the other fields a verdict reads, as versions. */
  thresholds: ThresholdsService;
  evaluation: EvaluationService;
  backtest: BacktestService;
  replay: ReplayService;
  /** Anomalies into problems. */
  problems: ProblemService;
  /** What people do to problems, and the lists they do it from. */
  problemActions: ProblemActionService;
  reconcile: ReconcileService;
  alerts: AlertService;
  letters: LetterService;
  summary: SummaryService;
  outbox: OutboxService;
  /** Absent without SMTP_URL: messages wait in the outbox. */
  relay?: OutboxRelay;
  audit: AuditService;
  /** Signed checkpoints of the ledger, kept outside the database. */
  checkpoints: CheckpointService;
  /** When duban went live, and what that holds back. */
  goLive: GoLiveService;
  /** API tokens and letters' reply links. */
  access: AccessService;
}
