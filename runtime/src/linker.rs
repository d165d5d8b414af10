//! [`Linker`]: names host functions and exports, and resolves a module's imports by name.
//!
//! Host functions defined with `func_wrap`/`func_new` are kept as definitions, not as store
//! functions, so one linker serves any number of stores (as in Wasmtime).

use std::collections::HashMap;
use std::sync::Arc;

use tierup_abi::FuncType;

use crate::engine::Engine;
use crate::error::Error;
use crate::externals::Extern;
use crate::func::{Func, HostFunc, IntoFunc};
use crate::instance::Instance;
use crate::module::Module;
use crate::store::{AsContext, AsContextMut, Caller};
use crate::values::Val;

enum Definition<T> {
    Extern(Extern),
    Host(Arc<HostFunc<T>>),
}

impl<T> Clone for Definition<T> {
    fn clone(&self) -> Self {
        match self {
            Definition::Extern(e) => Definition::Extern(*e),
            Definition::Host(h) => Definition::Host(h.clone()),
        }
    }
}

/// Resolves imports by `(module, name)`.
pub struct Linker<T> {
    engine: Engine,
    defs: HashMap<(String, String), Definition<T>>,
    allow_shadowing: bool,
}

impl<T> std::fmt::Debug for Linker<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Linker")
            .field("definitions", &self.defs.len())
            .finish()
    }
}

impl<T: 'static> Linker<T> {
    /// An empty linker.
    pub fn new(engine: &Engine) -> Self {
        Linker {
            engine: engine.clone(),
            defs: HashMap::new(),
            allow_shadowing: false,
        }
    }

    /// Whether a later definition may replace an earlier one of the same name.
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.allow_shadowing = allow;
        self
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition<T>) -> Result<&mut Self, Error> {
        let key = (module.to_string(), name.to_string());
        if !self.allow_shadowing && self.defs.contains_key(&key) {
            return Err(Error::msg(format!("`{module}::{name}` is already defined")));
        }
        self.defs.insert(key, def);
        Ok(self)
    }

    /// Defines a host function from a typed Rust closure.
    ///
    /// # Errors
    /// If the name is taken and shadowing is not allowed.
    pub fn func_wrap<Params, Args>(
        &mut self,
        module: &str,
        name: &str,
        f: impl IntoFunc<T, Params, Args>,
    ) -> Result<&mut Self, Error> {
        self.insert(module, name, Definition::Host(Arc::new(f.into_host_func())))
    }

    /// Defines a host function of type `ty` from a closure over [`Val`]s.
    ///
    /// # Errors
    /// If the name is taken and shadowing is not allowed.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Result<&mut Self, Error> {
        self.insert(
            module,
            name,
            Definition::Host(Arc::new(HostFunc::from_vals(ty, f))),
        )
    }

    /// Defines an item of a store under `module::name`.
    ///
    /// # Errors
    /// If the name is taken and shadowing is not allowed.
    pub fn define(
        &mut self,
        store: impl AsContext<Data = T>,
        module: &str,
        name: &str,
        item: impl Into<Extern>,
    ) -> Result<&mut Self, Error> {
        let item = item.into();
        if item.store_id() != store.as_context().0.inner.id {
            return Err(Error::msg("item belongs to another store"));
        }
        self.insert(module, name, Definition::Extern(item))
    }

    /// Defines every export of `instance` under `module_name`.
    ///
    /// # Errors
    /// If a name is taken and shadowing is not allowed.
    pub fn instance(
        &mut self,
        mut store: impl AsContextMut<Data = T>,
        module_name: &str,
        instance: Instance,
    ) -> Result<&mut Self, Error> {
        for (name, item) in instance.exports(&mut store) {
            self.insert(module_name, &name, Definition::Extern(item))?;
        }
        Ok(self)
    }

    /// Instantiates `module`, resolving its imports by name.
    ///
    /// # Errors
    /// [`Error::Unlinkable`] for an import the linker does not define (or defines with another
    /// type); [`Error::Trap`] if instantiation traps.
    pub fn instantiate(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<Instance, Error> {
        if !module.engine().same(&self.engine) {
            return Err(Error::msg("module and linker belong to different engines"));
        }
        let store = store.as_context_mut().0;
        let mut imports = Vec::with_capacity(module.imports().len());
        for imp in module.imports() {
            let key = (imp.module().to_string(), imp.name().to_string());
            let ext = match self.defs.get(&key) {
                Some(Definition::Extern(e)) => *e,
                Some(Definition::Host(h)) => Extern::Func(Func::from_host(store, h.clone())),
                None => {
                    return Err(Error::Unlinkable(format!(
                        "unknown import: `{}::{}` has not been defined",
                        imp.module(),
                        imp.name()
                    )));
                }
            };
            imports.push(ext);
        }
        Instance::new(store, module, &imports)
    }
}
