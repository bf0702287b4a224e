#!/usr/bin/env python3
"""Time `e4dax mkfs IMG --size SIZE --poison` against the disk's sequential-write limit.

The limit is a plain sequential write of the same number of bytes with an fsync at the end,
measured two ways: `dd if=/dev/zero of=F bs=1M count=N conv=fsync`, and this script writing a
non-zero 1 MiB buffer (the poison marker repeated) N times to a new file and fsyncing it
(`bench/poison.py --write F N`; on this machine's virtual disk zeros were often slower to write
than other data, so dd alone flattered e4dax). All end with the data on the disk (e4dax's mkfs
ends with msync of the image). The three run on fresh files in DIR, alternating; prints the
median time of each and the median of the per-round ratios (e4dax / dd and e4dax / write;
target <= 1.5, goal 1.2), then one more run of each under bench/rss.py: user and system time,
peak RSS, and its split into RssAnon and RssFile (RssShmem for a tmpfs DIR).
Once, the image is checked: `e2fsck -fn` finds it clean and every free block holds the poison
pattern (`e4dax fsck -n --data` does not apply to free blocks, so a sample is read back:
block B starts with b"E4DXSTAL" + B as a little-endian u64).

With E4DAX_BASELINE=/path/to/another/e4dax, that binary's mkfs runs in every round too
(before/after figures from the same alternating runs).
Usage: bench/poison.py [RUNS] [DIR] [SIZE]  (defaults 5, /tmp, 1G; builds with cargo build
--release first and honours CARGO_TARGET_DIR). DIR needs twice SIZE free.
"""
import os, random, statistics, struct, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rss  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] != "--write" else 5
DIR = sys.argv[2] if len(sys.argv) > 2 else "/tmp"
SIZE = sys.argv[3] if len(sys.argv) > 3 else "1G"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
E4DAX = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "e4dax")
E2FSCK = "/usr/sbin/e2fsck" if os.path.exists("/usr/sbin/e2fsck") else "e2fsck"
DUMPE2FS = "/usr/sbin/dumpe2fs" if os.path.exists("/usr/sbin/dumpe2fs") else "dumpe2fs"
UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def size_bytes(s):
    return int(s[:-1]) * UNITS[s[-1].upper()] if s[-1].upper() in UNITS else int(s)


def free_blocks(img):
    out = subprocess.run([DUMPE2FS, img], capture_output=True, text=True, check=True).stdout
    blocks = []
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Free blocks: ") and line[len("Free blocks: "):].strip():
            for part in line[len("Free blocks: "):].split(","):
                a, _, b = part.strip().partition("-")
                blocks.append((int(a), int(b or a)))
    return blocks


def check(img):
    r = subprocess.run([E2FSCK, "-fn", img], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"e2fsck -fn {img}: exit {r.returncode}\n{r.stdout[-2000:]}")
    ranges = free_blocks(img)
    rng = random.Random(11)
    with open(img, "rb") as f:
        for a, b in ranges[:2] + rng.sample(ranges, min(50, len(ranges))) + ranges[-2:]:
            for blk in {a, b, rng.randint(a, b)}:
                f.seek(blk * 4096)
                cell = f.read(16)
                if cell != b"E4DXSTAL" + struct.pack("<Q", blk):
                    sys.exit(f"free block {blk} does not hold the poison pattern: {cell!r}")


def write_pattern(path, n):
    """The non-zero sequential writer: N MiB of the marker, then fsync."""
    buf = b"E4DXSTAL" * (1 << 17)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for _ in range(n):
            os.write(fd, buf)
        os.fsync(fd)
    finally:
        os.close(fd)


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    n = size_bytes(SIZE)
    img, raw = os.path.join(DIR, "bench-poison.img"), os.path.join(DIR, "bench-poison.dd")
    a_cmd = [E4DAX, "mkfs", img, "--size", SIZE, "--poison", "--force",
             "--uuid", "0b5e55ed-4a11-4e0d-9c3b-000000000002", "--time", "1700000000"]
    b_cmd = ["dd", "if=/dev/zero", f"of={raw}", "bs=1M", f"count={n >> 20}", "conv=fsync", "status=none"]
    w_cmd = [sys.executable, os.path.abspath(__file__), "--write", raw, str(n >> 20)]

    def fresh():
        for p in (img, raw):
            if os.path.exists(p):
                os.remove(p)
        os.sync()

    def timed(cmd):
        m = rss.measure(cmd)
        if m["returncode"] != 0:
            sys.exit(f"{' '.join(cmd)}: exit {m['returncode']}\n{m['stderr'][-2000:]}")
        return m

    try:
        fresh()
        timed(a_cmd)
        check(img)
        print(f"verified: e2fsck -fn finds the poisoned {SIZE} image clean; sampled free blocks hold the pattern")
        base_bin = os.environ.get("E4DAX_BASELINE")
        c_cmd = [base_bin] + a_cmd[1:] if base_bin else None
        ours, dds, writes, base = [], [], [], []
        for _ in range(RUNS):
            for cmd, out in [(a_cmd, ours), (b_cmd, dds), (w_cmd, writes)] + ([(c_cmd, base)] if c_cmd else []):
                fresh()
                out.append(timed(cmd)["elapsed"])
        med = statistics.median

        def ratio(xs, ys):
            return med([x / y for x, y in zip(xs, ys)])

        print(f"files in {DIR}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'size':>6} {'e4dax ms':>10} {'dd ms':>8} {'write ms':>9} {'e4dax/dd':>9} {'e4dax/write':>12}"
              f"  ({RUNS} alternating rounds, medians; target <= 1.5x, goal 1.2x)")
        print(f"{SIZE:>6} {med(ours)*1e3:10.1f} {med(dds)*1e3:8.1f} {med(writes)*1e3:9.1f} "
              f"{ratio(ours, dds):8.2f}x {ratio(ours, writes):11.2f}x")
        print("  e4dax ms: " + " ".join(f"{x*1e3:.0f}" for x in ours))
        print("  dd    ms: " + " ".join(f"{x*1e3:.0f}" for x in dds))
        print("  write ms: " + " ".join(f"{x*1e3:.0f}" for x in writes))
        if c_cmd:
            print(f"  baseline {base_bin}: median {med(base)*1e3:.1f} ms, ratios {ratio(base, dds):.2f}x (dd) "
                  f"{ratio(base, writes):.2f}x (write); ms: " + " ".join(f"{x*1e3:.0f}" for x in base))
        print(f"{'tool':>8} {rss.HEADER}")
        for name, cmd in [("e4dax", a_cmd), ("dd", b_cmd), ("write", w_cmd)] + ([("baseline", c_cmd)] if c_cmd else []):
            fresh()
            print(f"{name:>8} {rss.line(timed(cmd))}")
    finally:
        for p in (img, raw):
            if os.path.exists(p):
                os.remove(p)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--write":
        write_pattern(sys.argv[2], int(sys.argv[3]))
    else:
        main()
