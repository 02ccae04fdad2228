#ifndef AMBIT_ERRORS_H
#define AMBIT_ERRORS_H
#include <node_api.h>

/*
 * Throws Error("<what>: <strerror>") with .code = the errno's name ("ERRNO" for one not listed)
 * and .errno = its number, as Node's own system errors carry them; returns NULL for brevity.
 */
napi_value throw_errno(napi_env env, const char *what, int e);

#endif
