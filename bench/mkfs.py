#!/usr/bin/env python3
"""Time `e4dax mkfs` against `mkfs.ext4 -b 4096` (defaults) on sparse images.

Alternating runs on fresh files; prints the median time of each and the median of the
per-pair ratios (e4dax / mkfs.ext4) per size. Usage: bench/mkfs.py [RUNS] [DIR]
(build first: cargo build --release)."""
import os, statistics, subprocess, sys, time

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 11
DIR = sys.argv[2] if len(sys.argv) > 2 else "/tmp"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
E4DAX = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "e4dax")
MKFS = "/usr/sbin/mkfs.ext4" if os.path.exists("/usr/sbin/mkfs.ext4") else "mkfs.ext4"
SIZES = [("1G", 1 << 30), ("16G", 16 << 30), ("64G", 64 << 30)]


def timed(cmd, path, size, truncate):
    if os.path.exists(path):
        os.remove(path)
    if truncate:
        with open(path, "wb") as f:
            f.truncate(size)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main():
    if not os.path.exists(E4DAX):
        sys.exit(f"{E4DAX} missing: run cargo build --release")
    print(f"{'size':>5} {'e4dax ms':>10} {'mkfs.ext4 ms':>13} {'ratio':>7}  ({RUNS} alternating runs, medians)")
    for name, size in SIZES:
        a_img, b_img = os.path.join(DIR, "bench-e4dax.img"), os.path.join(DIR, "bench-ext4.img")
        ours, theirs, ratios = [], [], []
        for _ in range(RUNS):
            a = timed([E4DAX, "mkfs", a_img, "--size", name], a_img, size, False)
            b = timed([MKFS, "-q", "-F", "-b", "4096", b_img], b_img, size, True)
            ours.append(a)
            theirs.append(b)
            ratios.append(a / b)
        for p in (a_img, b_img):
            os.remove(p)
        print(f"{name:>5} {statistics.median(ours)*1e3:10.2f} {statistics.median(theirs)*1e3:13.2f} "
              f"{statistics.median(ratios):7.2f}x")


if __name__ == "__main__":
    main()
