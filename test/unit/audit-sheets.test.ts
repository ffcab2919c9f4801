import { ledgerStatus } from '../../src/domain/audit-sheets';
import { neutraliseCell } from '../../src/domain/spreadsheet-cell';

describe('台账 status', () => {
  it('derives 逾期 and 督办中 for live problems only', () => {
    expect(ledgerStatus({ state: 'assigned', deadline: '2026-10-10', escalation: 'none' }, '2026-10-10')).toBe('整改中');
    expect(ledgerStatus({ state: 'assigned', deadline: '2026-10-10', escalation: 'remind' }, '2026-10-12')).toBe('逾期');
    expect(ledgerStatus({ state: 'pending_verification', deadline: '2026-10-10', escalation: 'supervise' }, '2026-10-14')).toBe('督办中');
    expect(ledgerStatus({ state: 'closed', deadline: '2026-10-10', escalation: 'notify' }, '2026-11-01')).toBe('已销号');
    expect(ledgerStatus({ state: 'open', deadline: null, escalation: 'none' }, '2026-11-01')).toBe('待交办');
  });
});

describe('spreadsheet cells', () => {
  it('neutralises text a spreadsheet would run as a formula, and only that', () => {
    for (const t of ['=1+1', '+86 123', '-5', '@SUM(A1)', '\t=1', '\r=1']) expect(neutraliseCell(t)).toBe(`'${t}`);
    for (const t of ['已整改', '99.5%', '', "'quoted"]) expect(neutraliseCell(t)).toBe(t);
  });
});
