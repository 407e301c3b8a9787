/**
 * results/<benchmark>/REPORT.html: one self-contained page (no external file, script or font;
 * figures inlined as SVG) with every table of the run, our value beside the published one (the
 * tables' published and delta columns), every figure, the settings and the provenance.
 *
 * The page is built from what the run already wrote for README.md: the page header (provenance:
 * data, store sources, cells) and each experiment's Markdown section (description, differences,
 * settings lines, tables), so the page and README.md cannot disagree. The Markdown the
 * experiments write is a small subset (headings, bullet lists, pipe tables, paragraphs, `code`,
 * **bold**), converted here; each experiment's figures follow its section.
 */
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.ts';
import type { Figure } from './figures.ts';

export interface ReportSection {
  /** The experiment's results folder ('naswot'); its figures go after this section. */
  experiment: string;
  markdown: string;
}

export interface HtmlReportInput {
  title: string;
  /** The provenance Markdown (README.md's header: generated when, data, store sources). */
  header: string;
  sections: readonly ReportSection[];
  figures: readonly Figure[];
  /** Extra provenance: the run's options, shown as a definition table. */
  options?: Record<string, unknown>;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function inline(s: string): string {
  return escapeHtml(s)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
}

/** Splits a pipe-table line into cells, honouring the writer's \| and \\ escapes. */
function tableCells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  const cells: string[] = [];
  let cur = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c === '\\' && i + 1 < inner.length) {
      cur += inner[++i];
    } else if (c === '|') {
      cells.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  cells.push(cur.trim());
  return cells;
}

