/* Stands in for <setjmp.h>, which wasi-libc does not provide to clang 14 (WebAssembly has no
 * setjmp/longjmp without the exception-handling proposal). Lua's ldo.c includes it; with
 * LUAI_THROW/LUAI_TRY from lua_nojmp.h it needs nothing from it. */
