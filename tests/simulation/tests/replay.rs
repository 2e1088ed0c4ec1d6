//! A seed is a whole run: running it again replays it step for step, so a failing seed printed by
//! `simulate` is a bug anyone can replay with `--seed N --trace`.

#[test]
fn a_seed_replays_exactly() {
    for seed in [0, 7, 4242] {
        let first = simulation::run(seed, true);
        let again = simulation::run(seed, true);
        assert_eq!(first.trace, again.trace, "seed {seed}");
        assert_eq!(first.figures.steps, again.figures.steps);
        assert!(
            first.figures.steps > 500,
            "seed {seed} ran {} steps",
            first.figures.steps
        );
        assert_eq!(first.violation, None, "seed {seed}");
    }
}

#[test]
fn different_seeds_explore_different_runs() {
    let a = simulation::run(1, true);
    let b = simulation::run(2, true);
    assert_ne!(a.trace, b.trace);
}
