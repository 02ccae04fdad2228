/* The addon's system errors, shared by original_dst.c and transparent.c (errors.h). */
#include "errors.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *errno_name(int e) {
  switch (e) {
  case EPERM: return "EPERM";
  case EACCES: return "EACCES";
  case ENOENT: return "ENOENT";
  case EBADF: return "EBADF";
  case ENOTSOCK: return "ENOTSOCK";
  case ENOPROTOOPT: return "ENOPROTOOPT";
  case EOPNOTSUPP: return "EOPNOTSUPP";
  case EINVAL: return "EINVAL";
  case ENOTCONN: return "ENOTCONN";
  case EAFNOSUPPORT: return "EAFNOSUPPORT";
  case EMFILE: return "EMFILE";
  case ENFILE: return "ENFILE";
  case ENOBUFS: return "ENOBUFS";
  case ENOMEM: return "ENOMEM";
  case EADDRINUSE: return "EADDRINUSE";
  case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
  default: return "ERRNO";
  }
}

napi_value throw_errno(napi_env env, const char *what, int e) {
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
