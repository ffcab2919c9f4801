import { ChainedEvent, chainHash, ChainVerifier, describeBreak, GENESIS_HASH, LedgerContent } from '../../src/domain/ledger-chain';

function chain(n: number): ChainedEvent[] {
  const out: ChainedEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let k = 1; k <= n; k++) {
    const content: LedgerContent = {
      seq: String(k),
      type: 'rule_version_applied',
      actor: '张三',
      problemId: null,
      unitId: null,
      indicatorId: null,
      ruleId: `rule${k}`,
      payload: { version: k, reason: '初始规则' },
      recordedAt: '2026-11-27T08:00:00.000Z',
    };
    const hash = chainHash(prevHash, content);
    out.push({ ...content, prevHash, hash });
    prevHash = hash;
  }
  return out;
}

describe('ledger hash chain', () => {
  it('verifies an intact chain, fed in pages', () => {
    const events = chain(5);
    const v = new ChainVerifier();
    expect(v.check(events.slice(0, 2))).toBeUndefined();
    expect(v.check(events.slice(2))).toBeUndefined();
    expect(v.checked).toBe(5);
  });

  it('hashes content canonically: key order does not matter, any value does', () => {
    const [e] = chain(1);
    const { prevHash, hash, ...content } = e!;
    expect(chainHash(prevHash, { ...content, payload: { reason: '初始规则', version: 1 } })).toBe(hash);
    expect(chainHash(prevHash, { ...content, payload: { reason: '初始规则', version: 2 } })).not.toBe(hash);
    expect(chainHash(prevHash, { ...content, actor: '李四' })).not.toBe(hash);
  });

  it('names an altered event', () => {
    const events = chain(4);
    events[2] = { ...events[2]!, payload: { version: 3, reason: '事后改写' } };
    const broken = new ChainVerifier().check(events);
    expect(broken).toEqual({ seq: '3', reason: 'altered' });
    expect(describeBreak(broken!)).toBe('第 3 号事件的内容与其哈希不符：该事件在写入后被修改');
  });

  it('names the event after a deleted one, and a re-hashed forgery that no longer links', () => {
    const events = chain(4);
    expect(new ChainVerifier().check([events[0]!, events[2]!, events[3]!])).toEqual({ seq: '3', reason: 'gap', expectedSeq: '2' });

    // A forger rewrites event 2 and its hash; event 3 still points at the old hash.
    const forged = { ...events[1]!, payload: { version: 2, reason: '伪造' } };
    forged.hash = chainHash(forged.prevHash, (({ prevHash: _p, hash: _h, ...c }) => c)(forged));
    expect(new ChainVerifier().check([events[0]!, forged, events[2]!, events[3]!])).toEqual({
      seq: '3',
      reason: 'unlinked',
      expectedPrevHash: forged.hash,
    });
  });

  it('starts from the genesis hash and seq 1', () => {
    const [first] = chain(1);
    expect(new ChainVerifier().check([{ ...first!, prevHash: 'f'.repeat(64) }])).toMatchObject({ seq: '1', reason: 'unlinked' });
    expect(new ChainVerifier().check([{ ...first!, seq: '2' }])).toMatchObject({ reason: 'gap', expectedSeq: '1' });
  });
});
