/**
 * Allow-lists of outbound hosts, shared by function nodes (VERDICT_HTTP_ALLOW_HOSTS) and webhooks
 * (VERDICT_WEBHOOK_ALLOW_HOSTS). An entry is `host` or `host:port`, `*.example.com[:port]` for
 * subdomains, `[::1]` for an IPv6 literal.
 *
 * `portless` says what an entry without a port matches: function nodes keep the stricter rule
 * (only the scheme's default port), webhooks let `127.0.0.1` name a host on any port, since a
 * webhook list names hosts that may be private, not services.
 */
export function isHostAllowed(allowHosts: readonly string[], url: URL, portless: 'default-port' | 'any-port' = 'default-port'): boolean {
  const hostname = url.hostname.toLowerCase();
  const port = url.port; // '' for the scheme's default port
  return allowHosts.some((entry) => {
    const at = entry.lastIndexOf(':');
    const hasPort = at > entry.lastIndexOf(']');
    const name = hasPort ? entry.slice(0, at) : entry;
    if (hasPort ? entry.slice(at + 1) !== port : portless === 'default-port' && port !== '') return false;
    return name.startsWith('*.') ? hostname.endsWith(name.slice(1)) : name === hostname;
  });
}
