import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A letter's reply link: a lead without an account opens their unit's problems of that period with it. The token is
 * the claims and an HMAC-SHA256 over them (the secret comes from the environment), so it cannot be altered or made up,
 * and it expires. It names a unit and a period (a week's letter, 2026-W48; a day's alert, 2026-11-26); it is revoked
 * by period in the database (a stolen letter's links die with its period).
 */
export interface ReplyLinkClaims {
  unit: string;
  period: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export type ReplyLinkCheck = { ok: true; claims: ReplyLinkClaims } | { ok: false; reason: 'malformed' | 'signature' | 'expired' };

export function signReplyLink(claims: ReplyLinkClaims, secret: string): string {
  const body = Buffer.from(JSON.stringify({ u: claims.unit, p: claims.period, e: claims.exp })).toString('base64url');
  return `${body}.${mac(body, secret)}`;
}

export function checkReplyLink(token: string, secret: string, now: Date): ReplyLinkCheck {
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(mac(body, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'signature' };
  let parsed: { u?: unknown; p?: unknown; e?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof parsed.u !== 'string' || typeof parsed.p !== 'string' || typeof parsed.e !== 'number') return { ok: false, reason: 'malformed' };
  if (parsed.e * 1000 <= now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { unit: parsed.u, period: parsed.p, exp: parsed.e } };
}

function mac(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}
