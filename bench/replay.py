#!/usr/bin/env python3
"""Time `e4dax journal-replay IMG` against `e2fsck -fy -E no_optimize_extents IMG`.

An 8 GiB image (`e4dax mkfs --size 8G --journal-size 1G`: journal_64bit + journal_checksum_v3,
crc32c) gets about 1 GiB of logged blocks written by debugfs (`jo`, then one `jw -b A-B FILE`
per transaction, then `jc`): TXNS committed transactions of TXN_BLOCKS random blocks each,
whose home locations are free data blocks from block 300000 on (checked against dumpe2fs).
The log is checked with `e4dax inspect IMG journal --json` (commit blocks, logged blocks).
Both tools then replay identical fresh copies (cp --sparse=always, then sync; the copy is not
timed), alternating; prints the median time of each and the median of the per-pair ratios
(e4dax / e2fsck; target <= 0.5, goal 0.3). A warm-up pair is checked once: both copies hold
the logged data at every home block, the journal is empty afterwards, and `e2fsck -fn` finds
the e4dax-replayed copy clean. Finally one more run of each under /usr/bin/time for the
user/sys split and peak RSS, split into RssAnon and RssFile (bench/rss.py; RssShmem for a
tmpfs DIR); with E4DAX_BENCH_PERF=1 also a `perf record` profile of e4dax. With
E4DAX_BASELINE=/path/to/another/e4dax, that binary replays a third copy in every round too
(before/after figures from the same alternating runs).
Usage: bench/replay.py [RUNS] [DIR]  (builds with cargo build --release first; DIR needs
about 5 GiB: the image and the copies are sparse, ~2 GiB each; /dev/shm measures the tools
alone, a disk-backed DIR adds writeback of the 1 GiB of home blocks)."""
import hashlib, json, os, re, shutil, statistics, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rss  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
DIR = sys.argv[2] if len(sys.argv) > 2 else "/tmp"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
E4DAX = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "e4dax")
PERF = os.environ.get("E4DAX_BENCH_PERF") == "1"
BASELINE = os.environ.get("E4DAX_BASELINE")


def sbin(name):
    return f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}") else name


DEBUGFS, DUMPE2FS, E2FSCK = sbin("debugfs"), sbin("dumpe2fs"), sbin("e2fsck")
BS = 4096
TXNS, TXN_BLOCKS = 64, 4000          # 256,000 logged blocks = 1000 MiB (+ descriptors, commits)
FIRST_HOME = 300000                  # well past the metadata of group 0's flex group


