/**
 * How a container's argv is made to run "inside the pod": a prefix that enters the pod's
 * network namespace and gives the process the pod's hostname, then execs the program — every
 * step execs, so the PID the runtime spawns is the container's own process (signals and exit
 * codes are the program's):
 *
 *   ip netns exec NETNS               network namespace; also bind-mounts /etc/netns/NETNS/*
 *                                     over /etc (the pod's resolv.conf and hosts)
 *   unshare --uts --                  a UTS namespace of its own, so the hostname stays the pod's
 *   sh -c 'hostname "$0" && exec "$@"' HOSTNAME argv...
 *
 * Tests pass `identityWrap` to run containers directly on the host (no root needed).
 */

export type Wrap = (netns: string, hostname: string, argv: string[]) => string[];

export const defaultWrap: Wrap = (netns, hostname, argv) => [
  "ip",
  "netns",
  "exec",
  netns,
  "unshare",
  "--uts",
  "--",
  "sh",
  "-c",
  'hostname "$0" && exec "$@"',
  hostname,
  ...argv,
];

export const identityWrap: Wrap = (_netns, _hostname, argv) => argv;
