/* SQLite 3.46 (the amalgamation bundled by libsqlite3-sys): an in-memory database filled with
 * generated rows inside a transaction, two indexes, then aggregates, a join, point lookups,
 * index range scans, an update and a delete, each printing its result.
 *
 * SQLite is built with SQLITE_OS_OTHER=1 (no os_unix.c: no files, locks, mmap or dlopen), so
 * this file supplies sqlite3_os_init with a VFS that opens no files, whose randomness and clock
 * are fixed: the runs are identical in every engine. */
#include "common.h"
#include "sqlite3.h"

static rng_t vfs_rng = {0x51e7e};

static int nofs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out) {
    (void)vfs, (void)name, (void)file, (void)flags, (void)out;
    return SQLITE_CANTOPEN;
}
static int nofs_delete(sqlite3_vfs *vfs, const char *name, int sync) {
    (void)vfs, (void)name, (void)sync;
    return SQLITE_IOERR_DELETE;
}
static int nofs_access(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
    (void)vfs, (void)name, (void)flags;
    *out = 0;
    return SQLITE_OK;
}
static int nofs_fullpath(sqlite3_vfs *vfs, const char *name, int n, char *out) {
    (void)vfs;
    sqlite3_snprintf(n, out, "%s", name);
    return SQLITE_OK;
}
static int nofs_random(sqlite3_vfs *vfs, int n, char *out) {
    (void)vfs;
    for (int i = 0; i < n; i++) out[i] = (char)rng_next(&vfs_rng);
    return n;
}
static int nofs_sleep(sqlite3_vfs *vfs, int us) {
    (void)vfs;
    return us;
}
static int nofs_time(sqlite3_vfs *vfs, double *t) {
    (void)vfs;
    *t = 2460676.5; /* 2025-01-01, as a Julian day */
    return SQLITE_OK;
}
static int nofs_time64(sqlite3_vfs *vfs, sqlite3_int64 *t) {
    (void)vfs;
    *t = (sqlite3_int64)2460676.5 * 86400000 + 43200000;
    return SQLITE_OK;
}
static int nofs_lasterror(sqlite3_vfs *vfs, int n, char *out) {
    (void)vfs, (void)n, (void)out;
    return 0;
}

static sqlite3_vfs nofs = {
    .iVersion = 2,
    .szOsFile = sizeof(sqlite3_file),
    .mxPathname = 512,
    .zName = "nofs",
    .xOpen = nofs_open,
    .xDelete = nofs_delete,
    .xAccess = nofs_access,
    .xFullPathname = nofs_fullpath,
    .xRandomness = nofs_random,
    .xSleep = nofs_sleep,
    .xCurrentTime = nofs_time,
    .xGetLastError = nofs_lasterror,
    .xCurrentTimeInt64 = nofs_time64,
};

int sqlite3_os_init(void) { return sqlite3_vfs_register(&nofs, 1); }
int sqlite3_os_end(void) { return SQLITE_OK; }

static sqlite3 *db;

static void check(int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "sqlite: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static void exec(const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sqlite: %s: %s\n", sql, err);
        exit(1);
    }
}

static sqlite3_stmt *prepare(const char *sql) {
    sqlite3_stmt *st;
    check(sqlite3_prepare_v2(db, sql, -1, &st, NULL), sql);
    return st;
}

/* Runs a query and prints every row, columns separated by '|' (like the sqlite3 shell). */
static void show(const char *label, const char *sql) {
    sqlite3_stmt *st = prepare(sql);
    printf("%s:", label);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        putchar(' ');
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            if (i) putchar('|');
            const unsigned char *t = sqlite3_column_text(st, i);
            fputs(t ? (const char *)t : "NULL", stdout);
        }
        putchar(';');
    }
    check(rc, sql);
    putchar('\n');
    sqlite3_finalize(st);
}

#define ITEMS 100000
#define CATS 200
#define LOOKUPS 100000
#define RANGES 2000

static void word(rng_t *r, char *out, int n) {
    static const char letters[] = "etaoinshrdlucmfwypvbgkqjxz";
    for (int i = 0; i < n; i++) {
        uint32_t a = rng_below(r, 26), b = rng_below(r, 26);
        out[i] = letters[a < b ? a : b];
    }
    out[n] = 0;
}

