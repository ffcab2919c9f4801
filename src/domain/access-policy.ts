/**
 * Who may do what through the API: the one place that says it. Routes name the action they perform; this decides.
 * A lead is also limited to the units their token or reply link names (`unitScope`).
 */
export const API_ROLES = ['operator', 'checker', 'lead', 'director', 'auditor'] as const;
export type ApiRole = (typeof API_ROLES)[number];

export const ROLE_LABELS: Record<ApiRole, string> = {
  operator: '操作员',
  checker: '核验人员',
  lead: '责任单位负责人',
  director: '局领导',
  auditor: '审计人员',
};

export const API_ACTIONS = [
  'problems.read',
  'problems.respond',
  'problems.assign',
  'problems.verify',
  'problems.close',
  'problems.dismiss',
  'problems.reopen',
  'letters.read',
  'catalogue.read',
  'rules.read',
  'rules.apply',
  'ledger.read',
  'ledger.export',
  'audit.verify',
  'cockpit.read',
  'operations.read',
  'messages.retry',
] as const;
export type ApiAction = (typeof API_ACTIONS)[number];

const READ_ALL: readonly ApiAction[] = ['problems.read', 'letters.read', 'catalogue.read', 'rules.read', 'ledger.read'];

const GRANTS: Record<ApiRole, readonly ApiAction[]> = {
  // Everything: rules, thresholds, assignment, dismissal, reopening.
  operator: API_ACTIONS,
  // Verifies and signs off, and closes what is signed off.
  checker: ['problems.read', 'problems.verify', 'problems.close', 'letters.read', 'catalogue.read', 'rules.read'],
  // Sees and answers only their units' problems, letters and alerts.
  lead: ['problems.read', 'problems.respond', 'letters.read', 'catalogue.read'],
  // Reads everything: the ledger and its export and verification too, and the cockpit.
  director: [...READ_ALL, 'ledger.export', 'audit.verify', 'cockpit.read'],
  // Reads the ledger, the 台账, checkpoints and exports; changes nothing.
  auditor: [...READ_ALL, 'ledger.export', 'audit.verify', 'cockpit.read'],
};

/** Who a request is: the person a token names, or a lead through a letter's reply link. */
export interface Identity {
  person: string;
  role: ApiRole;
  /** The unit codes a lead answers for; empty for the other roles, who see every unit. */
  units: readonly string[];
  via: 'token' | 'link';
  tokenId?: number;
  /** A reply link's period (a week such as 2026-W48, or an alert's day). */
  period?: string;
}

export function allows(who: Pick<Identity, 'role'>, action: ApiAction): boolean {
  return GRANTS[who.role].includes(action);
}

/** The units whose problems, letters and alerts a person may see: 'all', or a lead's own. */
export function unitScope(who: Pick<Identity, 'role' | 'units'>): 'all' | readonly string[] {
  return who.role === 'lead' ? who.units : 'all';
}

/** Whether something about `units` (a problem's unit and owner, a letter's unit) is within a person's reach. */
export function reaches(who: Pick<Identity, 'role' | 'units'>, units: ReadonlyArray<string | null | undefined>): boolean {
  const scope = unitScope(who);
  return scope === 'all' || units.some((u) => u !== null && u !== undefined && scope.includes(u));
}

/** The role × action table, for docs and the API's description. */
export function grantsTable(): Array<{ role: ApiRole; actions: readonly ApiAction[] }> {
  return API_ROLES.map((role) => ({ role, actions: GRANTS[role] }));
}
