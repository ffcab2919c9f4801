import type { Migration } from 'kysely';
import * as foundation from './20261127T173000000Z-foundation';
import * as rules from './20261127T190000000Z-rule-versions';
import * as anomalies from './20261127T191000000Z-anomalies';
import * as ledger from './20261127T223000000Z-ledger';
import * as problems from './20261127T230000000Z-problems';
import * as outbox from './20261127T233000000Z-outbox';
import * as letters from './20261127T235000000Z-letters';
import * as lettersStep from './20261130T050000000Z-letters-step';
import * as problemFacts from './20261130T060000000Z-problem-facts';
import * as ledgerAnchors from './20261130T070000000Z-ledger-anchors';
import * as ingestAccounting from './20261130T080000000Z-ingest-accounting';
import * as goLive from './20261130T090000000Z-go-live';
import * as indicatorVersions from './20261130T100000000Z-indicator-versions';
import * as apiAccess from './20261130T110000000Z-api-access';
import * as reconcileStatistics from './20261130T120000000Z-reconcile-statistics';
import * as observationPacks from './20261130T130000000Z-observation-packs';
import * as observationMonths from './20261130T140000000Z-observation-months';

/** Listed explicitly (not read from the folder) so the same list works from ts-jest sources and compiled dist. */
export const migrations: Record<string, Migration> = {
  '20261127T173000000Z-foundation': foundation,
  '20261127T190000000Z-rule-versions': rules,
  '20261127T191000000Z-anomalies': anomalies,
  '20261127T223000000Z-ledger': ledger,
  '20261127T230000000Z-problems': problems,
  '20261127T233000000Z-outbox': outbox,
  '20261127T235000000Z-letters': letters,
  '20261130T050000000Z-letters-step': lettersStep,
  '20261130T060000000Z-problem-facts': problemFacts,
  '20261130T070000000Z-ledger-anchors': ledgerAnchors,
  '20261130T080000000Z-ingest-accounting': ingestAccounting,
  '20261130T090000000Z-go-live': goLive,
  '20261130T100000000Z-indicator-versions': indicatorVersions,
  '20261130T110000000Z-api-access': apiAccess,
  '20261130T120000000Z-reconcile-statistics': reconcileStatistics,
  '20261130T130000000Z-observation-packs': observationPacks,
  '20261130T140000000Z-observation-months': observationMonths,
};
