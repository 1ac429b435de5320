import type { AuditEntry } from './schemas.js';

const COLUMNS: readonly { header: string; value: (e: AuditEntry) => string | number | null }[] = [
  { header: 'id', value: (e) => e.id },
  { header: 'at', value: (e) => e.at },
  { header: 'actor', value: (e) => e.actor },
  { header: 'actor_token_id', value: (e) => e.actorTokenId },
  { header: 'action', value: (e) => e.action },
  { header: 'target_type', value: (e) => e.targetType },
  { header: 'target', value: (e) => e.target },
  { header: 'project', value: (e) => e.projectKey },
  { header: 'before_hash', value: (e) => e.beforeHash },
  { header: 'after_hash', value: (e) => e.afterHash },
  { header: 'request_id', value: (e) => e.requestId },
  { header: 'ip', value: (e) => e.ip },
  { header: 'details', value: (e) => JSON.stringify(e.details) },
];

// A spreadsheet runs a cell that starts like a formula; names and keys come from users.
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 field: quoted when it holds a comma, quote, CR or LF (quotes doubled). Text that a
 * spreadsheet would take for a formula gets a leading apostrophe (OWASP's CSV injection advice):
 * an exported log must not run anything when opened.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Audit entries as CSV text: a header row, then one row per entry, CRLF line ends (RFC 4180). */
export function auditCsv(entries: readonly AuditEntry[]): string {
  const lines = [COLUMNS.map((c) => c.header).join(',')];
  for (const entry of entries) lines.push(COLUMNS.map((c) => csvField(c.value(entry))).join(','));
  return lines.join('\r\n') + '\r\n';
}
