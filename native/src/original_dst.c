/*
 * ambit_native: what Node cannot do itself on the data path — read the destination a connection
 * had before the node agent's iptables REDIRECT/DNAT rewrote it (SO_ORIGINAL_DST), and tune the C
 * library's allocator for a proxy's buffer churn.
 *
 *   originalDst(fd: number) -> { address: string, port: number, family: 4 | 6 }
 *   tuneAllocator(...) -> boolean   (malloc_tuning.c: the C library's allocator thresholds)
 *   transparentSocket(4 | 6, ip?, avoidPorts?) -> fd   (transparent.c: a TCP socket that may bind
 *                                         a foreign address)
 *
 * The kernel answers from the connection's conntrack entry (netfilter's getorigdst): level SOL_IP
 * with SO_ORIGINAL_DST for IPv4, level SOL_IPV6 with IP6T_SO_ORIGINAL_DST for IPv6. An AF_INET6
 * socket that carries an IPv4 connection (a dual-stack listener, local address ::ffff:a.b.c.d)
 * has an IPv4 conntrack entry, so it is asked at the IPv4 level. Failures throw an Error whose
 * `code` is the errno name (e.g. ENOENT: no conntrack entry / not redirected) and `errno` its number.
 *
 * Only node_api.h (N-API), so the binary works across Node versions without node-addon-api.
 */
#include <node_api.h>

#include "errors.h"

#include "malloc_tuning.h"
#include "transparent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* linux/netfilter_ipv4.h and linux/netfilter_ipv6/ip6_tables.h; both are 80. Defined here to
 * avoid mixing kernel uapi headers with glibc's netinet headers. */
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif

static napi_value make_result(napi_env env, const char *address, int port, int family) {
  napi_value obj, a, p, f;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, address, NAPI_AUTO_LENGTH, &a);
  napi_create_int32(env, port, &p);
  napi_create_int32(env, family, &f);
  napi_set_named_property(env, obj, "address", a);
  napi_set_named_property(env, obj, "port", p);
  napi_set_named_property(env, obj, "family", f);
  return obj;
}

static napi_value v4_original(napi_env env, int fd) {
  struct sockaddr_in dst;
  socklen_t len = sizeof dst;
  memset(&dst, 0, sizeof dst);
  if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &dst, &len) != 0)
    return throw_errno(env, "getsockopt(SO_ORIGINAL_DST)", errno);
  char text[INET_ADDRSTRLEN];
  if (inet_ntop(AF_INET, &dst.sin_addr, text, sizeof text) == NULL)
    return throw_errno(env, "inet_ntop", errno);
  return make_result(env, text, ntohs(dst.sin_port), 4);
}

static napi_value v6_original(napi_env env, int fd) {
  struct sockaddr_in6 dst;
  socklen_t len = sizeof dst;
  memset(&dst, 0, sizeof dst);
  if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &dst, &len) != 0)
    return throw_errno(env, "getsockopt(IP6T_SO_ORIGINAL_DST)", errno);
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, &dst.sin6_addr, text, sizeof text) == NULL)
    return throw_errno(env, "inet_ntop", errno);
  return make_result(env, text, ntohs(dst.sin6_port), 6);
}

static napi_value original_dst(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  double fdv = -1;
  if (argc < 1 || napi_get_value_double(env, argv[0], &fdv) != napi_ok || fdv < 0 || fdv > 2147483647.0 ||
      fdv != (double)(int)fdv) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "originalDst(fd): fd must be a non-negative integer");
    return NULL;
  }
  int fd = (int)fdv;

  struct sockaddr_storage local;
  socklen_t len = sizeof local;
  memset(&local, 0, sizeof local);
  if (getsockname(fd, (struct sockaddr *)&local, &len) != 0) return throw_errno(env, "getsockname", errno);
  if (local.ss_family == AF_INET) return v4_original(env, fd);
  if (local.ss_family == AF_INET6) {
    const struct sockaddr_in6 *l6 = (const struct sockaddr_in6 *)&local;
    if (IN6_IS_ADDR_V4MAPPED(&l6->sin6_addr)) return v4_original(env, fd);
    return v6_original(env, fd);
  }
  return throw_errno(env, "originalDst: not an IPv4/IPv6 socket", EAFNOSUPPORT);
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  if (napi_create_function(env, "originalDst", NAPI_AUTO_LENGTH, original_dst, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "originalDst", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "tuneAllocator", NAPI_AUTO_LENGTH, tune_allocator, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "tuneAllocator", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "transparentSocket", NAPI_AUTO_LENGTH, transparent_socket, NULL, &fn) != napi_ok)
    return NULL;
  if (napi_set_named_property(env, exports, "transparentSocket", fn) != napi_ok) return NULL;
  return exports;
}
