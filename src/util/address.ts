// `host:port` endpoints as Redis, ss, netstat and tcpdump print them. Redis prints IPv6 hosts
// without brackets, so the port is whatever follows the last ':'; `[v6]:port` is accepted too.

/** Splits an endpoint that carries a port; `port` is undefined when none can be found. */
export function splitHostPort(endpoint: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(endpoint);
  if (bracketed) {
    return { host: bracketed[1]!, ...(bracketed[2] ? { port: Number(bracketed[2]) } : {}) };
  }
  const at = endpoint.lastIndexOf(':');
  const port = at > 0 ? endpoint.slice(at + 1) : '';
  return /^\d+$/.test(port) ? { host: endpoint.slice(0, at), port: Number(port) } : { host: endpoint };
}

/** The host part of `ip:port` (also of `ip:port@cport`, a CLUSTER NODES address). */
export const hostOf = (endpoint: string): string => splitHostPort(endpoint.split('@')[0]!).host;
