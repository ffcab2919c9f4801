import { labelKey } from '../../src/domain/labels';

/** labelKey as the rule says it, without the shortcut for labels that are their own key. */
const byTheRule = (label: string) => label.normalize('NFKC').replace(/[\s\u200b-\u200d\u2060\ufeff]+/g, '').toLowerCase();

describe('labelKey', () => {
  it('folds full width, blanks and case', () => {
    for (const [label, key] of [
      ['ＬＡＮＧＸＩ', 'langxi'],
      ['Lang Xi', 'langxi'],
      ['郎溪县\u3000', '郎溪县'],
      ['全程网办率（％）', '全程网办率(%)'],
      ['12345\u200b按时办结率', '12345按时办结率'],
      ['', ''],
    ]) {
      expect(labelKey(label!)).toBe(key);
    }
  });

  it('takes a label of printable ASCII without capitals and CJK ideographs as its own key, as the rule would', () => {
    const chars: string[] = [];
    for (let c = 0x21; c <= 0x7e; c++) if (c < 0x41 || c > 0x5a) chars.push(String.fromCharCode(c));
    for (let c = 0x4e00; c <= 0x9fff; c++) chars.push(String.fromCharCode(c));
    for (const ch of chars) expect([ch, byTheRule(ch)]).toEqual([ch, ch]);
    // Nothing in the class composes with its neighbour under NFKC.
    const all = chars.join('');
    expect(byTheRule(all)).toBe(all);
    expect(labelKey(all)).toBe(all);
    // Just outside it, the rule applies.
    for (const label of ['A', ' a', '（', '\u3000', '\uf900', 'ａ', 'ǅ']) expect(labelKey(label)).toBe(byTheRule(label));
  });
});
