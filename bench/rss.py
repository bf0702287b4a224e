#!/usr/bin/env python3
"""Peak memory of one command, split by kind (issue 11: "RssAnon and RssFile separately").

The command runs under /usr/bin/time, whose %M is the exact peak of the total (the kernel's
maxrss; /usr/bin/time is a small parent: a child forked straight from this Python process would
inherit the script's own RSS as a floor of its maxrss, which the kernel keeps across exec). The
command's /proc/PID/status is sampled every INTERVAL seconds while it runs, keeping the largest
RssAnon (heap, stacks: private memory), RssFile (pages of mapped files, e.g. an image mapped by
e4dax, and the program's own text) and RssShmem (pages of mapped tmpfs files: an image in
/dev/shm counts here, not in RssFile) seen. A short peak between two samples can be missed by
the split, never by the total.

As a module: measure(cmd) -> dict(elapsed, user, sys, maxrss, anon, file, shmem, returncode)
(memory in KiB, times in seconds). As a command: bench/rss.py CMD [ARGS...] prints one line.
"""
import os, subprocess, sys, time

INTERVAL = 0.002


def _sample(pid, peak):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("RssAnon", "RssFile", "RssShmem"):
                    kib = int(value.split()[0])
                    if kib > peak[key]:
                        peak[key] = kib
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass


def _child(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = f.read().split()
        return int(kids[0]) if kids else None
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return None


def measure(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE):
    peak = {"RssAnon": 0, "RssFile": 0, "RssShmem": 0}
    fd, report = os.pipe()
    t = time.perf_counter()
    p = subprocess.Popen(["/usr/bin/time", "-o", f"/dev/fd/{report}", "-f", "%e %U %S %M"] + list(cmd),
                         stdout=stdout, stderr=stderr, pass_fds=(report,))
    os.close(report)
    child = None
    while p.poll() is None:
        child = child or _child(p.pid)
        if child:
            _sample(child, peak)
        time.sleep(INTERVAL)
    elapsed = time.perf_counter() - t
    with os.fdopen(fd) as f:
        words = f.read().split()
    err = b""
    if p.stderr is not None:
        err = p.stderr.read()
        p.stderr.close()
    # time prints "Command exited with non-zero status N" first when it did.
    _, user, sys_s, maxrss = words[-4:]
    return {
        "elapsed": elapsed,
        "user": float(user),
        "sys": float(sys_s),
        "maxrss": int(maxrss),
        "anon": peak["RssAnon"],
        "file": peak["RssFile"],
        "shmem": peak["RssShmem"],
        "returncode": p.returncode,
        "stderr": err.decode(errors="replace"),
    }


HEADER = f"{'elapsed s':>9} {'user':>6} {'sys':>6} {'peak RSS KiB':>12} {'RssAnon':>9} {'RssFile':>9} {'RssShmem':>9}"


def line(m):
    return (f"{m['elapsed']:9.2f} {m['user']:6.2f} {m['sys']:6.2f} {m['maxrss']:12d} "
            f"{m['anon']:9d} {m['file']:9d} {m['shmem']:9d}")


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: bench/rss.py CMD [ARGS...]")
    m = measure(sys.argv[1:], stdout=None, stderr=None)
    print(HEADER, file=sys.stderr)
    print(line(m) + f"   exit {m['returncode']}", file=sys.stderr)
    sys.exit(m["returncode"])


if __name__ == "__main__":
    main()
