#!/usr/bin/env python3
"""Time `e4dax fsck -fn IMG` against `e2fsck -fn IMG` on four images (issue 5, "Performance").

  (a) files:    100,000 small files in 100 directories (`mkfs.ext4 -d` from a source tree);
  (b) extents:  262,144 one-block written extents over physically contiguous blocks: 16 files
                with data in every other 4 KiB block and holes between (`mkfs.ext4 -d` from
                sparse sources, which keeps the holes);
  (c) unwritten: 1,048,576 one-block unwritten extents over physically alternating blocks:
                `e4dax mkfs --size 16G`, `e4dax fallocate /f` of 8 GiB (2,097,152 blocks), then
                `debugfs -w -f` punches every other block (one `punch /f B B` line each, from
                the end backwards), leaving every other block free.
  (d) ext2:     the 100,000 files of (a) on `mke2fs -t ext2 -b 1024` (block maps, no journal).

Each image is checked once to be `e2fsck -fn` clean (exit 0) and to hold the expected number
of extents, then cached in DIR (bench-fsck-*.img, sparse) so that re-runs skip the set-up.
e4dax runs twice per round, as by default (one thread) and with `--jobs` set to every core, so
both ratios are printed. The tools run once to warm the page cache, then RUNS alternating rounds, each under
`/usr/bin/time -f '%e %M'`; the wall time is measured around the call (ms resolution) and the
peak RSS is time's %M. Note that e4dax maps the image, so its %M counts the image pages it
touches (plus the neighbours the kernel's fault-around maps when they are in the page cache),
while e2fsck reads into its own buffers: compare /proc/PID/status RssAnon for heap alone. Prints per image the median time and peak RSS of each tool and the
median of the per-pair time ratios (e4dax / e2fsck; target <= 1.0, goal 0.5 on (a) and (b),
0.2 on (c)). For an image where e4dax is slower (ratio > 1), one e4dax run is profiled with
`perf record -g` (back-to-back runs for about a second of samples) and the top symbols of
`perf report --stdio --no-children` are printed (BENCH_FSCK_PERF=0 skips, =1 profiles every
image). BENCH_FSCK_ONLY=ad runs only images (a) and (d).

Usage: bench/fsck.py [RUNS] [DIR]   (default 5 and /tmp; builds with cargo build --release
first and honours CARGO_TARGET_DIR). The cached images take about 1.7 GB of DIR (sparse); the
source trees (100,000 small files, 1 GiB of sparse sources) are built in /dev/shm when it is
writable, else in DIR, and removed once the image is made."""
import math, os, shutil, statistics, subprocess, sys, tempfile, time

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
DIR = sys.argv[2] if len(sys.argv) > 2 else "/tmp"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
E4DAX = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "e4dax")
PERF = os.environ.get("BENCH_FSCK_PERF", "")
# BENCH_FSCK_ONLY=ad: only those images (all by default).
ONLY = os.environ.get("BENCH_FSCK_ONLY", "")
# Scratch space for the source trees: tmpfs when there is one (writing 100,000 files and 1 GiB of
# sparse sources to a busy disk took minutes), else DIR.
WORK = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else DIR
TIME = "/usr/bin/time"
RECIPE = "1"  # bump when a recipe changes, so cached images are rebuilt


def sbin(name):
    return f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}") else name


MKFS, E2FSCK, DEBUGFS = sbin("mkfs.ext4"), sbin("e2fsck"), sbin("debugfs")
BS = 4096


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {r.returncode}\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    return r.stdout


def sparse_file(path, size):
    if os.path.exists(path):
        os.remove(path)
    with open(path, "wb") as f:
        f.truncate(size)