/** The experiments' Markdown subset -> HTML. */
export function markdownToHtml(md: string): string {
  const lines = md.split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const h = /^(#{1,4}) (.*)$/.exec(line);
    if (h) {
      const level = Math.min(6, h[1]!.length + 1); // the page's own title is the h1
      out.push(`<h${level}>${inline(h[2]!)}</h${level}>`);
      i++;
    } else if (line.startsWith('|')) {
      const rows: string[] = [];
      while (i < lines.length && lines[i]!.startsWith('|')) rows.push(lines[i++]!);
      const header = tableCells(rows[0]!);
      const rule = rows[1] !== undefined && /^\|[\s:|-]+\|$/.test(rows[1]) ? tableCells(rows[1]) : undefined;
      const align = rule?.map((r) => (r.endsWith(':') ? ' class="r"' : '')) ?? [];
      const body = rows.slice(rule ? 2 : 1).map((r) => `<tr>${tableCells(r).map((c, k) => `<td${align[k] ?? ''}>${inline(c)}</td>`).join('')}</tr>`);
      const highlight = header.map((c) => (c === 'ours' || c === 'published' || c === 'delta' ? ' class="key"' : ''));
      out.push(`<div class="table"><table><thead><tr>${header.map((c, k) => `<th${highlight[k]}>${inline(c)}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table></div>`);
    } else if (/^\s*- /.test(line)) {
      const items: string[] = [];
      while (i < lines.length && /^\s*- /.test(lines[i]!)) items.push(`<li>${inline(lines[i++]!.replace(/^\s*- /, ''))}</li>`);
      out.push(`<ul>${items.join('')}</ul>`);
    } else if (line.trim() === '') {
      i++;
    } else {
      const para: string[] = [];
      while (i < lines.length && lines[i]!.trim() !== '' && !/^(#{1,4} |\||\s*- )/.test(lines[i]!)) para.push(lines[i++]!);
      out.push(`<p>${inline(para.join(' '))}</p>`);
    }
  }
  return out.join('\n');
}

const STYLE = `
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1320px; color: #222; line-height: 1.4; }
h1 { border-bottom: 2px solid #444; padding-bottom: 4px; }
h2 { border-bottom: 1px solid #bbb; margin-top: 36px; }
section.experiment { margin-bottom: 28px; }
div.table { overflow-x: auto; margin: 8px 0 16px; }
table { border-collapse: collapse; font-size: 11px; }
th, td { border: 1px solid #ccc; padding: 2px 5px; vertical-align: top; }
td { max-width: 420px; }
td:last-child { min-width: 320px; font-size: 11px; color: #444; }
th { background: #f0f0f0; position: sticky; top: 0; }
th.key { background: #dde8f5; }
td.r { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafa; }
code { background: #f3f3f3; padding: 0 3px; }
.figures { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; border: 1px solid #ddd; padding: 6px; background: white; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: #555; }
nav ul { columns: 3; }
`;

/** The page's HTML. */
export function htmlReport(input: HtmlReportInput): string {
  const byExperiment = new Map<string, Figure[]>();
  for (const f of input.figures) byExperiment.set(f.experiment, [...(byExperiment.get(f.experiment) ?? []), f]);
  const figureHtml = (figs: readonly Figure[]) =>
    figs.length === 0
      ? ''
      : `<h3>Figures</h3><div class="figures">${figs
          .map((f) => `<figure id="fig-${escapeHtml(f.name.replace(/\//g, '-'))}">${stripXmlProlog(f.svg)}<figcaption>${escapeHtml(f.title)} (${escapeHtml(f.name)}.svg / .png)</figcaption></figure>`)
          .join('')}</div>`;
  const used = new Set<string>();
  const sections = input.sections.map((s) => {
    used.add(s.experiment);
    // Figures before the section's first table: the scatter plots are what a reader looks at first.
    const body = markdownToHtml(s.markdown);
    const figs = figureHtml(byExperiment.get(s.experiment) ?? []);
    // ... and before the caption paragraph and sub-heading (h4/h5: the section's own title, `##`,
    // is h3) right above that table, so they stay beside the table they introduce.
    let at = body.indexOf('<div class="table">');
    if (at >= 0 && body.slice(0, at).trimEnd().endsWith('</p>')) at = body.lastIndexOf('<p>', at);
    const sub = at >= 0 ? /<\/h([45])>$/.exec(body.slice(0, at).trimEnd()) : null;
    if (sub) at = body.lastIndexOf(`<h${sub[1]}>`, at);
    return `<section class="experiment" id="${escapeHtml(s.experiment)}">${at < 0 ? body + figs : body.slice(0, at) + figs + body.slice(at)}</section>`;
  });
  // Figures of folders no section claims (a results folder from an earlier run) still show.
  const orphans = input.figures.filter((f) => !used.has(f.experiment));
  const nav = input.sections.map((s) => {
    const title = /^## (.*)$/m.exec(s.markdown)?.[1] ?? s.experiment;
    return `<li><a href="#${escapeHtml(s.experiment)}">${escapeHtml(title)}</a></li>`;
  });
  const options = input.options
    ? `<h2>Run options</h2><div class="table"><table><tbody>${Object.entries(input.options)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(typeof v === 'string' ? v : JSON.stringify(v))}</td></tr>`)
        .join('')}</tbody></table></div>`
    : '';
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(input.title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${escapeHtml(input.title)}</h1>`,
    `<section id="provenance">${markdownToHtml(input.header.replace(/^# .*\n/, ''))}</section>`,
    `<nav><ul>${nav.join('')}</ul></nav>`,
    ...sections,
    orphans.length > 0 ? `<section><h2>Other figures</h2>${figureHtml(orphans)}</section>` : '',
    options,
    '</body></html>',
    '',
  ].join('\n');
}

let svgCount = 0;

/** The SVG for inlining: no XML prolog, and its ids (vega's clip paths, gradients) made unique on the page. */
function stripXmlProlog(svg: string): string {
  const p = `f${++svgCount}-`;
  return svg
    .replace(/^<\?xml[^>]*>\s*/, '')
    .replace(/\bid="([^"]+)"/g, `id="${p}$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${p}$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${p}$1"`);
}

/** Writes <resultsDir>/REPORT.html; returns its path. */
export function writeHtmlReport(resultsDir: string, input: HtmlReportInput): string {
  const file = path.join(resultsDir, 'REPORT.html');
  writeFileAtomic(file, htmlReport(input));
  return file;
}
