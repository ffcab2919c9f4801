import type { Migration } from 'kysely';
import * as foundation from './20261127T173000000Z-foundation';

/** Listed explicitly (not read from the folder) so the same list works from ts-jest sources and compiled dist. */
export const migrations: Record<string, Migration> = {
  '20261127T173000000Z-foundation': foundation,
};
