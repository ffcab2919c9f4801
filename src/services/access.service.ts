import { createHash, randomBytes } from 'node:crypto';
import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import type { ApiTokenRow } from '../db/schema';
import { ApiRole, Identity } from '../domain/access-policy';
import { addDays, Day } from '../domain/day';
import { checkReplyLink, signReplyLink } from '../domain/reply-link';
import { ApiTokenRepository } from '../repositories/api-token.repository';

/** Why a request was not let in, for the log and /metrics (never told to the caller beyond "not authenticated"). */
export type AuthFailure = 'missing' | 'unknown_token' | 'link_disabled' | 'link_malformed' | 'link_signature' | 'link_expired' | 'link_revoked' | 'link_unit';

/**
 * A unit's reply link for a period (a letter's week, an alert's day), valid from `from` (the letter's or the data's
 * day) for `api.replyLinkDays`: derived from these alone, so whichever daemon writes a letter writes the same link.
 * Undefined when links are not configured.
 */
export type ReplyLinkMaker = (unit: string, period: string, from: Day) => { url: string; until: Day } | undefined;

export type Authentication = { ok: true; identity: Identity } | { ok: false; reason: AuthFailure };

const TOKEN_PREFIX = 'dbn_';

/** SHA-256 of a token, hex: what is stored and looked up. A token has 256 random bits, so no slow hash is needed. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * API access: tokens for people with a role (created by an operator on the command line, shown once, stored hashed,
 * listed and revoked), and letters' signed reply links for leads without an account.
 */
export class AccessService {
  constructor(
    private readonly deps: {
      db: Db;
      config: Pick<DubanConfig, 'units' | 'api'>;
      /** DUBAN_LINK_SECRET; without it no link is made or accepted. */
      linkSecret?: string;
      now: () => Date;
    },
  ) {}

  /** A new token; the returned `token` is the only time it exists outside the caller's hands. */
  async create(opts: { person: string; role: ApiRole; units: string[]; expiresInDays: number; by: string }): Promise<{ token: string; row: ApiTokenRow }> {
    if (opts.role === 'lead' && opts.units.length === 0) throw new Error('责任单位负责人的令牌必须指定单位（--unit）');
    if (opts.role !== 'lead' && opts.units.length > 0) throw new Error('只有责任单位负责人（lead）的令牌限定单位');
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const expires = new Date(this.deps.now().getTime() + opts.expiresInDays * 86_400_000);
    const row = await new ApiTokenRepository(this.deps.db).insert({
      person: opts.person,
      role: opts.role,
      units: opts.units,
      token_hash: tokenHash(token),
      created_by: opts.by,
      expires_at: expires,
    });
    return { token, row };
  }

  list(): Promise<ApiTokenRow[]> {
    return new ApiTokenRepository(this.deps.db).list();
  }

  revoke(id: number, by: string): Promise<boolean> {
    return new ApiTokenRepository(this.deps.db).revoke(id, by);
  }

  /** Revokes the reply links of a period (a week, 2026-W48; an alert's day), for one unit or all. */
  async revokeLinks(period: string, unit: string | undefined, by: string, reason: string): Promise<void> {
    await new ApiTokenRepository(this.deps.db).revokeLinks({ period, unit_code: unit ?? null, revoked_by: by, reason });
  }

  /**
   * The link a letter or alert carries; none unless both the public address (`api.publicBaseUrl`) and the secret
   * (DUBAN_LINK_SECRET) are set. It works through the day `until` (UTC midnight after it: 08:00 in Shanghai).
   */
  readonly replyLink: ReplyLinkMaker = (unit, period, from) => {
    const base = this.deps.config.api.publicBaseUrl;
    if (!base || !this.deps.linkSecret) return undefined;
    const until = addDays(from, this.deps.config.api.replyLinkDays);
    const exp = Date.parse(`${addDays(until, 1)}T00:00:00Z`) / 1000;
    const token = signReplyLink({ unit, period, exp }, this.deps.linkSecret);
    return { url: `${base.replace(/\/$/, '')}/reply?t=${encodeURIComponent(token)}`, until };
  };

  /** Who a bearer credential is: an API token, or a reply link's token. */
  async authenticate(credential: string | undefined): Promise<Authentication> {
    if (!credential) return { ok: false, reason: 'missing' };
    if (credential.startsWith(TOKEN_PREFIX)) {
      const repo = new ApiTokenRepository(this.deps.db);
      const row = await repo.activeByHash(tokenHash(credential), this.deps.now());
      if (!row) return { ok: false, reason: 'unknown_token' };
      await repo.noteUse(row.id);
      return { ok: true, identity: { person: row.person, role: row.role, units: row.units, via: 'token', tokenId: row.id } };
    }
    if (!this.deps.linkSecret) return { ok: false, reason: 'link_disabled' };
    const checked = checkReplyLink(credential, this.deps.linkSecret, this.deps.now());
    if (!checked.ok) return { ok: false, reason: `link_${checked.reason}` };
    const { unit, period } = checked.claims;
    const named = this.deps.config.units.find((u) => u.code === unit);
    if (!named) return { ok: false, reason: 'link_unit' };
    if (await new ApiTokenRepository(this.deps.db).linkRevoked(period, unit)) return { ok: false, reason: 'link_revoked' };
    // The person is the unit's lead as the link knows them; a reply names its contact, which the ledger keeps too.
    return { ok: true, identity: { person: `${named.name}（交办函回复链接）`, role: 'lead', units: [unit], via: 'link', period } };
  }
}
