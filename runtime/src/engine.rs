//! [`Engine`]: configuration plus the engine-wide registry of function signatures.
//!
//! Signatures are interned into canonical `u32` ids so that `call_indirect` and import
//! checking compare one integer (`VmFuncRef::type_id`) across modules and instances.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use tierup_abi::FuncType;

use crate::config::{Config, TierMode};
use crate::error::Error;

/// A compilation and execution environment shared by modules and stores. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

#[derive(Debug)]
struct EngineInner {
    config: Config,
    types: Mutex<TypeRegistry>,
}

#[derive(Debug, Default)]
struct TypeRegistry {
    ids: HashMap<FuncType, u32>,
    types: Vec<FuncType>,
}

impl Engine {
    /// Creates an engine.
    ///
    /// # Errors
    /// [`Error::TierUnavailable`] for tier modes this build cannot run: `opt` (not built
    /// yet), and the machine-code modes on a CPU without the instructions the baseline JIT
    /// emits (x86-64 with SSE4.1 and POPCNT).
    pub fn new(config: &Config) -> Result<Engine, Error> {
        match config.tier {
            TierMode::Interp => {}
            TierMode::Baseline | TierMode::Tiered if crate::jit::supported() => {}
            other => return Err(Error::TierUnavailable(other)),
        }
        Ok(Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                types: Mutex::new(TypeRegistry::default()),
            }),
        })
    }

    /// Whether this engine runs machine code (baseline tier).
    pub(crate) fn uses_jit(&self) -> bool {
        matches!(
            self.inner.config.tier,
            TierMode::Baseline | TierMode::Tiered
        )
    }

    /// The engine's configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The canonical id of a signature (the same for equal signatures in every module).
    pub(crate) fn type_id(&self, ty: &FuncType) -> u32 {
        let mut reg = self.inner.types.lock();
        if let Some(id) = reg.ids.get(ty) {
            return *id;
        }
        let id = reg.types.len() as u32;
        reg.types.push(ty.clone());
        reg.ids.insert(ty.clone(), id);
        id
    }

    pub(crate) fn same(&self, other: &Engine) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(&Config::default()).expect("the default tier mode is always available")
    }
}
