"""Cold start of the ``socle`` command: ``socle --help`` and every sub-command's ``--help``.

Each command runs in a fresh interpreter (as a user types it), ``--repeat`` times; the
figure is the median wall time, and the baseline is ``python -c pass`` measured in the same
run (the interpreter's own start). ``--help`` parses every option of the command, so it is
the time a command takes before it starts its own work. Goal: under 0.5 s each.

    python benchmarks/run.py cli_startup     # or: python benchmarks/cli_startup.py --repeat 7
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

GOAL_S = 0.5


def commands() -> list[list[str]]:
    """``[]`` (the top-level help) and the path of every sub-command, from the app itself."""
    import typer.main

    from socle.cli import app

    group = typer.main.get_command(app)
    found: list[list[str]] = [[]]

    def walk(command: object, path: list[str]) -> None:
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            found.append([*path, name])
            walk(sub, [*path, name])

    walk(group, [])
    return found


def timed(argv: list[str], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of ``argv``, in seconds.

    CPU time does not count the waits for a core, so it moves less than wall time on a
    shared machine.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    socle = [sys.executable, "-c", "from socle.cli import main; main()"]
    base_wall, base_cpu = timed([sys.executable, "-c", "pass"], args.repeat)
    rows = [
        ("python -c pass (baseline)", (base_wall, base_cpu)),
        ("import socle.cli", timed([sys.executable, "-c", "import socle.cli"], args.repeat)),
    ]
    rows += [(" ".join(["socle", *path, "--help"]), timed([*socle, *path, "--help"], args.repeat))
             for path in commands()]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    print(f"{'command':{width}}  wall ms  x pass   cpu ms  x pass")
    for name, (wall, cpu) in rows:
        print(
            f"{name:{width}}  {wall * 1000:7.0f}  {wall / base_wall:6.1f}  {cpu * 1000:7.0f}  "
            f"{cpu / base_cpu:6.1f}"
        )
    worst_wall = max(wall for _, (wall, _) in rows[2:])
    worst_cpu = max(cpu for _, (_, cpu) in rows[2:])
    print(
        f"worst command: wall {worst_wall * 1000:.0f} ms ({worst_wall / base_wall:.1f}x pass), "
        f"cpu {worst_cpu * 1000:.0f} ms ({worst_cpu / base_cpu:.1f}x pass); goal < {GOAL_S} s"
    )
    return 0 if worst_cpu < GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main())