def run(cmd, ok=(0,), **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if p.returncode not in ok:
        sys.exit(f"{' '.join(cmd)}: exit {p.returncode}\n{p.stderr.decode(errors='replace')[-2000:]}")
    return p


def free_ranges(img):
    out = run([DUMPE2FS, img]).stdout.decode()
    ranges = []
    for line in out.splitlines():
        m = re.match(r"\s+Free blocks: (.*)$", line)
        if m and m.group(1).strip():
            for part in m.group(1).split(","):
                a, _, b = part.strip().partition("-")
                ranges.append((int(a), int(b or a)))
    # Merge ranges adjacent across group boundaries.
    merged = []
    for a, b in sorted(ranges):
        if merged and a == merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def home_runs(img):
    """TXNS contiguous runs of TXN_BLOCKS free blocks at or after FIRST_HOME."""
    runs = []
    for a, b in free_ranges(img):
        a = max(a, FIRST_HOME)
        while a + TXN_BLOCKS - 1 <= b and len(runs) < TXNS:
            runs.append(a)
            a += TXN_BLOCKS
    if len(runs) < TXNS:
        sys.exit(f"only {len(runs)} free runs of {TXN_BLOCKS} blocks from block {FIRST_HOME}")
    return runs


def home_hashes(img, starts):
    with open(img, "rb") as f:
        out = []
        for s in starts:
            f.seek(s * BS)
            out.append(hashlib.sha256(f.read(TXN_BLOCKS * BS)).hexdigest())
        return out


def fresh_copy(src, dst):
    if os.path.exists(dst):
        os.remove(dst)
    run(["cp", "--sparse=always", src, dst])
    os.sync()


def timed(cmd, ok=(0,)):
    t = time.perf_counter()
    run(cmd, ok)
    return time.perf_counter() - t


def journal_summary(img):
    d = json.loads(run([E4DAX, "inspect", img, "journal", "--json"]).stdout)
    kinds = {}
    tags = 0
    for b in d["blocks"]:
        kinds[b["kind"]] = kinds.get(b["kind"], 0) + 1
        tags += len(b.get("tags") or [])
    return kinds, tags


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    img = os.path.join(DIR, "bench-replay.img")
    a_img, b_img = os.path.join(DIR, "bench-replay-e4dax.img"), os.path.join(DIR, "bench-replay-e2fsck.img")
    datas = [os.path.join(DIR, f"bench-replay.{i}.bin") for i in range(TXNS)]
    script = os.path.join(DIR, "bench-replay.debugfs")
    try:
        t0 = time.perf_counter()
        if os.path.exists(img):
            os.remove(img)
        run([E4DAX, "mkfs", img, "--size", "8G", "--journal-size", "1G",
             "--uuid", "0b5e55ed-4a11-4e0d-9c3b-000000000001",
             "--time", "1700000000"])
        starts = home_runs(img)
        expect = []
        for path in datas:
            buf = os.urandom(TXN_BLOCKS * BS)
            expect.append(hashlib.sha256(buf).hexdigest())
            with open(path, "wb") as f:
                f.write(buf)
        t1 = time.perf_counter()
        with open(script, "w") as f:
            f.write("jo\n")
            for s, path in zip(starts, datas):
                f.write(f"jw -b {s}-{s + TXN_BLOCKS - 1} {path}\n")
            f.write("jc\n")
        p = run([DEBUGFS, "-w", "-f", script, img])
        t2 = time.perf_counter()
        err = p.stderr.decode(errors="replace")
        if re.search(r"error|not |fail|invalid|no space", err, re.I):
            sys.exit(f"debugfs complained:\n{err[-2000:]}")
        for path in datas:
            os.remove(path)
        kinds, tags = journal_summary(img)
        if kinds.get("commit") != TXNS or tags != TXNS * TXN_BLOCKS:
            sys.exit(f"journal holds {kinds} with {tags} tags; expected {TXNS} commits, {TXNS * TXN_BLOCKS} tags")
        if "needs_recovery" not in run([DUMPE2FS, "-h", img]).stdout.decode():
            sys.exit("needs_recovery is not set after debugfs jc")
        print(f"setup: mkfs + {TXNS * TXN_BLOCKS * BS >> 20} MiB random data {t1 - t0:.2f} s, "
              f"debugfs log writing {t2 - t1:.2f} s, total {time.perf_counter() - t0:.2f} s")
        print(f"log: {kinds.get('commit')} transactions, {tags} logged blocks "
              f"({tags * BS / (1 << 30):.3f} GiB), {kinds.get('descriptor', 0)} descriptors; "
              f"home blocks {starts[0]}..{starts[-1] + TXN_BLOCKS - 1}")
        if home_hashes(img, starts) == expect:
            sys.exit("home blocks already hold the logged data before replay")

        a_cmd = [E4DAX, "journal-replay", a_img]
        b_cmd = [E2FSCK, "-fy", "-E", "no_optimize_extents", b_img]
        b_ok = (0, 1)  # 1: file system was modified (the journal was recovered)

        # Warm-up pair, checked: both replays put every logged block at its home location.
        fresh_copy(img, b_img)
        timed(b_cmd, b_ok)
        fresh_copy(img, a_img)
        timed(a_cmd)
        for name, path in (("e2fsck", b_img), ("e4dax", a_img)):
            if home_hashes(path, starts) != expect:
                sys.exit(f"{name}: replayed home blocks differ from the logged data")
            kinds, _ = journal_summary(path)
            if kinds.get("commit"):
                sys.exit(f"{name}: journal still holds {kinds} after replay")
        run([E2FSCK, "-fn", a_img])
        print(f"verified: both replays put all {TXNS * TXN_BLOCKS} logged blocks at their homes "
              f"(sha256 per transaction); e2fsck -fn finds the e4dax copy clean")

        c_img = os.path.join(DIR, "bench-replay-baseline.img")
        c_cmd = [BASELINE, "journal-replay", c_img] if BASELINE else None
        ours, theirs, ratios, base, base_ratios = [], [], [], [], []
        for _ in range(RUNS):
            fresh_copy(img, b_img)
            b = timed(b_cmd, b_ok)
            os.remove(b_img)
            fresh_copy(img, a_img)
            a = timed(a_cmd)
            os.remove(a_img)
            ours.append(a)
            theirs.append(b)
            ratios.append(a / b)
            if c_cmd:
                fresh_copy(img, c_img)
                c = timed(c_cmd)
                os.remove(c_img)
                base.append(c)
                base_ratios.append(c / b)
        print(f"images in {DIR}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'log':>6} {'e4dax ms':>10} {'e2fsck ms':>10} {'ratio':>7}  ({RUNS} alternating runs, medians)")
        print(f"{'1G':>6} {statistics.median(ours)*1e3:10.1f} {statistics.median(theirs)*1e3:10.1f} "
              f"{statistics.median(ratios):7.2f}x   (target <= 0.5x, goal 0.3x)")
        print("  e4dax  ms: " + " ".join(f"{x*1e3:.0f}" for x in ours))
        print("  e2fsck ms: " + " ".join(f"{x*1e3:.0f}" for x in theirs))
        if c_cmd:
            print(f"  baseline {BASELINE}: median {statistics.median(base)*1e3:.1f} ms, "
                  f"ratio {statistics.median(base_ratios):.2f}x; ms: " + " ".join(f"{x*1e3:.0f}" for x in base))

        # One more of each: elapsed, user, sys (s), peak RSS and its split (KiB).
        print(f"{'tool':>8} {rss.HEADER}")
        runs = [("e4dax", a_cmd, (0,), a_img), ("e2fsck", b_cmd, b_ok, b_img)]
        if c_cmd:
            runs.append(("baseline", c_cmd, (0,), c_img))
        for name, cmd, ok, path in runs:
            fresh_copy(img, path)
            m = rss.measure(cmd)
            if m["returncode"] not in ok:
                sys.exit(f"{' '.join(cmd)}: exit {m['returncode']}\n{m['stderr'][-2000:]}")
            print(f"{name:>8} {rss.line(m)}")
            os.remove(path)

        if PERF:
            data = os.path.join(DIR, "bench-replay.perf.data")
            fresh_copy(img, a_img)
            run(["perf", "record", "-g", "-o", data, "--"] + a_cmd)
            rep = run(["perf", "report", "--stdio", "--no-children", "-i", data,
                       "--percent-limit", "2", "-g", "none"]).stdout.decode()
            print("perf report (e4dax journal-replay, self time >= 2%):")
            print("\n".join(l for l in rep.splitlines() if l.strip() and not l.startswith("#")))
            os.remove(data)
    finally:
        for p in [img, a_img, b_img, os.path.join(DIR, "bench-replay-baseline.img"), script] + datas:
            if os.path.exists(p):
                os.remove(p)


if __name__ == "__main__":
    main()
