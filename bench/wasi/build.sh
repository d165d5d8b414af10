#!/bin/sh
# Rebuilds workload.wasm from workload.c (needs clang with the WebAssembly target and wasm-ld).
set -e
cd "$(dirname "$0")"
clang --target=wasm32 -O2 -mbulk-memory -nostdlib -fno-builtin-memset \
  -Wl,--no-entry -Wl,--export=_start -Wl,--initial-memory=8388608 \
  -o workload.wasm workload.c
