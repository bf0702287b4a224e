#!/usr/bin/env python3
"""Time `e4dax read IMG /big --out OUT` against `debugfs -R "dump /big OUT" IMG`.

A 2 GiB stock image (`mkfs.ext4 -q -F -b 4096` on a sparse file) gets a 1 GiB file of random
bytes written by `debugfs -w -R "write SRC /big"`. Both tools then read it back to a fresh
output file, alternating; prints the median time of each and the median of the per-pair
ratios (e4dax / debugfs; the target is <= 0.5, i.e. read at least 2x faster than dump).
Both outputs are checked once to be byte-identical to the source.
Usage: bench/read.py [RUNS] [DIR] [OUTDIR]  (builds with cargo build --release first).
OUTDIR (default DIR) holds the outputs: on a disk-backed DIR, dirty-page writeback of the
1 GiB outputs makes the timings noisy; a tmpfs OUTDIR (/dev/shm) measures the tools alone.
Then one more run of each under bench/rss.py: user and system time, peak RSS and its split
into RssAnon and RssFile. With E4DAX_BASELINE=/path/to/another/e4dax, that binary reads in
every round too (before/after figures from the same alternating runs)."""
import filecmp, os, statistics, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rss  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
DIR = sys.argv[2] if len(sys.argv) > 2 else "/tmp"
OUTDIR = sys.argv[3] if len(sys.argv) > 3 else DIR
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
E4DAX = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "e4dax")


def sbin(name):
    return f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}") else name


MKFS, DEBUGFS = sbin("mkfs.ext4"), sbin("debugfs")
IMG_BYTES, FILE_BYTES = 2 << 30, 1 << 30


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def timed(cmd, out):
    if os.path.exists(out):
        os.remove(out)
    t = time.perf_counter()
    run(cmd)
    d = time.perf_counter() - t
    if os.path.getsize(out) != FILE_BYTES:
        sys.exit(f"{' '.join(cmd)}: wrote {os.path.getsize(out)} bytes, expected {FILE_BYTES}")
    return d


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    img, src = os.path.join(DIR, "bench-read.img"), os.path.join(DIR, "bench-read.src")
    out_a, out_b = os.path.join(OUTDIR, "bench-read.e4dax"), os.path.join(OUTDIR, "bench-read.debugfs")
    try:
        with open(src, "wb") as f:
            for _ in range(FILE_BYTES >> 24):
                f.write(os.urandom(1 << 24))
        with open(img, "wb") as f:
            f.truncate(IMG_BYTES)
        run([MKFS, "-q", "-F", "-b", "4096", img])
        t = time.perf_counter()
        run([DEBUGFS, "-w", "-R", f"write {src} /big", img])
        print(f"setup: debugfs write of 1 GiB took {time.perf_counter() - t:.2f} s")
        a_cmd = [E4DAX, "read", img, "/big", "--out", out_a]
        b_cmd = [DEBUGFS, "-R", f"dump /big {out_b}", img]
        # One warm-up pair (page cache holds the image for both), checked against the source.
        timed(a_cmd, out_a)
        timed(b_cmd, out_b)
        for out in (out_a, out_b):
            if not filecmp.cmp(src, out, shallow=False):
                sys.exit(f"{out} differs from the source")
        print("verified: both outputs are byte-identical to the source")
        base_bin = os.environ.get("E4DAX_BASELINE")
        c_cmd = [base_bin] + a_cmd[1:] if base_bin else None
        ours, theirs, ratios, base, base_ratios = [], [], [], [], []
        for _ in range(RUNS):
            a = timed(a_cmd, out_a)
            os.remove(out_a)
            b = timed(b_cmd, out_b)
            os.remove(out_b)
            ours.append(a)
            theirs.append(b)
            ratios.append(a / b)
            if c_cmd:
                c = timed(c_cmd, out_a)
                os.remove(out_a)
                base.append(c)
                base_ratios.append(c / b)
        print(f"image in {DIR}, outputs in {OUTDIR}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'file':>6} {'e4dax ms':>10} {'debugfs ms':>11} {'ratio':>7}  ({RUNS} alternating runs, medians)")
        print(f"{'1G':>6} {statistics.median(ours)*1e3:10.1f} {statistics.median(theirs)*1e3:11.1f} "
              f"{statistics.median(ratios):7.2f}x")
        r = statistics.median(ratios)
        print(f"e4dax read is {1 / r:.2f}x as fast as debugfs dump (target: >= 2x)")
        if c_cmd:
            print(f"  baseline {base_bin}: median {statistics.median(base)*1e3:.1f} ms, "
                  f"ratio {statistics.median(base_ratios):.2f}x; ms: " + " ".join(f"{x*1e3:.0f}" for x in base))
        print(f"{'tool':>8} {rss.HEADER}")
        for name, cmd, out in [("e4dax", a_cmd, out_a), ("debugfs", b_cmd, out_b)] + (
                [("baseline", c_cmd, out_a)] if c_cmd else []):
            m = rss.measure(cmd)
            if m["returncode"] != 0:
                sys.exit(f"{' '.join(cmd)}: exit {m['returncode']}\n{m['stderr'][-2000:]}")
            print(f"{name:>8} {rss.line(m)}")
            os.remove(out)
    finally:
        for p in (img, src, out_a, out_b):
            if os.path.exists(p):
                os.remove(p)


if __name__ == "__main__":
    main()