int main(void) {
    check(sqlite3_open(":memory:", &db), "open");
    rng_t r = {20250101};
    exec("CREATE TABLE cats(id INTEGER PRIMARY KEY, label TEXT NOT NULL);"
         "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, category INTEGER NOT "
         "NULL REFERENCES cats(id), price REAL NOT NULL, qty INTEGER NOT NULL);");
    exec("BEGIN");
    sqlite3_stmt *ins = prepare("INSERT INTO cats(id, label) VALUES (?1, ?2)");
    char buf[64];
    for (int i = 1; i <= CATS; i++) {
        word(&r, buf, 3 + (int)rng_below(&r, 6));
        sqlite3_bind_int(ins, 1, i);
        sqlite3_bind_text(ins, 2, buf, -1, SQLITE_TRANSIENT);
        check(sqlite3_step(ins), "insert cat");
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    ins = prepare("INSERT INTO items(name, category, price, qty) VALUES (?1, ?2, ?3, ?4)");
    for (int i = 0; i < ITEMS; i++) {
        word(&r, buf, 4 + (int)rng_below(&r, 10));
        sqlite3_bind_text(ins, 1, buf, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(ins, 2, 1 + (int)rng_below(&r, CATS));
        sqlite3_bind_double(ins, 3, (double)rng_below(&r, 100000) / 100.0);
        sqlite3_bind_int(ins, 4, (int)rng_below(&r, 50));
        check(sqlite3_step(ins), "insert item");
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    exec("COMMIT");
    exec("CREATE INDEX items_category ON items(category);"
         "CREATE INDEX items_name ON items(name);");

    show("totals", "SELECT count(*), sum(qty), printf('%.4f', avg(price)) FROM items");
    show("top categories",
         "SELECT category, count(*), printf('%.2f', sum(price * qty)) FROM items "
         "GROUP BY category ORDER BY sum(price * qty) DESC LIMIT 3");
    show("join", "SELECT c.label, count(*) FROM items i JOIN cats c ON c.id = i.category "
                 "WHERE i.name LIKE 'ea%' GROUP BY c.id ORDER BY 2 DESC, 1 LIMIT 3");
    show("distinct prefixes", "SELECT count(DISTINCT substr(name, 1, 3)) FROM items");

    sqlite3_stmt *get = prepare("SELECT price, qty FROM items WHERE id = ?1");
    double psum = 0;
    long qsum = 0;
    for (int i = 0; i < LOOKUPS; i++) {
        sqlite3_bind_int(get, 1, 1 + (int)rng_below(&r, ITEMS));
        check(sqlite3_step(get), "lookup");
        psum += sqlite3_column_double(get, 0);
        qsum += sqlite3_column_int(get, 1);
        sqlite3_reset(get);
    }
    sqlite3_finalize(get);
    printf("lookups: %d, price sum %.2f, qty sum %ld\n", LOOKUPS, psum, qsum);

    sqlite3_stmt *range = prepare("SELECT count(*), max(price) FROM items WHERE name >= ?1 AND name < ?2");
    long rows = 0;
    double pmax = 0;
    for (int i = 0; i < RANGES; i++) {
        char lo[8], hi[8];
        word(&r, lo, 3);
        memcpy(hi, lo, 4);
        hi[2] = (char)(hi[2] + 1);
        sqlite3_bind_text(range, 1, lo, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(range, 2, hi, -1, SQLITE_TRANSIENT);
        check(sqlite3_step(range), "range");
        rows += sqlite3_column_int(range, 0);
        pmax += sqlite3_column_double(range, 1);
        sqlite3_reset(range);
    }
    sqlite3_finalize(range);
    printf("ranges: %d, %ld rows, max price sum %.2f\n", RANGES, rows, pmax);

    exec("UPDATE items SET qty = qty + 1, price = price * 1.05 WHERE category % 7 = 0");
    exec("DELETE FROM items WHERE id % 10 = 0");
    show("after update", "SELECT count(*), sum(qty), printf('%.4f', sum(price)) FROM items");
    show("ordered", "SELECT name, printf('%.2f', price) FROM items ORDER BY name, id LIMIT 3");
    show("version", "SELECT sqlite_version()");
    sqlite3_close(db);
    return 0;
}
