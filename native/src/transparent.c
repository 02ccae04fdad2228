/*
 * transparentSocket(family: 4 | 6) -> fd
 *
 * A fresh TCP socket (non-blocking, close-on-exec, not yet bound or connected) with
 * IP_TRANSPARENT (IPv4) or IPV6_TRANSPARENT (IPv6) set, so that it may be bound to an address
 * that is not one of this host's: the node proxy binds it to the original client's IP and
 * connects to the destination pod, and the pod sees the client, not the proxy, as its peer.
 * Istio's ztunnel does the same on its inbound path (src/proxy.rs freebind_connect: set
 * IP_TRANSPARENT, bind (client IP, port 0), connect). Replies to such a socket are addressed to
 * the client's IP; the node agent's policy routing delivers them locally (docs/node-agent.md).
 *
 * The caller owns the descriptor (Node's net.Socket({ fd }) takes it over). Setting the option
 * needs CAP_NET_ADMIN (or CAP_NET_RAW): without it this throws with code EPERM and closes the
 * socket. Failures throw an Error whose `code` is the errno name and `errno` its number.
 */
#include "transparent.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
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

static const char *errno_name(int e) {
  switch (e) {
  case EPERM: return "EPERM";
  case EACCES: return "EACCES";
  case EAFNOSUPPORT: return "EAFNOSUPPORT";
  case ENOPROTOOPT: return "ENOPROTOOPT";
  case EMFILE: return "EMFILE";
  case ENFILE: return "ENFILE";
  case ENOBUFS: return "ENOBUFS";
  case ENOMEM: return "ENOMEM";
  default: return "ERRNO";
  }
}

static napi_value throw_errno(napi_env env, const char *what, int e) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_value code, text, err, num;
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &err);
  napi_create_int32(env, e, &num);
  napi_set_named_property(env, err, "errno", num);
  napi_throw(env, err);
  return NULL;
}

napi_value transparent_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int32_t family = 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &family) != napi_ok || (family != 4 && family != 6)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "transparentSocket(family): family must be 4 or 6");
    return NULL;
  }
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int on = 1;
  int rc = family == 4 ? setsockopt(fd, SOL_IP, IP_TRANSPARENT, &on, sizeof on)
                       : setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &on, sizeof on);
  if (rc != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, family == 4 ? "setsockopt(IP_TRANSPARENT)" : "setsockopt(IPV6_TRANSPARENT)", e);
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}
