/*
 * transparentSocket(family: 4 | 6, bindIp?: string, avoidPorts?: number[]) -> fd
 *
 * A fresh TCP socket (non-blocking, close-on-exec, not yet connected) with
 * IP_TRANSPARENT (IPv4) or IPV6_TRANSPARENT (IPv6) set, so that it may be bound to an address
 * that is not one of this host's: the node proxy binds it to the original client's IP and
 * connects to the destination pod, and the pod sees the client, not the proxy, as its peer.
 * Istio's ztunnel does the same on its inbound path (src/proxy.rs freebind_connect: set
 * IP_TRANSPARENT, bind (client IP, port 0), connect). Replies to such a socket are addressed to
 * the client's IP; the node agent's policy routing delivers them locally (docs/node-agent.md).
 *
 * With `bindIp` the socket comes back bound to (bindIp, a port the kernel picked) that is not in
 * `avoidPorts`: the caller passes the ports the same client already uses towards this node's
 * pods, whose conntrack entries here would otherwise capture our SYN when the kernel happened to
 * pick the same port (the connect would hang). Binding here rather than in Node's connect() is
 * what lets us see the port before the first packet leaves.
 *
 * The caller owns the descriptor (Node's net.Socket({ fd }) takes it over). Setting the option
 * needs CAP_NET_ADMIN (or CAP_NET_RAW): without it this throws with code EPERM and closes the
 * socket. Failures throw an Error whose `code` is the errno name and `errno` its number.
 */
#include "transparent.h"
#include "errors.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* linux/in.h and linux/in6.h; glibc's netinet/in.h has both, but older headers may not. */
#ifndef IP_TRANSPARENT
#define IP_TRANSPARENT 19
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT 75
#endif

static int new_transparent(int family) {
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int on = 1;
  int rc = family == 4 ? setsockopt(fd, SOL_IP, IP_TRANSPARENT, &on, sizeof on)
                       : setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &on, sizeof on);
  if (rc != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

/* Bound local port of fd, or -1. */
static int bound_port(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return -1;
  if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
  return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Tries before giving up on a port outside `avoid` (each bind(0) picks a port at random). */
#define BIND_TRIES 16
#define MAX_AVOID 64

napi_value transparent_socket(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int32_t family = 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &family) != napi_ok || (family != 4 && family != 6)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "transparentSocket(family): family must be 4 or 6");
    return NULL;
  }
  /* Optional: the foreign address to bind to (port chosen by the kernel), and ports to avoid. */
  char ip[64] = {0};
  size_t ip_len = 0;
  napi_valuetype t = napi_undefined;
  if (argc >= 2) napi_typeof(env, argv[1], &t);
  int bind_wanted = t == napi_string;
  struct sockaddr_storage addr;
  socklen_t addr_len = 0;
  memset(&addr, 0, sizeof addr);
  if (bind_wanted) {
    if (napi_get_value_string_utf8(env, argv[1], ip, sizeof ip, &ip_len) != napi_ok) return NULL;
    if (family == 4) {
      struct sockaddr_in *a = (struct sockaddr_in *)&addr;
      a->sin_family = AF_INET;
      if (inet_pton(AF_INET, ip, &a->sin_addr) != 1) {
        napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "transparentSocket: not an IPv4 address");
        return NULL;
      }
      addr_len = sizeof *a;
    } else {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)&addr;
      a->sin6_family = AF_INET6;
      if (inet_pton(AF_INET6, ip, &a->sin6_addr) != 1) {
        napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "transparentSocket: not an IPv6 address");
        return NULL;
      }
      addr_len = sizeof *a;
    }
  }
  int32_t avoid[MAX_AVOID];
  uint32_t n_avoid = 0;
  bool is_array = false;
  if (argc >= 3 && napi_is_array(env, argv[2], &is_array) == napi_ok && is_array) {
    napi_get_array_length(env, argv[2], &n_avoid);
    if (n_avoid > MAX_AVOID) n_avoid = MAX_AVOID;
    for (uint32_t i = 0; i < n_avoid; i++) {
      napi_value v;
      avoid[i] = -1;
      if (napi_get_element(env, argv[2], i, &v) == napi_ok) napi_get_value_int32(env, v, &avoid[i]);
    }
  }

  for (int attempt = 0; attempt < (bind_wanted ? BIND_TRIES : 1); attempt++) {
    int fd = new_transparent(family);
    if (fd < 0) {
      return throw_errno(env, family == 4 ? "setsockopt(IP_TRANSPARENT)" : "setsockopt(IPV6_TRANSPARENT)", errno);
    }
    if (bind_wanted) {
      if (bind(fd, (struct sockaddr *)&addr, addr_len) != 0) {
        int e = errno;
        close(fd);
        return throw_errno(env, "bind", e);
      }
      int port = bound_port(fd);
      int clash = 0;
      for (uint32_t i = 0; i < n_avoid; i++) clash |= avoid[i] == port;
      if (clash) {
        close(fd);
        continue;
      }
    }
    napi_value result;
    napi_create_int32(env, fd, &result);
    return result;
  }
  return throw_errno(env, "bind (every port offered was one to avoid)", EADDRINUSE);
}
