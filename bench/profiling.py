"""Where a benchmark run spent the machine: CPU seconds per process (`CpuMeter`), and
CPU profiles of the service processes (`Recording`, for `bench/e2e.py --profile DIR`).

The services then run under bench/cpu_profiled.py (yappi, CPU clock, per green thread).
`Recording` starts their measurement just before the load and stops it once every
request went through every service; each service writes DIR/<service>.pstat, which
`python -m pstats`, snakeviz or any pstats reader opens. `summary` lists where the CPU
went: by function including what it calls, and by the function's own time.
"""
import os
import pstats
import signal
import sys
import time
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
LAUNCHER = [sys.executable, str(Path(__file__).with_name("cpu_profiled.py"))]


class Recording:
    """The services' CPU profiles, between construction and `stop`."""

    def __init__(self, directory: Path, pids: dict[str, int]):
        self.directory = Path(directory)
        self.pids = pids
        # A profile left by an earlier run would pass for this one's, and the service
        # be stopped before it wrote its own.
        for name in pids:
            (self.directory / f"{name}.pstat").unlink(missing_ok=True)
        for pid in pids.values():
            os.kill(pid, signal.SIGUSR1)

    def stop(self, timeout: float = 300.0) -> dict[str, Path]:
        """Stop measuring; the profiles written, by service."""
        for pid in self.pids.values():
            os.kill(pid, signal.SIGUSR2)
        wanted = {name: self.directory / f"{name}.pstat" for name in self.pids}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not all(p.exists() for p in wanted.values()):
            time.sleep(0.2)
        return {name: path for name, path in wanted.items() if path.exists()}


def short(where: tuple) -> str:
    """(file, line, function) → `function (package/module.py)`."""
    path, _, function = where
    parts = Path(path).parts
    return f"{function} ({'/'.join(parts[-2:])})"


def summary(path: Path, top: int = 20) -> str:
    """The functions that took most CPU: including their callees (the project's own code,
    where the time goes in our terms) and on their own (what is expensive underneath)."""
    stats = pstats.Stats(str(path)).stats
    total = sum(own for _, _, own, _, _ in stats.values()) or 1e-9
    ours = sorted(((cumulative, where) for where, (_, _, _, cumulative, _) in stats.items()
                   if "loop311" in where[0]), reverse=True)
    own = sorted(((seconds, where) for where, (_, _, seconds, _, _) in stats.items()),
                 reverse=True)
    lines = [f"{path.name}: {total:.2f} CPU-s measured"]
    lines.append("  Loop311 functions, including what they call:")
    lines += [f"    {100 * seconds / total:5.1f}%  {short(where)}" for seconds, where in ours[:top]]
    lines.append("  any function, on its own:")
    lines += [f"    {100 * seconds / total:5.1f}%  {short(where)}" for seconds, where in own[:top]]
    return "\n".join(lines)


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _pids_named(command: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


class CpuMeter:
    """CPU seconds (user + system) each part of the run used between `start` and `stop`:
    the given processes (the services, the SMTP sink), PostgreSQL (all its processes, also
    the backends that connections opened meanwhile), RabbitMQ and the load driver. On a
    shared machine this shows which part the cores were spent on. Linux only (/proc)."""

    NAMED = {"PostgreSQL": "postgres", "RabbitMQ": "beam.smp"}

    def __init__(self, processes: dict[str, int]):
        self.processes = {**processes, "load driver": os.getpid()}
        self.started = self._read()
        self.began = time.monotonic()

    def _read(self) -> dict[str, dict[int, float]]:
        pids = {name: [pid] for name, pid in self.processes.items()}
        pids.update({name: _pids_named(command) for name, command in self.NAMED.items()})
        return {name: {pid: _cpu_seconds(pid) for pid in group} for name, group in pids.items()}

    def stop(self) -> str:
        wall = time.monotonic() - self.began
        used = {name: sum(seconds - self.started[name].get(pid, 0.0)
                          for pid, seconds in group.items())
                for name, group in self._read().items()}
        cores = os.cpu_count() or 1
        parts = ", ".join(f"{name} {seconds:.1f}" for name, seconds in used.items())
        return (f"{sum(used.values()):.1f} CPU-s of {wall * cores:.1f} available "
                f"({cores} cores x {wall:.1f} s): {parts}")
