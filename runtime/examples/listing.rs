//! Prints the interpreter bytecode of every function of a module (or of one export):
//! `cargo run -p tierup-runtime --example listing -- FILE [EXPORT]`.

use tierup_runtime::{Engine, Error, Module};

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: listing FILE [EXPORT]");
        std::process::exit(2);
    };
    let engine = Engine::default();
    let module = Module::from_file(&engine, path)?;
    if let Some(name) = args.get(2) {
        let index = module
            .exported_func_index(name)
            .ok_or_else(|| Error::msg(format!("no exported function `{name}`")))?;
        print!("{}", module.interp_listing(index)?);
        return Ok(());
    }
    let mut index = 0;
    while let Ok(listing) = module.interp_listing(index).or_else(|e| {
        if index < 1000 && matches!(e, Error::Message(ref m) if m.contains("not defined")) {
            Ok(String::new())
        } else {
            Err(e)
        }
    }) {
        print!("{listing}");
        index += 1;
        if index > 100_000 {
            break;
        }
    }
    Ok(())
}
