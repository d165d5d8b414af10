/* Included (-include) before every Lua source file of the corpus build: Lua for wasm32-wasi
 * without setjmp/longjmp. A Lua error cannot unwind the C stack, so raising one ends the program
 * (luai_fatal in drivers/lua.c prints the message and exits with status 1). The benchmark script
 * raises no errors, uses no pcall/error and no coroutines (yielding from C also throws). */
#ifndef LUA_NOJMP_H
#define LUA_NOJMP_H
struct lua_State;
void luai_fatal(struct lua_State *L, int status);
#define LUAI_THROW(L, c) luai_fatal(L, (c)->status)
#define LUAI_TRY(L, c, a) \
    { a }
#define luai_jmpbuf int /* unused */
/* The string-hash seed: fixed instead of time(NULL) and addresses, so that runs are identical. */
#define luai_makeseed(L) 0x2545f491u
/* table.sort's pivot "randomness" (clock() and time(NULL); wasi-libc has no clock() without
 * -D_WASI_EMULATED_PROCESS_CLOCKS): the fixed value ltablib.c recommends. */
#define l_randomizePivot() (~0u)
/* The type of the hook flags a signal handler may set; wasi-libc has no <signal.h> (without
 * -D_WASI_EMULATED_SIGNAL) and this program installs no handler. */
#define l_signalT int
#endif
