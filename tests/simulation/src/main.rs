//! `simulate`: runs seeds of the simulation and prints the figures.
//!
//! ```text
//! simulate [--seeds N] [--start S] [--min-steps M]   N seeds from S (default 1000 from 0)
//! simulate --seed S [--trace]                        one seed, with its trace
//! ```
//! A failing seed is printed with the command that replays it; the exit status is 1.

use std::process::ExitCode;
use std::time::Instant;

fn arg(args: &[String], name: &str) -> Option<u64> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1)?.parse().ok()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let trace = args.iter().any(|a| a == "--trace");
    let (start, seeds) = match arg(&args, "--seed") {
        Some(seed) => (seed, 1),
        None => (
            arg(&args, "--start").unwrap_or(0),
            arg(&args, "--seeds").unwrap_or(1000),
        ),
    };
    let min_steps = arg(&args, "--min-steps").unwrap_or(0);
    let began = Instant::now();
    let mut total = simulation::Figures::default();
    let mut failures = 0;
    for seed in start..start + seeds {
        let outcome = simulation::run(seed, trace);
        if trace {
            for line in &outcome.trace {
                println!("{line}");
            }
        }
        let f = &outcome.figures;
        total.steps += f.steps;
        total.simulated_ms += f.simulated_ms;
        total.refreshes += f.refreshes;
        total.reuse_detections += f.reuse_detections;
        total.reuse_with_locks += f.reuse_with_locks;
        total.reissue_runs += f.reissue_runs;
        total.reissue_refreshes += f.reissue_refreshes;
        total.bind_rejections += f.bind_rejections;
        total.bind_other_family += f.bind_other_family;
        total.api_ok += f.api_ok;
        total.api_unauthorized += f.api_unauthorized;
        total.steals += f.steals;
        total.steady_refreshes += f.steady_refreshes;
        total.steady_periods += f.steady_periods;
        total.dpop_runs += f.dpop_runs;
        total.nonce_challenges += f.nonce_challenges;
        if let Some(v) = outcome.violation {
            failures += 1;
            println!("seed {seed} FAILED {v}");
            println!("  replay: cargo run --profile sim -p simulation -- --seed {seed} --trace");
        }
    }
    let t = &total;
    println!(
        "simulation: {seeds} seeds, {} steps, {:.1} simulated hours, {:.1} s; {} refreshes, \
         {} reuse detections ({} with locks and a channel, each after a lost rotation; the rest \
         in runs without them), {} steals of a frozen tab's lock; reissue flow: {} runs, {} \
         refreshes, {} refused for want of a token of the cookie's family ({} carried another \
         family's); \
         DPoP: {} runs, {} nonce challenges answered; \
         steady state: {} refreshes in {:.0} refresh periods ({:.3} per period); \
         API: {} ok, {} unauthorized; {failures} invariant violations",
        t.steps,
        t.simulated_ms / 3_600_000.0,
        began.elapsed().as_secs_f64(),
        t.refreshes,
        t.reuse_detections,
        t.reuse_with_locks,
        t.steals,
        t.reissue_runs,
        t.reissue_refreshes,
        t.bind_rejections,
        t.bind_other_family,
        t.dpop_runs,
        t.nonce_challenges,
        t.steady_refreshes,
        t.steady_periods,
        t.steady_refreshes as f64 / t.steady_periods.max(1.0),
        t.api_ok,
        t.api_unauthorized,
    );
    if failures > 0 {
        return ExitCode::FAILURE;
    }
    if t.steps < min_steps {
        println!("simulation: fewer than {min_steps} steps");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
