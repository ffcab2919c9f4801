import type { DubanConfig } from '../config/load-config';
import type { UnitConfig } from '../config/schema';
import type { Addressing } from '../domain/letter-content';
import { receivesLetters, type UnitKind } from '../domain/letter-recipients';

/**
 * What units.yaml and duban.yaml say about writing to a unit: whether it is written to at all, the organ its letters
 * and alerts are addressed to (主送机关), the organs copied (抄送) and their addresses. A unit units.yaml does not
 * describe is addressed by its name and copies no one.
 */
export class UnitDirectory {
  private readonly byCode: ReadonlyMap<string, UnitConfig>;

  constructor(private readonly config: Pick<DubanConfig, 'units' | 'letters' | 'bureau'>) {
    this.byCode = new Map(config.units.map((u) => [u.code, u]));
  }

  /** The unit as the database holds it (its kind synced from units.yaml, or loaded there by a large catalogue). */
  receivesLetters(unit: { code: string; kind: UnitKind }): boolean {
    return receivesLetters(unit, { unitKinds: this.config.letters.unitKinds, bureauUnit: this.config.bureau.unit });
  }

  addressing(code: string, name: string): Addressing {
    const unit = this.byCode.get(code);
    return { addressee: unit?.addressee ?? name, copyTo: (unit?.copyTo ?? []).map((c) => c.name) };
  }

  /** The addresses of the organs copied that have one: they get the mail in Cc. */
  copyAddresses(code: string): string[] {
    return (this.byCode.get(code)?.copyTo ?? []).map((c) => c.email).filter((e): e is string => e !== undefined);
  }

}
