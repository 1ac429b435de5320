/**
 * Secrets that arrive in URLs. Verdict takes tokens only in headers, but clients still put them in
 * query strings (`?access_token=`, `?api_key=`) or paste them into a path; the URL is then logged
 * and echoed in a problem's `instance`, so such values are replaced before either happens.
 */

/** Query parameter names whose values are secrets, by their last word: `token`, `access_token`, `x-api-key`, `client_secret`... */
const SECRET_PARAMETER = /(?:^|[-_.])(?:access[-_]?token|token|secret|password|passwd|pwd|api[-_]?key|apikey|access[-_]?key|auth|authorization|credentials?|signature|sig|jwt|session)$/;

/** Verdict's own tokens anywhere in a URL, also with percent-encoded underscores. */
const VERDICT_TOKEN = /vrd(?:_|%5f)(api|eval)(?:_|%5f)[^/?&#;,\s]*/gi;

// Plain letters: a problem's `instance` must stay a valid URI reference.
export const REDACTED = 'redacted';

function isSecretParameter(rawName: string): boolean {
  let name = rawName;
  try {
    name = decodeURIComponent(rawName.replaceAll('+', ' '));
  } catch {
    // malformed escapes: judge the name as sent
  }
  return SECRET_PARAMETER.test(name.trim().toLowerCase());
}

/** The URL with secret query values and anything shaped like a Verdict token replaced by `redacted`. */
export function redactUrl(url: string): string {
  const query = url.indexOf('?');
  // The common case (no query, no token-like text) costs two scans and no allocation.
  if (query === -1 && !/vrd/i.test(url)) return url;
  let redacted = url;
  if (query !== -1) {
    const parameters = url
      .slice(query + 1)
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        return eq !== -1 && isSecretParameter(pair.slice(0, eq)) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
      });
    redacted = `${url.slice(0, query)}?${parameters.join('&')}`;
  }
  return redacted.replace(VERDICT_TOKEN, (_match, kind: string) => `vrd_${kind.toLowerCase()}_${REDACTED}`);
}

/** A URL with a scheme (postgres://user:password@host:port/db...), anywhere in a text. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]+/gi;
/** libpq conninfo secrets (`password=...`) and a PGPASSWORD echoed back. */
const CONNINFO_SECRET = /\b(password|passwd|pgpassword|sslpassword)\s*=\s*('[^']*'|\S+)/gi;

/**
 * An error about a database connection as anyone may read it: every URL reduced to its host and
 * port (the user, password, database and options go), conninfo passwords replaced, and at most
 * 240 characters. What a viewer of the regions screen sees of a server that does not answer.
 */
export function redactConnectionText(text: string): string {
  const reduced = text
    .replace(URL_IN_TEXT, (url) => {
      try {
        const parsed = new URL(url);
        return parsed.host === '' ? REDACTED : parsed.host;
      } catch {
        return REDACTED;
      }
    })
    .replace(CONNINFO_SECRET, (_match, key: string) => `${key}=${REDACTED}`);
  return reduced.length > 240 ? `${reduced.slice(0, 239)}…` : reduced;
}
