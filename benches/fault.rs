//! Fault-path benchmark (issue 8, "Performance"): allocating 4 KiB write faults per second on a
//! 1 GiB image with `--policy zeroed`, committing every 1,000 faults and every fault, against
//! this machine's page-zeroing bandwidth (memset of already-mapped 4 KiB pages, measured in the
//! same run; the image's pages are populated first, as the memset's are); and the recording
//! device's overhead per fault.
//!
//! Run: `cargo bench --bench fault` (env: `E4DAX_BENCH_DIR` for the image's directory,
//! `E4DAX_BENCH_FAULTS` for the number of faults, default 20,000).

use std::time::Instant;

use e4dax::dax::{Access, Dax, Inject, Policy};
use e4dax::fs::layout::Params;
use e4dax::fs::mkfs::{mkfs, MkfsOptions};
use e4dax::fs::Fs;
use e4dax::pmem::{CowDevice, Device, MappedImage, RecordingDevice};

const SIZE: u64 = 1 << 30;
const PAGE: u64 = 4096;

fn make_image(path: &std::path::Path, pages: u64) {
    let mut dev = MappedImage::create(path, SIZE, true).expect("create image");
    let params = Params { size_bytes: SIZE, journal_bytes: None, inodes: None, journal: true };
    let opts = MkfsOptions { params, uuid: [3; 16], label: String::new(), time: 1_700_000_000, poison: false };
    mkfs(&mut dev, &opts, &mut |_, _| {}).expect("mkfs");
    let mut fs = Fs::mount(dev, true).expect("mount").0;
    let ino = fs.create("/f", false, false).expect("create");
    fs.truncate(ino, pages * PAGE).expect("truncate");
    fs.unmount().expect("unmount");
    fs.dev.sync().expect("sync");
}

/// Fault `pages` pages of /f on `dev`, committing every `every` faults: faults per second.
fn run<D: Device>(dev: D, pages: u64, every: u64) -> f64 {
    let fs = Fs::mount(dev, true).expect("mount").0;
    let mut dax = Dax::new(fs, Policy::Zeroed, Inject::default());
    let (ino, _) = dax.fs.regular_file("/f").expect("/f");
    // Compare like with like: the zeroing limit is measured on already-mapped pages, so the
    // image's pages are mapped (populated) before the clock starts.
    let len = dax.fs.dev.len();
    dax.fs.dev.prefetch(0, len, true);
    let t = Instant::now();
    for p in 0..pages {
        if dax.fault(ino, p * PAGE, 1, Access::Write, false, b"x").is_err() {
            panic!("fault {p} failed");
        }
        if (p + 1) % every == 0 && dax.commit().is_err() {
            panic!("commit failed");
        }
    }
    if dax.unmount(false).is_err() {
        panic!("unmount failed");
    }
    pages as f64 / t.elapsed().as_secs_f64()
}

/// memset of already-mapped 4 KiB pages: bytes per second.
fn zeroing_bandwidth() -> f64 {
    let mut buf = vec![1u8; 256 << 20];
    let mut best = 0f64;
    for _ in 0..5 {
        let t = Instant::now();
        for page in buf.chunks_exact_mut(PAGE as usize) {
            // SAFETY-free memset: fill compiles to it.
            page.fill(0);
        }
        std::hint::black_box(&buf);
        best = best.max(buf.len() as f64 / t.elapsed().as_secs_f64());
        buf[0] = 1;
    }
    best
}

fn main() {
    let pages: u64 = std::env::var("E4DAX_BENCH_FAULTS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let dir = std::env::var("E4DAX_BENCH_DIR").unwrap_or_else(|_| std::env::temp_dir().display().to_string());
    let path = std::path::Path::new(&dir).join("e4dax-bench-fault.img");
    let zero_bw = zeroing_bandwidth();
    let limit = zero_bw / PAGE as f64;
    println!(
        "page zeroing (memset of mapped 4 KiB pages): {:.2} GiB/s = {:.0} pages/s",
        zero_bw / f64::from(1 << 30),
        limit
    );
    for every in [1000, 1] {
        make_image(&path, pages);
        let mapped = run(MappedImage::open(&path, true).expect("open"), pages, every);
        make_image(&path, pages);
        let recorded =
            run(RecordingDevice::over(CowDevice::new(MappedImage::open(&path, true).expect("open"))), pages, every);
        println!(
            "zeroed write faults, commit every {every:>4}: {mapped:>9.0} faults/s on the mapped image = {:.3} of the zeroing limit; \
             recording device {recorded:>9.0} faults/s ({:+.1} us per fault)",
            mapped / limit,
            (1.0 / recorded - 1.0 / mapped) * 1e6
        );
    }
    let _ = std::fs::remove_file(&path);
}
