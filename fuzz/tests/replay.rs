//! Replays every committed seed (`corpus/<target>/*`) through its target's checks on
//! stable Rust, without libFuzzer: a seed that trips a check fails here too.

use std::fs;
use std::path::Path;

#[test]
fn every_seed_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for target in wsspec_fuzz::TARGETS {
        let dir = root.join(target);
        let mut seeds: Vec<_> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("corpus entry").path())
            .collect();
        seeds.sort();
        assert!(!seeds.is_empty(), "{target} has no seeds");
        for seed in seeds {
            let data = fs::read(&seed).expect("seed");
            eprintln!("{target}: {}", seed.display());
            assert!(wsspec_fuzz::run_target(target, &data));
        }
    }
}

#[test]
fn every_target_survives_empty_and_tiny_inputs() {
    for target in wsspec_fuzz::TARGETS {
        for data in [&[][..], &[0], &[1], &[0xff; 3], &[0x81, 0x80, 0, 0, 0, 0]] {
            assert!(wsspec_fuzz::run_target(target, data));
        }
    }
}
