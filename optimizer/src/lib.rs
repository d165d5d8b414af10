//! The optimizing tier of tierup: wasm → CLIF translation compiled by Cranelift on background
//! worker threads.
//!
//! Not built yet. Hot functions will be recompiled off the main thread and patched into the
//! module's code table with one `Release` store (see `DESIGN.md` §4 and §7).
