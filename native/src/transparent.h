#ifndef AMBIT_TRANSPARENT_H
#define AMBIT_TRANSPARENT_H
#include <node_api.h>

napi_value transparent_socket(napi_env env, napi_callback_info info);

#endif
