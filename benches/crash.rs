//! Crash-exploration benchmark (issue 9, "Performance"): on a 64 MiB poisoned image, for the
//! single-fault workload and the multi-file workload, states checked per second on one core and
//! on all cores, and the time to decide every crash state of one write fault.
//!
//! "Checked" counts states the explorer picked and classified (each through replay, fsck and the
//! data oracle, or their memoised answers); "covered" counts states whose verdict is known exactly
//! (every state of a point explored exhaustively, directly or by projection). The `no-fence`
//! configurations are the heavy ones: 64 pending zeroing lines of a mapped block make the
//! explorer sample, so nearly every state is a real check.
//!
//! Run: `cargo bench --bench crash` (env: `E4DAX_BENCH_DIR`, `E4DAX_BENCH_MAX_STATES` (4096)).

use std::time::Instant;

use e4dax::clock::Clock;
use e4dax::crash::{explore, Options};
use e4dax::dax::{workload, Inject, Policy};
use e4dax::fs::layout::Params;
use e4dax::fs::mkfs::{mkfs, MkfsOptions};
use e4dax::pmem::{Device, MappedImage};

const SIZE: u64 = 64 << 20;

fn main() {
    let dir = std::env::var("E4DAX_BENCH_DIR").unwrap_or_else(|_| std::env::temp_dir().display().to_string());
    let max_states: u64 = std::env::var("E4DAX_BENCH_MAX_STATES").ok().and_then(|v| v.parse().ok()).unwrap_or(4096);
    let path = std::path::Path::new(&dir).join("e4dax-bench-crash.img");
    {
        let mut dev = MappedImage::create(&path, SIZE, true).expect("create image");
        let params = Params { size_bytes: SIZE, journal_bytes: None, inodes: None, journal: true };
        let opts = MkfsOptions { params, uuid: [5; 16], label: String::new(), time: 1_700_000_000, poison: true };
        mkfs(&mut dev, &opts, &mut |_, _| {}).expect("mkfs");
        dev.sync().expect("sync");
    }
    let dev = MappedImage::open(&path, false).expect("open");
    let base = dev.view(0, SIZE as usize).expect("map");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workloads = [
        ("single fault", include_str!("../tests/data/fault-into-hole.wl")),
        ("multi-file", include_str!("../tests/data/multi-file.wl")),
    ];
    println!("64 MiB poisoned image, --max-states {max_states} per point, {cores} cores");
    println!(
        "{:<13} {:<22} {:>5} {:>8} {:>8} {:>9} {:>11} {:>9} {:>12}",
        "workload", "policy", "jobs", "points", "sampled", "checked", "checks run", "seconds", "checked/s"
    );
    for (name, text) in workloads {
        let wl = workload::parse(text).expect("workload");
        for (policy, inj) in [(Policy::Zeroed, None), (Policy::Unwritten, None), (Policy::Zeroed, Some("no-fence"))] {
            if name == "multi-file" && inj.is_some() {
                continue;
            }
            let mut inject = Inject::default();
            if let Some(i) = inj {
                inject.set(i);
            }
            for jobs in [1, cores] {
                let opts = Options {
                    policy,
                    inject,
                    clock: Clock::fixed(1_700_000_000),
                    max_states,
                    jobs,
                    ..Options::default()
                };
                let t = Instant::now();
                let r = explore(&base, &wl, &opts, &|_, _| {}).expect("explore").report;
                let secs = t.elapsed().as_secs_f64();
                println!(
                    "{:<13} {:<22} {:>5} {:>8} {:>8} {:>9} {:>11} {:>9.3} {:>12.0}",
                    name,
                    format!("{policy}{}", inj.map(|i| format!("+{i}")).unwrap_or_default()),
                    jobs,
                    r.points_checked,
                    r.points_sampled,
                    r.states_checked,
                    r.checks_run,
                    secs,
                    r.states_checked as f64 / secs
                );
                if inj.is_none() && name == "single fault" && jobs == 1 {
                    println!(
                        "  every crash state of one write fault ({policy}): {} states, {} decided exactly, in {secs:.3} s",
                        r.states_total, r.states_covered
                    );
                }
            }
        }
    }
    drop(base);
    drop(dev);
    let _ = std::fs::remove_file(&path);
}
