/**
 * Splits a connection URL that lists several hosts (`postgres://u:p@h1:5432,h2:5433/db?x=y`, the
 * libpq form) into one URL per host. `target_session_attrs` is dropped: Verdict picks the primary
 * itself, by role and cluster generation (postgres.js's check accepts any writable server and is
 * only made when a connection opens).
 */
export function splitHosts(url: string): string[] {
  const match = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/.exec(url);
  if (!match) throw new Error('DATABASE_URL is not a postgres:// URL');
  const [, scheme, auth = '', hostList = '', path = '', query = ''] = match;
  const params = new URLSearchParams(query.slice(1));
  params.delete('target_session_attrs');
  const rest = params.toString();
  const hosts = hostList.split(',').filter(Boolean);
  if (hosts.length === 0) throw new Error('DATABASE_URL names no host');
  return hosts.map((host) => `${scheme}${auth}${host}${path}${rest ? `?${rest}` : ''}`);
}
