//! The baseline tier of tierup: a single-pass x86-64 JIT written with `dynasm`.
//!
//! Not built yet. It will compile the interpreter's register bytecode (same frame layout, so
//! interpreter→baseline OSR at loop headers is a jump) into position-independent machine code that
//! is copied into the engine's code arena and published through the module's code table
//! (see `DESIGN.md` §4, §5 and §7).
