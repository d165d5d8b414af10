#!/bin/sh
# Builds the real-program corpus of `compare` (see bench/corpus/README.md):
#
#   bench/corpus/build.sh [NAME...]       (NAME: zstd zlib bzip2 lua sqlite blake3 lz4; default: all)
#
# For each program: the C sources bundled by a -sys crate from crates.io (pinned in
# fetch/Cargo.toml, downloaded by `cargo fetch`, located with `cargo metadata`) and our driver
# drivers/NAME.c, compiled with clang --target=wasm32-wasi twice:
#   OUT/NAME.wasm       scalar: -O2
#   OUT/NAME-simd.wasm  SIMD:   -O3 -msimd128 (clang's auto-vectoriser)
# then run with wasmtime to record OUT/NAME.expected and OUT/NAME-simd.expected (stdout), and
# checked against wasmi and node (run-wasi.mjs) when they are installed.
#
# OUT is $CORPUS_OUT, else $CARGO_TARGET_DIR/corpus, else <repo>/target/corpus.
# Needs: clang (wasm32 target), lld, wasi-libc, libclang-rt-dev-wasm32, jq, wasmtime; on Debian:
#   apt-get install clang lld wasi-libc libclang-rt-dev-wasm32 jq
# The compiler can be chosen with WASI_CC (default clang), the sysroot with WASI_SYSROOT.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${CORPUS_OUT:-${CARGO_TARGET_DIR:-$repo/target}/corpus}
cc=${WASI_CC:-clang}
manifest=$here/fetch/Cargo.toml
drivers=$here/drivers
all="zstd zlib bzip2 lua sqlite blake3 lz4"
names=${*:-$all}

find_program() {
    command -v "$1" 2>/dev/null || { [ -x "$HOME/.cargo/bin/$1" ] && echo "$HOME/.cargo/bin/$1"; } || true
}
wasmtime=$(find_program wasmtime)
wasmi=$(find_program wasmi_cli)
[ -n "$wasmi" ] || wasmi=$(find_program wasmi)
node=$(find_program node)
[ -n "$wasmtime" ] || { echo "error: wasmtime is needed to record the expected output" >&2; exit 1; }
command -v jq >/dev/null || { echo "error: jq is needed to read cargo metadata" >&2; exit 1; }

# The sources: fetched once, then found in cargo's registry cache.
cargo fetch --manifest-path "$manifest" --quiet
meta=$(cargo metadata --manifest-path "$manifest" --format-version 1 --offline)
crate_dir() {
    path=$(printf '%s' "$meta" | jq -r --arg n "$1" '.packages[] | select(.name == $n) | .manifest_path')
    [ -n "$path" ] || { echo "error: $1 is not in $manifest" >&2; exit 1; }
    dirname "$path"
}

sysroot=
if [ -n "${WASI_SYSROOT:-}" ]; then
    sysroot="--sysroot=$WASI_SYSROOT"
elif [ -d /usr/share/wasi-sysroot ]; then
    sysroot="--sysroot=/usr/share/wasi-sysroot"
fi

mkdir -p "$out"

