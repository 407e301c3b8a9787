import { describe, expect, it } from 'vitest';
import { htmlReport } from '../../src/report/html-report.ts';

const figure = { name: 'study/curve', title: 'a curve', experiment: 'study', svg: '<svg xmlns="http://www.w3.org/2000/svg"><g id="FIGURE"/></svg>' };

function page(markdown: string): string {
  return htmlReport({ title: 'T', header: '# T\nprovenance', sections: [{ experiment: 'study', markdown }], figures: [figure] });
}

describe('htmlReport figure placement', () => {
  it("puts a section's figures after its settings and before the sub-heading and caption that introduce its first table", () => {
    const html = page(['## The study', '', '- settings line', '', '### Summary', '', 'Subspace rows:', '', '| a | b |', '|---|---|', '| 1 | 2 |', ''].join('\n'));
    const order = ['The study', 'settings line', 'FIGURE', 'Summary', 'Subspace rows:', '<div class="table">'].map((s) => html.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('puts them directly before a table that has no caption', () => {
    const html = page(['## The study', '', '- settings line', '', '| a | b |', '|---|---|', '| 1 | 2 |', ''].join('\n'));
    const order = ['settings line', 'FIGURE', '<div class="table">'].map((s) => html.indexOf(s));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});
