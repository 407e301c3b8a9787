/** Published numbers and the report tables that set ours beside them. */
export { parsePublished, PublishedTable, type PublishedRow, type PublishedQuery } from './published.ts';
export {
  buildCorrelationRows,
  correlationTableCsv,
  correlationTableMarkdown,
  writeCorrelationTable,
  CORRELATION_COLUMNS,
  type CorrelationEntry,
  type CorrelationRow,
  type PublishedValue,
} from './correlation-table.ts';
export {
  buildSearchRows,
  searchTableCsv,
  searchTableMarkdown,
  writeSearchTable,
  SEARCH_COLUMNS,
  type SearchEntry,
  type SearchRow,
} from './search-table.ts';
export { NA, csvNumber, mdNumber, markdownTable } from './format.ts';
