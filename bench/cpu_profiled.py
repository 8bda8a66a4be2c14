"""`nameko run …` with yappi measuring CPU time per function (bench/e2e.py --profile).

SIGUSR1 starts (or restarts) the measurement, SIGUSR2 stops it and writes the stats, in
pstats format, to <service>.pstat in the folder LOOP311_CPU_PROFILE_DIR names. yappi's
CPU clock counts only the time this process ran, and its greenlet backend keeps each green
thread's calls apart; a sampling profiler from outside would also count the time the
process waited for a core, which on a shared 2-core machine is most of what it sees.
"""
import os
import signal
import sys
from pathlib import Path

import yappi

SERVICE = sys.argv[-1].split(".")[0].removeprefix("loop311_")  # loop311_intake.service:…
OUTPUT = Path(os.environ["LOOP311_CPU_PROFILE_DIR"]) / f"{SERVICE}.pstat"


def start(signum, frame):
    yappi.stop()
    yappi.clear_stats()
    yappi.start()


def save(signum, frame):
    yappi.stop()
    # Written aside, then renamed: a reader never sees half a file, and a busy service may
    # take tens of seconds to write its stats.
    partial = OUTPUT.with_suffix(".partial")
    yappi.get_func_stats().save(str(partial), type="pstat")
    os.replace(partial, OUTPUT)


if __name__ == "__main__":
    yappi.set_clock_type("cpu")
    yappi.set_context_backend("greenlet")
    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, save)
    from nameko.cli.main import main
    sys.argv = ["nameko", *sys.argv[1:]]
    sys.exit(main())