def leaf_extents(img, paths):
    """Extent count per file, from `debugfs -R "ex"` (lines whose level equals the depth)."""
    counts = []
    for p in paths:
        out = run([DEBUGFS, "-R", f"ex {p}", img])
        n = 0
        for line in out.splitlines():
            head = line.split()[:2]
            if len(head) == 2 and head[0].endswith("/") and head[0][:-1].isdigit() and head[0][:-1] == head[1]:
                n += 1
        counts.append(n)
    return counts


# --- image recipes: each builds `img` (a temporary name) and returns a one-line description ---

def build_files(img, work):
    src = os.path.join(work, "src")
    os.mkdir(src)
    for d in range(100):
        dd = os.path.join(src, f"d{d:03}")
        os.mkdir(dd)
        for i in range(1000):
            with open(os.path.join(dd, f"f{i:04}"), "w") as f:
                f.write(f"{d}/{i}\n")
    sparse_file(img, 2 << 30)
    t = time.perf_counter()
    run([MKFS, "-q", "-F", "-b", str(BS), "-N", "200000", "-d", src, img])
    mk = time.perf_counter() - t
    shutil.rmtree(src)
    n = leaf_extents(img, ["/d000/f0000"])[0]
    if n != 1:
        sys.exit(f"(a): /d000/f0000 has {n} extents, expected 1")
    return f"mkfs.ext4 -d of 100 dirs x 1000 files: {mk:.1f} s"


def build_files_ext2(img, work):
    """(d): the same 100,000 files on an ext2 file system of 1 KiB blocks (block-mapped, no
    journal, no extents, no checksums): what older tools make (issue 10)."""
    src = os.path.join(work, "src")
    os.mkdir(src)
    for d in range(100):
        dd = os.path.join(src, f"d{d:03}")
        os.mkdir(dd)
        for i in range(1000):
            with open(os.path.join(dd, f"f{i:04}"), "w") as f:
                f.write(f"{d}/{i}\n")
    sparse_file(img, 1 << 30)
    t = time.perf_counter()
    run([sbin("mke2fs"), "-q", "-F", "-t", "ext2", "-b", "1024", "-N", "200000", "-d", src, img])
    mk = time.perf_counter() - t
    shutil.rmtree(src)
    return f"mke2fs -t ext2 -b 1024 -d of 100 dirs x 1000 files: {mk:.1f} s"


FILES_B, DATA_BLOCKS_B = 16, 16384


