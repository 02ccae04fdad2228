#ifndef AMBIT_MALLOC_TUNING_H
#define AMBIT_MALLOC_TUNING_H
#include <node_api.h>

napi_value tune_allocator(napi_env env, napi_callback_info info);

#endif
