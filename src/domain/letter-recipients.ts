export type UnitKind = 'city' | 'county' | 'department';

/** Who gets letters and alerts: config letters.unitKinds and bureau.unit. */
export interface RecipientPolicy {
  unitKinds: readonly UnitKind[];
  /** The bureau's own unit, which does not write to itself. */
  bureauUnit?: string | undefined;
}

/**
 * Whether a unit is written to (交办函, 督办通知): only units that answer for results. The city as a whole and the
 * bureau itself are not; their problems are the director's to take up, so the summary lists them instead. The one
 * place this is decided, for letters, alerts and the summary alike.
 */
export function receivesLetters(unit: { code: string; kind: UnitKind }, policy: RecipientPolicy): boolean {
  return unit.code !== policy.bureauUnit && policy.unitKinds.includes(unit.kind);
}
