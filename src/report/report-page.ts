/**
 * What a reproduce runner calls after writing README.md: draw the figures of the results folder
 * (src/report/figures.ts) and write REPORT.html (src/report/html-report.ts) from the same page.
 */
import { writeFigures } from './figures.ts';
import { writeHtmlReport } from './html-report.ts';

/**
 * `page` is README.md's text: its header (provenance) followed by the experiments' sections, in
 * the order of `outputs` (joined by newlines), as the runners build it.
 */
export async function writeReportPage(resultsDir: string, title: string, page: string, outputs: readonly { markdown: string; files: string[]; name?: string }[], options?: object): Promise<string> {
  const body = outputs.map((x) => x.markdown).join('\n');
  const header = page.endsWith(body) ? page.slice(0, page.length - body.length) : page;
  const figures = await writeFigures(resultsDir);
  const sections = outputs.map((x) => ({ experiment: x.files[0]?.split('/')[0] ?? x.name ?? 'results', markdown: x.markdown }));
  return writeHtmlReport(resultsDir, { title, header, sections, figures, ...(options ? { options: { ...options } as Record<string, unknown> } : {}) });
}