def build_extents(img, work):
    src = os.path.join(work, "src")
    os.mkdir(src)
    chunk = bytes(range(1, 256)) * (BS // 255 + 1)
    block = chunk[:BS]  # non-zero: mkfs.ext4 -d skips all-zero blocks too
    for k in range(FILES_B):
        with open(os.path.join(src, f"s{k:02}"), "wb") as f:
            for b in range(DATA_BLOCKS_B):
                f.seek(2 * b * BS)
                f.write(block)
            f.truncate(2 * DATA_BLOCKS_B * BS)
    sparse_file(img, 4 << 30)
    t = time.perf_counter()
    run([MKFS, "-q", "-F", "-b", str(BS), "-d", src, img])
    mk = time.perf_counter() - t
    shutil.rmtree(src)
    counts = leaf_extents(img, [f"/s{k:02}" for k in range(FILES_B)])
    if counts != [DATA_BLOCKS_B] * FILES_B:
        sys.exit(f"(b): extent counts {counts}, expected {DATA_BLOCKS_B} each")
    return f"mkfs.ext4 -d of {FILES_B} sparse files: {mk:.1f} s; {sum(counts)} extents"


BLOCKS_C = 2 << 20  # 8 GiB


def build_unwritten(img, work):
    if os.path.exists(img):
        os.remove(img)
    run([E4DAX, "mkfs", img, "--size", "16G"])
    run([E4DAX, "create", img, "/f"])
    run([E4DAX, "fallocate", img, "/f", "--offset", "0", "--len", str(BLOCKS_C * BS)])
    cmds = os.path.join(work, "punch.txt")
    with open(cmds, "w") as f:
        f.writelines(f"punch /f {b} {b}\n" for b in range(BLOCKS_C - 1, 0, -2))
    t = time.perf_counter()
    run([DEBUGFS, "-w", "-f", cmds, img])
    pt = time.perf_counter() - t
    os.remove(cmds)
    out = run([DEBUGFS, "-R", "ex /f", img])
    uninit = sum(1 for l in out.splitlines() if l.rstrip().endswith("Uninit"))
    if uninit != BLOCKS_C // 2:
        sys.exit(f"(c): {uninit} unwritten extents, expected {BLOCKS_C // 2}")
    return f"debugfs -w -f with {BLOCKS_C // 2} punches: {pt:.1f} s; {uninit} unwritten extents"


IMAGES = [
    ("a", "files", "100k files / 100 dirs", build_files, 0.5),
    ("b", "extents", "262,144 extents, contiguous", build_extents, 0.5),
    ("c", "unwritten", "1,048,576 unwritten, alternating", build_unwritten, 0.2),
    ("d", "files-ext2", "100k files, ext2, 1 KiB blocks", build_files_ext2, 0.5),
]


def image(key, name, build):
    img = os.path.join(DIR, f"bench-fsck-{name}.img")
    stamp = img + ".recipe"
    if os.path.exists(img) and os.path.exists(stamp) and open(stamp).read() == RECIPE:
        print(f"({key}) {name}: cached {img}")
        return img
    for p in (img, stamp):
        if os.path.exists(p):
            os.remove(p)
    tmp = img + ".building"
    work = tempfile.mkdtemp(prefix=f"bench-fsck-{name}-", dir=WORK)
    try:
        t = time.perf_counter()
        what = build(tmp, work)
        r = subprocess.run([E2FSCK, "-fn", tmp], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            sys.exit(f"({key}) {tmp} is not e2fsck -fn clean (exit {r.returncode}):\n{r.stdout[-3000:]}")
        os.rename(tmp, img)
        with open(stamp, "w") as f:
            f.write(RECIPE)
        print(f"({key}) {name}: built in {time.perf_counter() - t:.1f} s ({what}); e2fsck -fn clean")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if os.path.exists(tmp):
            os.remove(tmp)
    return img


def timed(cmd):
    """(wall seconds, peak RSS KiB, exit code, stdout+stderr) of one run under /usr/bin/time."""
    fd, tf = tempfile.mkstemp(prefix="bench-fsck-time-")
    os.close(fd)
    try:
        t = time.perf_counter()
        r = subprocess.run([TIME, "-f", "%e %M", "-o", tf] + cmd,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        d = time.perf_counter() - t
        with open(tf) as f:
            last = f.read().strip().splitlines()[-1]  # "Command exited with non-zero status N" may precede
        return d, int(last.split()[1]), r.returncode, r.stdout
    finally:
        os.remove(tf)


def profile(key, img, secs):
    """perf record -g over enough back-to-back e4dax runs for ~1 s of samples; prints the flat
    top of `perf report --no-children` and keeps the -g report next to the image."""
    reps = max(1, min(50, math.ceil(1.0 / secs)))
    data = os.path.join(DIR, f"bench-fsck-{key}.perf.data")
    loop = f'for i in $(seq {reps}); do "$0" fsck -fn "$1" >/dev/null; done'
    r = subprocess.run(["perf", "record", "-g", "-o", data, "--", "sh", "-c", loop, E4DAX, img],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if not os.path.exists(data):
        print(f"({key}) perf record failed: {r.stderr.strip()[-500:]}")
        return
    rep = ["perf", "report", "-i", data, "--stdio", "--no-children", "--comm", "e4dax"]
    graph = subprocess.run(rep, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    txt = os.path.join(DIR, f"bench-fsck-{key}.perf.txt")
    with open(txt, "w") as f:
        f.write(graph)
    flat = subprocess.run(rep + ["-g", "none", "--percent-limit", "0.5"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    top = [l for l in flat.splitlines() if l.strip() and not l.startswith("#")][:25]
    print(f"\n--- ({key}) perf: e4dax fsck -fn {os.path.basename(img)} x{reps}, top symbols "
          f"(perf report --stdio --no-children -g none; the -g report is in {txt}) ---")
    print("\n".join(top))
    os.remove(data)


def must_be_clean(key, cmd, rc, out):
    """Both checkers must call the image clean (exit 0) on every run: the time of a check that
    failed, or found something, measures another program, so there is no ratio to report."""
    if rc != 0:
        sys.exit(f"({key}) {' '.join(cmd)} exited {rc} on a clean image: no timing is reported\n{out[-2000:]}")


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    imgs = [(key, image(key, name, build), label, goal) for key, name, label, build, goal in IMAGES if not ONLY or key in ONLY]
    rows = []
    for key, img, label, goal in imgs:
        # e4dax as run by default (one thread), e4dax on every core, e2fsck (single-threaded).
        a_cmd, c_cmd, b_cmd = [E4DAX, "fsck", "-fn", img], [E4DAX, "fsck", "-fn", "--jobs", str(os.cpu_count()), img], [E2FSCK, "-fn", img]
        for cmd in (a_cmd, c_cmd, b_cmd):  # warm the page cache; all must call the image clean
            must_be_clean(key, cmd, *timed(cmd)[2:])
        ours, ones, theirs, ratios, ratios1, rss_a, rss_b, codes = [], [], [], [], [], [], [], set()
        for _ in range(RUNS):
            a, ma, rc, out = timed(a_cmd)
            must_be_clean(key, a_cmd, rc, out)
            c, _, rc_c, out_c = timed(c_cmd)
            must_be_clean(key, c_cmd, rc_c, out_c)
            b, mb, rc_b, out_b = timed(b_cmd)
            must_be_clean(key, b_cmd, rc_b, out_b)
            ours.append(a)
            ones.append(c)
            theirs.append(b)
            ratios.append(a / b)
            ratios1.append(c / b)
            rss_a.append(ma)
            rss_b.append(mb)
            codes.add(rc)
        rows.append((key, img, label, goal, ours, theirs, ratios, rss_a, rss_b, codes, ones, ratios1))
    print(f"\n{RUNS} alternating runs per image, medians; time in ms, peak RSS in MiB (/usr/bin/time %M); "
          f"e4dax as by default (one thread) and with --jobs {os.cpu_count()}")
    print(f"{'image':<36} {'e4dax ms':>9} {'--jobs':>9} {'e2fsck ms':>10} {'ratio':>7} {'--jobs':>9} "
          f"{'e4dax MiB':>10} {'e2fsck MiB':>11} {'mem':>6}  {'goal':>5} {'e4dax rc':>8}")
    for key, img, label, goal, ours, theirs, ratios, rss_a, rss_b, codes, ones, ratios1 in rows:
        ma, mb = statistics.median(rss_a) / 1024, statistics.median(rss_b) / 1024
        print(f"({key}) {label:<32} {statistics.median(ours)*1e3:9.1f} {statistics.median(ones)*1e3:9.1f} "
              f"{statistics.median(theirs)*1e3:10.1f} {statistics.median(ratios):6.2f}x {statistics.median(ratios1):8.2f}x "
              f"{ma:10.1f} {mb:11.1f} {ma/mb:5.2f}x  {goal:4.1f}x {','.join(map(str, sorted(codes))):>8}")
    print("per-pair ratios: " + "; ".join(f"({r[0]}) " + " ".join(f"{x:.2f}" for x in r[6]) for r in rows))
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for key, img, label, goal, ours, theirs, ratios, *_ in rows:
        if PERF == "1" or (PERF != "0" and statistics.median(ratios) > 1.0):
            profile(key, img, statistics.median(ours))


if __name__ == "__main__":
    main()
