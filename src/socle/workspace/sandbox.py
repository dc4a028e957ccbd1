"""The job sandbox: bubblewrap namespaces, no network, only the job's own folders, hard limits.

Inside, the job sees the system's ``/usr`` (read-only), the Python runtime and
its packages (read-only), ``/job/extract`` and ``/job/code`` (read-only),
``/job/output`` (writable) and a private ``/tmp`` in the job's folder. No
network (a fresh network namespace with only a loopback), its own process
tree (``/proc`` shows only the job), an empty environment, no capabilities,
no nested namespaces. Nothing else of the node exists there: not its home,
keys, vault, warehouse or governance store.

The job never runs as the node's user when the node runs as root: bubblewrap
mounts the folders, then ``setpriv`` drops to ``nobody`` with no
capabilities and ``no_new_privs`` before the script starts (as root the
process limit would not apply). A node running as its own user runs
bubblewrap unprivileged, in a new user namespace. Limits are kernel
resource limits set before bubblewrap starts: CPU seconds, address space,
number of processes (a fork bomb stops there), size of any file written;
the wall clock is the supervisor's (:mod:`socle.workspace.jobs`).
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from socle.workspace.errors import SandboxError

NOBODY = 65534
INSIDE = Path("/job")


@dataclass(frozen=True)
class Limits:
    """Per-job limits; every one is enforced by the kernel or the supervisor."""

    cpu_seconds: int = 600
    memory_mb: int = 4096
    wall_seconds: int = 1800
    processes: int = 64
    file_mb: int = 512

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Mount:
    """A folder of the node handed to the sandbox (by descriptor) at ``target``."""

    source: Path
    target: Path
    writable: bool = False


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxError(
            "bubblewrap (bwrap) is not installed; jobs cannot run without their sandbox. "
            "Install the Debian package 'bubblewrap' (scripts/install-system-deps.sh)"
        )
    return path


def rscript_path() -> str:
    """R's script runner, for ``.R`` jobs (Debian ``r-base-core``)."""
    path = shutil.which("Rscript")
    if path is None:
        raise SandboxError(
            "R is not installed; R jobs need Debian's 'r-base-core' "
            "(scripts/install-system-deps.sh). Python jobs run without it"
        )
    return path


def r_mounts() -> list[Mount]:
    """R's site configuration and the BLAS/LAPACK alternatives it links through, read-only."""
    return [Mount(p, p) for p in (Path("/etc/R"), Path("/etc/alternatives")) if p.is_dir()]


def csv_copies(files: dict[str, Path]) -> dict[str, Path]:
    """A CSV beside each Parquet file of an extract (base R reads CSV); name → path."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    copies = {}
    for name, path in files.items():
        if path.suffix == ".parquet":
            target = path.with_suffix(".csv")
            pacsv.write_csv(pq.read_table(path), target)
            copies[name.removesuffix(".parquet") + ".csv"] = target
    return copies


def runtime_mounts() -> list[Mount]:
    """The Python runtime and installed packages, read-only at the paths they have here."""
    prefixes = {Path(sys.base_prefix).resolve(), Path(sys.prefix)}
    return [Mount(p, p) for p in sorted(prefixes)]


def privileged() -> bool:
    return os.geteuid() == 0


def command(folders: list[Mount], argv: list[str]) -> list[str]:
    """The bwrap command line running ``argv`` with ``folders`` mounted."""
    args = [
        bwrap_path(), "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
        "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv",
        "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", str(INSIDE / "output"),
        "--setenv", "LANG", "C.UTF-8", "--setenv", "MPLBACKEND", "Agg",
        "--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv", "PYTHONNOUSERSITE", "1",
        "--setenv", "OMP_NUM_THREADS", "1", "--setenv", "OPENBLAS_NUM_THREADS", "1",
        "--setenv", "TMPDIR", "/tmp",
        "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev",
    ]  # fmt: skip
    if privileged():
        args += ["--cap-drop", "ALL"]
        args += [
            a for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP") for a in ("--cap-add", cap)
        ]
    else:
        args += ["--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
    for name in ("bin", "lib", "lib64", "sbin"):
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            args += ["--ro-bind", str(host), str(host)]
    parents = sorted({p for m in folders for p in m.target.parents if p != Path("/")}, key=str)
    for parent in parents:  # traversable by the job's user (bwrap would copy the host's mode)
        args += ["--perms", "0755", "--dir", str(parent)]
    for mount in folders:
        args += ["--bind" if mount.writable else "--ro-bind", str(mount.source), str(mount.target)]
    args += ["--chdir", str(INSIDE / "output"), "--"]
    if privileged():
        args += [
            "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
            "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all",
        ]  # fmt: skip
    return [*args, *argv]


def limiter(limits: Limits) -> Callable[[], None]:
    """What the child runs before ``exec``: the kernel limits every process of the job inherits."""

    # The process limit counts every task of the (outside) user: as root the job runs as
    # nobody; otherwise the node user's current tasks are added to the job's allowance.
    processes = limits.processes + (0 if privileged() else _tasks_of(os.getuid()))

    def apply() -> None:
        memory = limits.memory_mb * 1024 * 1024
        for kind, value in (
            (resource.RLIMIT_CPU, limits.cpu_seconds),
            (resource.RLIMIT_AS, memory),
            (resource.RLIMIT_NPROC, processes),
            (resource.RLIMIT_FSIZE, limits.file_mb * 1024 * 1024),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(kind, (value, value))

    return apply


def prepare_writable(folder: Path) -> None:
    """Let the sandbox's user write ``folder`` (reachable only through its descriptor)."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(folder, NOBODY, NOBODY)
    folder.chmod(
        0o711
    )  # others may only traverse (the sandbox enters it before dropping to nobody)


def prepare_readable(folder: Path) -> None:
    """Let the sandbox's user read ``folder`` and its files (and nothing more)."""
    for path in (folder, *folder.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)


def _tasks_of(uid: int) -> int:
    """Number of tasks (threads) the user runs now, as the kernel's process limit counts them."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            total += int(fields.get("Threads", "1"))
    return total
