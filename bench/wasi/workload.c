// A WASI preview 1 command that does about one second of mixed work in an optimizing engine:
// SHA-256 (integer rotates, loads and stores), a prime sieve (byte stores, strided loops),
// matrix multiplication (f64 arithmetic), quicksort (recursion, calls, unpredictable
// branches) and a byte-code interpreter (a `br_table` dispatch loop). It prints one line per
// part with a checksum, so every engine can be checked for the same output.
//
// Built without a libc (see build.sh): the only imports are `fd_write` and `proc_exit`.

typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned char u8;

#define WASI(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))
struct ciovec { const void *buf; u32 len; };
WASI("fd_write") int fd_write(int fd, const struct ciovec *iovs, int n, u32 *written);
WASI("proc_exit") _Noreturn void proc_exit(int code);

static u32 str_len(const char *s) { u32 n = 0; while (s[n]) n++; return n; }

static void print(const char *label, u64 value) {
    char buf[96];
    u32 n = 0;
    for (u32 i = 0; label[i]; i++) buf[n++] = label[i];
    buf[n++] = ' ';
    char digits[24];
    int d = 0;
    do { digits[d++] = '0' + (char)(value % 10); value /= 10; } while (value);
    while (d) buf[n++] = digits[--d];
    buf[n++] = '\n';
    struct ciovec iov = { buf, n };
    u32 written;
    fd_write(1, &iov, 1, &written);
}

// ---- SHA-256 ----
static const u32 K[64] = {
    0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,
    0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,
    0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,
    0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,
    0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,
    0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,
    0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,
    0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2};
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(u32 h[8], const u8 *p) {
    u32 w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (u32)p[4*i] << 24 | (u32)p[4*i+1] << 16 | (u32)p[4*i+2] << 8 | p[4*i+3];
    for (int i = 16; i < 64; i++) {
        u32 s0 = ROR(w[i-15], 7) ^ ROR(w[i-15], 18) ^ (w[i-15] >> 3);
        u32 s1 = ROR(w[i-2], 17) ^ ROR(w[i-2], 19) ^ (w[i-2] >> 10);
        w[i] = w[i-16] + s0 + w[i-7] + s1;
    }
    u32 a=h[0],b=h[1],c=h[2],d=h[3],e=h[4],f=h[5],g=h[6],hh=h[7];
    for (int i = 0; i < 64; i++) {
        u32 t1 = hh + (ROR(e,6)^ROR(e,11)^ROR(e,25)) + ((e&f)^(~e&g)) + K[i] + w[i];
        u32 t2 = (ROR(a,2)^ROR(a,13)^ROR(a,22)) + ((a&b)^(a&c)^(b&c));
        hh=g; g=f; f=e; e=d+t1; d=c; c=b; b=a; a=t1+t2;
    }
    h[0]+=a; h[1]+=b; h[2]+=c; h[3]+=d; h[4]+=e; h[5]+=f; h[6]+=g; h[7]+=hh;
}

static u8 data[1 << 16];

static u64 sha_part(int rounds) {
    u32 h[8] = {0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19};
    for (u32 i = 0; i < sizeof data; i++) data[i] = (u8)(i * 31 + 7);
    for (int r = 0; r < rounds; r++)
        for (u32 off = 0; off < sizeof data; off += 64) sha256_block(h, data + off);
    return (u64)h[0] << 32 | h[7];
}

// ---- sieve ----
static u8 composite[1 << 22];

static u64 sieve_part(int rounds) {
    u64 count = 0;
    for (int r = 0; r < rounds; r++) {
        u32 n = sizeof composite;
        __builtin_memset(composite, 0, n);
        for (u32 i = 2; i * i < n; i++)
            if (!composite[i])
                for (u32 j = i * i; j < n; j += i) composite[j] = 1;
        for (u32 i = 2; i < n; i++) count += !composite[i];
    }
    return count;
}

// ---- matrix multiplication ----
#define N 96
static double A[N][N], B[N][N], C[N][N];

static u64 matmul_part(int rounds) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) { A[i][j] = (i * N + j) % 17 * 0.25; B[i][j] = (i + 2 * j) % 13 * 0.5; }
    double sum = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                double acc = 0;
                for (int k = 0; k < N; k++) acc += A[i][k] * B[k][j];
                C[i][j] = acc;
            }
        sum += C[r % N][(r * 7) % N];
        A[r % N][r % N] += 1.0;
    }
    return (u64)sum;
}

// ---- quicksort ----
static u32 values[1 << 18];
static u32 seed = 12345;
static u32 next_random(void) { seed = seed * 1103515245u + 12345u; return seed >> 1; }

static void quicksort(u32 *v, int lo, int hi) {
    while (lo < hi) {
        u32 pivot = v[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) { u32 t = v[i]; v[i] = v[j]; v[j] = t; i++; j--; }
        }
        if (j - lo < hi - i) { quicksort(v, lo, j); lo = i; } else { quicksort(v, i, hi); hi = j; }
    }
}

static u64 sort_part(int rounds) {
    u64 check = 0;
    int n = sizeof values / sizeof values[0];
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < n; i++) values[i] = next_random();
        quicksort(values, 0, n - 1);
        for (int i = 1; i < n; i++) if (values[i - 1] > values[i]) return 0;
        check += values[n / 2];
    }
    return check;
}

// ---- a byte-code interpreter ----
enum { OP_PUSH, OP_ADD, OP_MUL, OP_DUP, OP_SWAP, OP_DEC, OP_JNZ, OP_DROP, OP_XOR, OP_HALT };
static const u8 program[] = {
    OP_PUSH, 1, OP_PUSH, 200,           // acc, counter
    OP_SWAP, OP_DUP, OP_MUL, OP_PUSH, 3, OP_ADD, OP_PUSH, 0x5a, OP_XOR, OP_SWAP,  // loop body at 4
    OP_DEC, OP_DUP, OP_JNZ, 4, OP_DROP, OP_HALT};

static u64 interp_part(int rounds) {
    u64 total = 0;
    for (int r = 0; r < rounds; r++) {
        u32 stack[16];
        int sp = 0;
        u32 pc = 0;
        for (;;) {
            switch (program[pc++]) {
            case OP_PUSH: stack[sp++] = program[pc++] + (u32)(r & 7); break;
            case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
            case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
            case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
            case OP_SWAP: { u32 t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
            case OP_DEC: stack[sp - 1]--; break;
            case OP_JNZ: { u32 target = program[pc++]; if (stack[--sp]) pc = target; break; }
            case OP_DROP: sp--; break;
            case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
            default: goto done;
            }
        }
    done:
        total += stack[0];
    }
    return total;
}

void _start(void) {
    print("sha256", sha_part(600));
    print("sieve", sieve_part(30));
    print("matmul", matmul_part(600));
    print("sort", sort_part(12));
    print("interp", interp_part(60000));
    proc_exit(0);
}
