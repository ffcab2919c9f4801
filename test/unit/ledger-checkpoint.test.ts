import { generateKeyPairSync } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { readPublicKey, readSigningKey } from '../../src/config/signing-key';
import { GENESIS_HASH } from '../../src/domain/ledger-chain';
import {
  checkpointLine,
  describeFinding,
  judgeCheckpoint,
  keyIdOf,
  parseCheckpoints,
  signCheckpoint,
  signatureHolds,
} from '../../src/domain/ledger-checkpoint';
import { digestLine, ValuesDigest } from '../../src/domain/values-digest';
import { duban } from '../helpers/run-cli';
import { tempDir } from '../helpers/temp-dir';

const bureau = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const hashes = ['a', 'b', 'c', 'd', 'e'].map((c) => c.repeat(64));
const at = (seq: number) => hashes[seq - 1];
const made = (events: number) =>
  signCheckpoint({ ledger: '宣城市数据资源局', events, head: events === 0 ? GENESIS_HASH : hashes[events - 1]!, day: '2026-11-30', at: '2026-11-30T15:30:00.000Z' }, bureau.privateKey);

describe('a signed checkpoint of the ledger', () => {
  it('verifies with the bureau public key only, and not once any field is changed', () => {
    const cp = made(3);
    expect(cp.key).toBe(keyIdOf(bureau.publicKey));
    expect(signatureHolds(cp, bureau.publicKey)).toBe(true);
    expect(signatureHolds(cp, other.publicKey)).toBe(false);
    for (const change of [{ events: 4 }, { head: hashes[3]! }, { day: '2026-12-01' }, { ledger: '别的局' }, { at: '2026-11-30T15:30:01.000Z' }]) {
      expect(signatureHolds({ ...cp, ...change }, bureau.publicKey)).toBe(false);
    }
  });

  it('holds while the chain still has its head at its place; names truncation, emptying and rewriting', () => {
    const cp = made(4);
    expect(judgeCheckpoint(cp, bureau.publicKey, 5, at)).toEqual({ kind: 'holds' });
    expect(judgeCheckpoint(made(0), bureau.publicKey, 0, at)).toEqual({ kind: 'holds' });
    expect(judgeCheckpoint(cp, bureau.publicKey, 3, at)).toEqual({ kind: 'truncated', now: 3 });
    expect(describeFinding(cp, { kind: 'truncated', now: 3 }, 2)).toContain('台账现只有 3 条事件，第 4 号事件被删除');
    expect(describeFinding(cp, { kind: 'truncated', now: 1 }, 0)).toContain('台账现只有 1 条事件，第 2 至第 4 号事件被删除');
    expect(describeFinding(cp, { kind: 'truncated', now: 0 }, 0)).toContain('台账现有 0 条事件，全部 4 条事件被删除或清空');
    const rewritten = judgeCheckpoint(cp, bureau.publicKey, 5, (seq) => (seq === 4 ? 'f'.repeat(64) : at(seq)));
    expect(rewritten).toEqual({ kind: 'rewritten', hashNow: 'f'.repeat(64) });
    expect(describeFinding(cp, rewritten, 2)).toContain('第 3 至第 4 号事件之间有事件被改写');
  });

  it('proves nothing when not the bureau’s: another key, or a forged signature', () => {
    const foreign = signCheckpoint({ ledger: 'x', events: 1, head: hashes[0]!, day: '2026-11-30', at: '2026-11-30T00:00:00.000Z' }, other.privateKey);
    expect(judgeCheckpoint(foreign, bureau.publicKey, 5, at).kind).toBe('other-key');
    const forged = { ...made(2), events: 1, head: hashes[0]! };
    expect(judgeCheckpoint(forged, bureau.publicKey, 5, at).kind).toBe('bad-signature');
  });

  it('is read back from the file or a saved mail, every line accounted for', () => {
    const lines = [checkpointLine(made(1)), checkpointLine(made(2))];
    const mail = ['宣城市数据资源局 督办台账检查点', '', '台账事件数：2', lines[0], '{"v":1,"events":', lines[1], ''].join('\n');
    const parsed = parseCheckpoints(mail);
    expect(parsed.checkpoints.map((c) => [c.line, c.checkpoint.events])).toEqual([
      [4, 1],
      [6, 2],
    ]);
    expect(parsed.skipped).toEqual([1, 3]);
    expect(parsed.unreadable).toEqual([5]);
  });
});

describe('the fingerprint of an ingest run’s values', () => {
  it('is the same however the text is split, and changes with any value, key or count', () => {
    const text = [digestLine(1, 2, '99.5'), digestLine(1, 3, '88'), digestLine(2, 2, '0.25')].join('');
    const whole = new ValuesDigest();
    whole.update(text);
    const split = new ValuesDigest();
    for (let i = 0; i < text.length; i += 5) split.update(Buffer.from(text.slice(i, i + 5)));
    expect(split.result()).toEqual(whole.result());
    expect(whole.result().values).toBe(3);
    const changed = new ValuesDigest();
    changed.update(text.replace('99.5', '99.6'));
    expect(changed.result().digest).not.toBe(whole.result().digest);
  });
});

describe('`duban audit keygen`', () => {
  it('writes a pair whose private half only its owner can read, and never overwrites one', async () => {
    const dir = tempDir('duban-keys-');
    try {
      const printed = await duban('audit', 'keygen', '--out', dir.path);
      const privateFile = path.join(dir.path, 'ledger-checkpoint.key.pem');
      expect(printed).toContain(`私钥：${privateFile}`);
      expect(statSync(privateFile).mode & 0o777).toBe(0o600);
      const publicKey = readPublicKey(path.join(dir.path, 'ledger-checkpoint.pub.pem'));
      expect(printed).toContain(`密钥编号 ${keyIdOf(publicKey)}`);
      const signed = signCheckpoint({ ledger: 'x', events: 0, head: GENESIS_HASH, day: '2026-11-30', at: '2026-11-30T00:00:00.000Z' }, readSigningKey({ checkpointKeyFile: privateFile })!);
      expect(signatureHolds(signed, publicKey)).toBe(true);
      await expect(duban('audit', 'keygen', '--out', dir.path)).rejects.toThrow('已存在：不覆盖已有密钥');
    } finally {
      dir.remove();
    }
  });
});
