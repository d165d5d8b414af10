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
use crate::interrupt::EpochClock;
use crate::jit::arena::CodeBudget;
use crate::jit::policy::TierPolicy;
use crate::jit::workers::OptWorkers;

/// A compilation and execution environment shared by modules and stores. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

#[derive(Debug)]
struct EngineInner {
    config: Config,
    policy: TierPolicy,
    types: Mutex<TypeRegistry>,
    /// The optimizer's background workers (threads start at the first job); shared with
    /// the engine's modules, which queue work on them.
    workers: Option<Arc<OptWorkers>>,
    /// The epoch counter and the stores waiting for deadlines on it.
    epochs: EpochClock,
    /// The code memory all the engine's modules share ([`Config::max_code_memory`]).
    code_budget: Arc<CodeBudget>,
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
    /// [`Error::TierUnavailable`] for tier modes this machine cannot run: the machine-code
    /// tiers need x86-64 Linux with SSE4.1 and POPCNT. In tiered mode on such a machine, only
    /// the interpreter is used (unless the tiers were chosen explicitly).
    pub fn new(config: &Config) -> Result<Engine, Error> {
        let mut config = config.clone();
        let policy = TierPolicy::of(&config);
        if policy.uses_jit() && !crate::jit::supported() {
            if config.tier != TierMode::Tiered || config.tiers != crate::Tiers::default() {
                return Err(Error::TierUnavailable(config.tier));
            }
            config.tier = TierMode::Interp;
        }
        let policy = TierPolicy::of(&config);
        let workers = (policy.tiers.opt && config.tier == TierMode::Tiered)
            .then(|| OptWorkers::new(config.compile_threads, config.opt_queue_capacity));
        let code_budget = CodeBudget::new(config.max_code_memory);
        Ok(Engine {
            inner: Arc::new(EngineInner {
                code_budget,
                config,
                policy,
                types: Mutex::new(TypeRegistry::default()),
                workers,
                epochs: EpochClock::default(),
            }),
        })
    }

    /// Whether this engine runs machine code.
    pub(crate) fn uses_jit(&self) -> bool {
        self.inner.policy.uses_jit()
    }

    /// The tiering policy.
    pub(crate) fn policy(&self) -> &TierPolicy {
        &self.inner.policy
    }

    /// The optimizer's workers (tiered engines with the optimizer on).
    pub(crate) fn workers(&self) -> Option<Arc<OptWorkers>> {
        self.inner.workers.clone()
    }

    /// Advances the engine's epoch by one tick (as Wasmtime's `increment_epoch`): every store
    /// of this engine whose deadline the new epoch reaches stops at its next function entry
    /// or loop header ([`Config::epoch_interruption`]). Call it from a timer thread. It takes
    /// a lock and visits the engine's live stores, so it is not for signal handlers.
    pub fn increment_epoch(&self) {
        self.inner.epochs.increment();
    }

    /// The epoch clock.
    pub(crate) fn epochs(&self) -> &EpochClock {
        &self.inner.epochs
    }

    /// The code memory budget the engine's modules share.
    pub(crate) fn code_budget(&self) -> Arc<CodeBudget> {
        self.inner.code_budget.clone()
    }

    /// Bytes of machine-code memory the engine's live modules take now (the quantity
    /// [`Config::max_code_memory`] limits).
    pub fn code_memory(&self) -> usize {
        self.inner.code_budget.used()
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
