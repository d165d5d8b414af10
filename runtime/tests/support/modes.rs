//! The tier modes the runtime's integration tests run each case in (included with
//! `#[path = "support/modes.rs"] mod modes;`): each forced tier, tiered runs that change tier
//! while the test runs, and interpreter straight to the optimizer. Every behaviour these tests
//! check must be the same in all of them (DESIGN.md §8a).

use tierup_runtime::{Config, Engine, Instance, Module, Store, Tier, TierEvent, TierMode, Tiers};

/// `(name, config)` for every mode: `interp`, `baseline`, `opt` (forced tiers), `tiered`
/// (thresholds 100 and 1000, so a test's loops and recursions start interpreted and move up
/// while they run), `stress` (every threshold at 1) and `interp-opt` (`--tiers interp,opt`).
#[allow(dead_code)] // not every test file that includes this module runs every mode
pub fn tier_modes() -> Vec<(&'static str, Config)> {
    let mut modes = Vec::new();
    for (name, tier) in [
        ("interp", TierMode::Interp),
        ("baseline", TierMode::Baseline),
        ("opt", TierMode::Optimized),
    ] {
        let mut config = Config::new();
        config.tier(tier);
        modes.push((name, config));
    }
    let mut tiered = Config::new();
    tiered
        .tier(TierMode::Tiered)
        .baseline_after(100)
        .opt_after(1000);
    modes.push(("tiered", tiered));
    let mut stress = Config::new();
    stress.tier(TierMode::Tiered).baseline_after(1).opt_after(1);
    modes.push(("stress", stress));
    let mut interp_opt = Config::new();
    interp_opt
        .tier(TierMode::Tiered)
        .tiers(Tiers {
            interp: true,
            baseline: false,
            opt: true,
        })
        .opt_after(3);
    modes.push(("interp-opt", interp_opt));
    modes
}

/// `wat` (a module without imports) instantiated in a fresh store of an engine made with
/// `config`: the setup most tier-mode tests start from.
#[allow(dead_code)] // not every test file that includes this module instantiates this way
pub fn instantiate(config: &Config, wat: &str) -> (Engine, Store<()>, Instance) {
    let engine = Engine::new(config).unwrap();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    (engine, store, instance)
}

/// Calls `f` until the module's stats show `func` in the optimized tier (the compile runs in
/// the background); panics after 20 s.
#[allow(dead_code)] // not every test file that includes this module waits for the optimizer
pub fn until_optimized(module: &Module, func: &str, mut f: impl FnMut()) -> TierEvent {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        f();
        let stats = module.stats();
        if let Some(e) = stats
            .events
            .iter()
            .find(|e| e.tier == Tier::Optimized && e.name.as_deref() == Some(func))
        {
            return e.clone();
        }
        assert!(stats.opt_failures.is_empty(), "{:?}", stats.opt_failures);
        assert!(
            std::time::Instant::now() < deadline,
            "{func} never reached the optimized tier: {}",
            stats.summary()
        );
    }
}
