/*
 * tuneAllocator(mmapThreshold, trimThreshold, topPad) -> boolean
 *
 * A node proxy moves data through buffers of 64 KiB to a few hundred KiB that are allocated and
 * freed thousands of times a second (socket reads, TLS records, HTTP/2 frame batches). With
 * glibc's defaults each such buffer above the (dynamic) mmap threshold is a fresh mmap whose
 * pages fault in zeroed, and memory freed at the top of the heap is trimmed back to the kernel
 * right away, so the same pages are faulted in again: the L4 benchmark saw ~20,000 page faults a
 * second per proxy during one stream. Raising the mmap and trim thresholds keeps those buffers
 * in the heap and reused. The values are the caller's (src/ztunnel/runtime.ts).
 *
 * Returns false (and changes nothing) where the C library is not glibc.
 */
#include "malloc_tuning.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

static int arg_int(napi_env env, napi_value v, int *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d < 0 || d > 1073741824.0 || d != (double)(int)d) return 0;
  *out = (int)d;
  return 1;
}

napi_value tune_allocator(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int mmap_threshold, trim_threshold, top_pad;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3 || !arg_int(env, argv[0], &mmap_threshold) || !arg_int(env, argv[1], &trim_threshold) ||
      !arg_int(env, argv[2], &top_pad)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "tuneAllocator(mmapThreshold, trimThreshold, topPad): byte counts from 0 to 1 GiB");
    return NULL;
  }
  int ok = 0;
#ifdef __GLIBC__
  ok = mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1 && mallopt(M_TRIM_THRESHOLD, trim_threshold) == 1 &&
       mallopt(M_TOP_PAD, top_pad) == 1;
#else
  (void)mmap_threshold;
  (void)trim_threshold;
  (void)top_pad;
#endif
  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}
