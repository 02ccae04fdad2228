/** Address text as the registry spells it: IPv4-mapped IPv6 ("::ffff:10.0.0.1") becomes IPv4. */
export function normalizeIp(ip: string): string {
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

/** "ip:port", bracketing IPv6 as an HTTP authority must (RFC 3986 section 3.2.2). */
export function hostPort(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}
