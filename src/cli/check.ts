/**
 * `nasrepro check RESULTS --against EXPECTED|published [--tolerance 0.02|ci]`: the regression
 * check (src/report/check.ts). RESULTS and EXPECTED are each a results directory (every
 * correlation.csv below it) or one correlation CSV; `published` is reference/published.csv.
 * Prints every row (expected, ours, difference, tolerance, verdict) and exits 0 when all hold,
 * 1 on drift or a row on one side only, 2 on unreadable input (one line naming the file and line).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { checkAgainstPublished, checkReportMarkdown, checkTables, parseTolerance, readCheckSide } from '../report/check.ts';
import { PublishedTable } from '../report/published.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PUBLISHED_CSV = path.join(REPO, 'reference', 'published.csv');

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('compare correlation tables with expected ones (or the published values); exit 1 on drift')
    .argument('<results>', 'results directory (every correlation.csv below it) or a correlation CSV')
    .requiredOption('--against <expected>', "expected results directory or CSV, or 'published' (reference/published.csv)")
    .option('--tolerance <t>', "allowed |ours - expected|: a number, or 'ci' (each row's 95% CI width)", '0.02')
    .option('--published <file>', 'the published table for --against published', PUBLISHED_CSV)
    .action((results: string, o: { against: string; tolerance: string; published: string }) => {
      const tolerance = parseTolerance(o.tolerance);
      const ours = readCheckSide(results);
      const result =
        o.against === 'published'
          ? checkAgainstPublished(ours, PublishedTable.load(o.published), tolerance, o.published)
          : checkTables(ours, readCheckSide(o.against), tolerance);
      process.stdout.write(checkReportMarkdown(result));
      if (result.failed > 0) {
        process.stderr.write(`nasrepro check: ${result.failed} of ${result.lines.length} rows failed against ${o.against}\n`);
        process.exitCode = 1;
      }
    });
}
