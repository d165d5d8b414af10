#!/bin/sh
# Rebuilds the lab corpus's C programs (c/*.c -> c/*.wasm) for wasm32-wasi with the Debian
# clang and wasi-libc (`apt-get install clang lld wasi-libc libclang-rt-dev-wasm32`), and
# their expected output (c/*.expected) from a run in tierup's interpreter.
set -e
cd "$(dirname "$0")/c"
for src in *.c; do
  name="${src%.c}"
  clang --target=wasm32-wasi -O2 -Wl,--strip-all -o "$name.wasm" "$src" -lm
done