# compile NAME "LIBRARY FLAGS" FILE...: builds OUT/NAME.wasm and OUT/NAME-simd.wasm from
# drivers/NAME.c (with -Wall -Werror) and the library's files (warnings off: not our code).
compile() {
    name=$1 libflags=$2
    shift 2
    for variant in scalar simd; do
        if [ $variant = scalar ]; then opt=-O2 wasm=$out/$name.wasm; else opt="-O3 -msimd128" wasm=$out/$name-simd.wasm; fi
        obj=$out/obj/$(basename "$wasm" .wasm)
        rm -rf "$obj"
        mkdir -p "$obj"
        echo "build: $(basename "$wasm") ($opt, $# library files)" >&2
        # shellcheck disable=SC2086 # the flag lists are word-split on purpose
        $cc --target=wasm32-wasi $sysroot $opt -DNDEBUG $libflags -Wall -Wextra -Werror \
            -I"$obj" -c "$drivers/$name.c" -o "$obj/driver-$name.o"
        for src in "$@"; do
            # shellcheck disable=SC2086
            $cc --target=wasm32-wasi $sysroot $opt -DNDEBUG $libflags -w -c "$src" \
                -o "$obj/$(basename "$src" .c).o"
        done
        # 1 MiB of stack (the default is 64 KiB), the heap grows on demand.
        # shellcheck disable=SC2086
        $cc --target=wasm32-wasi $sysroot $opt -Wl,-z,stack-size=1048576 -o "$wasm" "$obj"/*.o
        rm -rf "$obj"
    done
}

# check NAME: records the expected output of both variants with wasmtime, checks that the two
# agree, and that wasmi and node print the same.
check() {
    for wasm in "$out/$1.wasm" "$out/$1-simd.wasm"; do
        expected=${wasm%.wasm}.expected
        start=$(date +%s.%N)
        "$wasmtime" run "$wasm" >"$expected.tmp" || { echo "error: wasmtime failed on $wasm" >&2; exit 1; }
        end=$(date +%s.%N)
        mv "$expected.tmp" "$expected"
        echo "check: $(basename "$wasm"): wasmtime $(echo "$end - $start" | bc) s, $(wc -l <"$expected") lines" >&2
        if [ -n "$wasmi" ]; then
            "$wasmi" "$wasm" | cmp -s - "$expected" || { echo "error: wasmi prints something else for $wasm" >&2; exit 1; }
        fi
        if [ -n "$node" ]; then
            "$node" --no-warnings "$here/run-wasi.mjs" "$wasm" | cmp -s - "$expected" ||
                { echo "error: node prints something else for $wasm" >&2; exit 1; }
        fi
    done
    cmp -s "$out/$1.expected" "$out/$1-simd.expected" ||
        { echo "error: the scalar and SIMD builds of $1 print different things" >&2; exit 1; }
    echo "check: $1: wasmtime${wasmi:+, wasmi}${node:+, node} agree" >&2
}

for name in $names; do
    case $name in
    zstd)
        lib=$(crate_dir zstd-sys)/zstd/lib
        # Single-threaded (ZSTD_MULTITHREAD undefined), no x86 assembly, no legacy formats,
        # no dictionary builder: common/, compress/ and decompress/ only.
        compile zstd "-I$lib -DZSTD_DISABLE_ASM -DZSTD_LEGACY_SUPPORT=0" \
            "$lib"/common/*.c "$lib"/compress/*.c "$lib"/decompress/*.c
        ;;
    zlib)
        lib=$(crate_dir libz-sys)/src/zlib
        # The deflate/inflate core; no gz* file functions.
        compile zlib "-I$lib" "$lib"/adler32.c "$lib"/crc32.c "$lib"/deflate.c "$lib"/inflate.c \
            "$lib"/inftrees.c "$lib"/inffast.c "$lib"/trees.c "$lib"/zutil.c
        ;;
    bzip2)
        lib=$(crate_dir bzip2-sys)/bzip2-1.0.8
        # The library without its stdio wrappers (the driver defines bz_internal_error).
        compile bzip2 "-I$lib -DBZ_NO_STDIO" "$lib"/blocksort.c "$lib"/huffman.c "$lib"/crctable.c \
            "$lib"/randtable.c "$lib"/compress.c "$lib"/decompress.c "$lib"/bzlib.c
        ;;
    lua)
        lib=$(crate_dir lua-src)/lua-5.4.7
        # The core and the base, table, string, math and utf8 libraries (no io, os, package,
        # coroutine, debug: no files, clock, dlopen). lua-wasi/ replaces setjmp/longjmp, which
        # wasi-libc lacks, by fatal errors (see lua-wasi/lua_nojmp.h).
        hdr=$out/obj/lua-script
        mkdir -p "$hdr"
        { echo "static const char bench_lua[] ="
          sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$/\\n"/' "$drivers/lua_bench.lua"
          echo ";"; } >"$hdr/bench_lua.h"
        compile lua "-I$lib -I$drivers/lua-wasi -I$hdr -include $drivers/lua-wasi/lua_nojmp.h" \
            "$lib"/lapi.c "$lib"/lcode.c "$lib"/lctype.c "$lib"/ldebug.c "$lib"/ldo.c \
            "$lib"/ldump.c "$lib"/lfunc.c "$lib"/lgc.c "$lib"/llex.c "$lib"/lmem.c \
            "$lib"/lobject.c "$lib"/lopcodes.c "$lib"/lparser.c "$lib"/lstate.c \
            "$lib"/lstring.c "$lib"/ltable.c "$lib"/ltm.c "$lib"/lundump.c "$lib"/lvm.c \
            "$lib"/lzio.c "$lib"/lauxlib.c "$lib"/lbaselib.c "$lib"/ltablib.c \
            "$lib"/lstrlib.c "$lib"/lmathlib.c "$lib"/lutf8lib.c
        rm -rf "$hdr"
        ;;
    sqlite)
        lib=$(crate_dir libsqlite3-sys)/sqlite3
        # The amalgamation without an OS layer (the driver brings a VFS without files),
        # single-threaded, temporary tables in memory, no extension loading.
        compile sqlite "-I$lib -DSQLITE_OS_OTHER=1 -DSQLITE_THREADSAFE=0 -DSQLITE_TEMP_STORE=3 \
            -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_DEFAULT_MEMSTATUS=0 -DLONGDOUBLE_TYPE=double" \
            "$lib"/sqlite3.c
        ;;
    blake3)
        lib=$(crate_dir blake3)/c
        # The portable implementation (the x86 and NEON ones do not apply to wasm32).
        compile blake3 "-I$lib -DBLAKE3_NO_SSE2 -DBLAKE3_NO_SSE41 -DBLAKE3_NO_AVX2 \
            -DBLAKE3_NO_AVX512 -DBLAKE3_USE_NEON=0" \
            "$lib"/blake3.c "$lib"/blake3_dispatch.c "$lib"/blake3_portable.c
        ;;
    lz4)
        lib=$(crate_dir lz4-sys)/liblz4/lib
        # The block format (fast and HC) and xxHash; no frame format, no files.
        compile lz4 "-I$lib" "$lib"/lz4.c "$lib"/lz4hc.c "$lib"/xxhash.c
        ;;
    *)
        echo "error: unknown program $name (known: $all)" >&2
        exit 2
        ;;
    esac
    check "$name"
done
echo "corpus: $(cd "$out" && ls ./*.wasm | sed 's|^\./||' | tr '\n' ' ')in $out" >&2
