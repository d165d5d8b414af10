/* Lua 5.4.7 (from lua-src): runs bench.lua (embedded at build time as bench_lua.h), a handful
 * of classic CPU benchmarks written in Lua, each printing a result line. Only the base, table,
 * string, math and utf8 libraries are opened (no io, os or package: no files, clock or dlopen).
 * Errors are fatal (see lua-wasi/lua_nojmp.h). */
#include <stdio.h>
#include <stdlib.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

#include "bench_lua.h" /* static const char bench_lua[] */

void luai_fatal(lua_State *L, int status) {
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(not a string)";
    fprintf(stderr, "lua: error (status %d), cannot unwind without setjmp: %s\n", status, msg);
    exit(1);
}

int main(void) {
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},         {LUA_TABLIBNAME, luaopen_table},
        {LUA_STRLIBNAME, luaopen_string},  {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8},   {NULL, NULL},
    };
    lua_State *L = luaL_newstate();
    if (!L) return 1;
    for (const luaL_Reg *lib = libs; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    if (luaL_loadbuffer(L, bench_lua, sizeof bench_lua - 1, "=bench.lua") != LUA_OK) {
        fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
        return 1;
    }
    lua_call(L, 0, 0);
    lua_close(L);
    return 0;
}
