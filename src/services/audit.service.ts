import type { Db } from '../db/database';
import type { LedgerSheetInput } from '../domain/audit-sheets';
import { AuditEvent, AuditRepository, EventFilter } from '../repositories/audit.repository';
import { LedgerService, VerifyReport } from './ledger.service';

/** What auditors ask of the 台账: the chain checked, the events filtered, the problems' rows, a problem's story. */
export class AuditService {
  constructor(private readonly deps: { db: Db; timezone: string }) {}

  verify(): Promise<VerifyReport> {
    return new LedgerService(this.deps.db).verify();
  }

  ledgerSheet(): Promise<LedgerSheetInput[]> {
    return new AuditRepository(this.deps.db).ledgerSheet();
  }

  events(filter: Omit<EventFilter, 'timezone'>): Promise<AuditEvent[]> {
    return new AuditRepository(this.deps.db).events({ ...filter, timezone: this.deps.timezone });
  }

  problemAnomalies(problemId: number) {
    return new AuditRepository(this.deps.db).problemAnomalies(problemId);
  }
}
