{
  "targets": [
    {
      "target_name": "ambit_native",
      "sources": ["src/original_dst.c", "src/malloc_tuning.c", "src/transparent.c", "src/errors.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
