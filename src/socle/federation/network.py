"""Flower's processes on this machine: the hub's SuperLink, the sites' SuperNodes, a run.

Everything Flower would fetch from the internet is switched off: telemetry and
the update check by environment, the installation of an app's dependencies at
run time by flag (the app runs with the packages already installed). The
SuperLink serves TLS with the network's certificate and accepts only
SuperNodes whose public key the hub registered.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from socle.federation.errors import NetworkError, NoHubError
from socle.federation.pki import HubCertificates, NodeKeys

OFFLINE_ENV = {
    "FLWR_TELEMETRY_ENABLED": "0",
    "FLWR_DISABLE_UPDATE_CHECK": "1",
    "UV_OFFLINE": "1",
    "PIP_NO_INDEX": "1",
}
# Flower's own lever on its latency: how often the SuperExec looks for a message to run (1 s by
# default). The SuperNode's 3 s poll of the SuperLink has none: see socle.federation.supernode.
FAST_ENV = {"FLWR_SUPEREXEC_TASK_POLL_INTERVAL": "0.2"}
APP_DIR = Path(__file__).parent / "flower"
# The SuperLink keeps its state (runs, messages, registered nodes) in memory: with its SQLite file
# every request (a poll, a message, an object) went through SQLAlchemy and SQLite, ~15 ms of CPU,
# and a round cost ~2 s of the SuperLink's time. Nothing in it outlives a run but the sites' keys,
# which the hub keeps itself (Hub.sites_folder) and registers again at every start.
STATE = ":flwr-in-memory:"
HUB_FILE = "hub.json"  # in the hub node's ``federation`` folder: where its SuperLink runs
CONNECTION = "socle"


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (the OS picks it: safe with parallel test processes)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def flower_env(flwr_home: Path) -> dict[str, str]:
    """The environment of every Flower process: offline, the venv's tools on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, **FAST_ENV, **OFFLINE_ENV, "FLWR_HOME": str(flwr_home)}
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


def _tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        raise NetworkError(f"Flower's '{name}' is not installed; run 'make install'")
    return found


def _wait_port(host: str, port: int, process: subprocess.Popen[bytes], log: Path, what: str,
               timeout: float = 60.0) -> None:  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise NetworkError(f"{what} stopped at start (exit {process.returncode}); see {log}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise NetworkError(f"{what} did not listen on {host}:{port} within {timeout:.0f} s; see {log}")


@dataclass
class Process:
    """One Flower process, its log file, and how to stop it."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def terminate(self) -> None:
        """Ask the process group to stop (:meth:`stop` then waits: several stop side by side)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)

    def stop(self) -> None:
        """Stop the process and everything it started (its own process group)."""
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.popen.wait(wait)
                time.sleep(0.2)  # let the group's other members go too
            except subprocess.TimeoutExpired:
                continue
            if sig == signal.SIGTERM:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)  # stragglers of the group
            return

    @property
    def running(self) -> bool:
        return self.popen.poll() is None


def _start(name: str, argv: list[str], env: dict[str, str], folder: Path) -> Process:
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"{name}.log"
    with log.open("ab") as out:
        popen = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=folder,
            start_new_session=True,
        )  # fmt: skip
    return Process(name, popen, log)


@dataclass
class Hub:
    """The hub's SuperLink (Fleet, Control and Runtime APIs on one TLS port)."""

    folder: Path
    certificates: HubCertificates
    host: str = "127.0.0.1"
    port: int = 0
    process: Process | None = None
    registered: dict[str, int] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def flwr_home(self) -> Path:
        return self.folder / "flwr-home"

    def start(self) -> Hub:
        self.port = self.port or free_port(self.host)
        c = self.certificates
        argv = [
            _tool("flower-superlink"), "--host", self.host, "--port", str(self.port),
            "--ssl-ca-certfile", str(c.ca), "--ssl-certfile", str(c.certificate),
            "--ssl-keyfile", str(c.key), "--enable-supernode-auth",
            "--disable-runtime-dependency-installation",
            "--database", STATE,
        ]  # fmt: skip
        self._write_connection()
        self.process = _start("superlink", argv, flower_env(self.flwr_home), self.folder)
        _wait_port(self.host, self.port, self.process.popen, self.process.log, "the SuperLink")
        kept = sorted(self.sites_folder.glob("*.pub"))  # the state is in memory: register again
        if kept:
            with ThreadPoolExecutor(len(kept)) as pool:
                list(pool.map(lambda key: self._register(key.stem, key), kept))
        return self

    def save(self, node_home: Path) -> Path:
        """Record the running hub in its Socle node's home (``federation/hub.json``), so the
        node's commands and its API find it: its folder, address and certificates."""
        path = node_home / "federation" / HUB_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        c = self.certificates
        path.write_text(json.dumps({
            "folder": str(self.folder), "host": self.host, "port": self.port, "ca": str(c.ca),
            "certificate": str(c.certificate), "key": str(c.key),
        }))  # fmt: skip
        return path

    @classmethod
    def saved(cls, node_home: Path) -> Hub:
        """The hub :meth:`save` recorded in ``node_home``."""
        path = node_home / "federation" / HUB_FILE
        if not path.exists():
            raise NoHubError("no hub here: run 'socle federation hub' on this node first")
        saved = json.loads(path.read_text())
        certs = HubCertificates(*(Path(saved[k]) for k in ("ca", "certificate", "key")))
        folder = Path(saved.get("folder") or path.parent / "superlink")
        return cls(folder, certs, saved["host"], saved["port"])

    def _write_connection(self) -> None:
        """``$FLWR_HOME/config.toml``: how the hub's own ``flwr`` commands reach its SuperLink."""
        self.flwr_home.mkdir(parents=True, exist_ok=True)
        (self.flwr_home / "config.toml").write_text(
            f'[superlink]\ndefault = "{CONNECTION}"\n\n[superlink.{CONNECTION}]\n'
            f'address = "{self.address}"\nroot-certificates = "{self.certificates.ca}"\n'
        )

    def flwr(self, *args: str, timeout: float = 600.0) -> subprocess.CompletedProcess[str]:
        """Run a ``flwr`` command against this hub's SuperLink."""
        result = subprocess.run(
            [_tool("flwr"), *args], env=flower_env(self.flwr_home), capture_output=True,
            text=True, timeout=timeout, cwd=self.folder,
        )  # fmt: skip
        if result.returncode != 0:
            tail = (result.stdout + result.stderr).strip().splitlines()[-5:]
            raise NetworkError(f"'flwr {args[0]} {args[1] if len(args) > 1 else ''}' failed: "
                               + " | ".join(tail))  # fmt: skip
        return result

    @property
    def sites_folder(self) -> Path:
        """The hub's register of the sites' public keys (the SuperLink's state is in memory)."""
        return self.folder / "sites"

    def register(self, site: str, keys: NodeKeys) -> None:
        """Register a site's public key: only registered SuperNodes may join. The key is kept
        in :attr:`sites_folder`, and registered again whenever the SuperLink starts."""
        kept = self._kept_key(site)
        self.sites_folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(keys.public, kept)
        self._register(site, kept)

    def unregister(self, site: str) -> bool:
        """Take a site's key out of the register: refused from the SuperLink's next start (the
        running SuperLink forgets it with ``flwr supernode unregister NODE_ID``)."""
        kept = self._kept_key(site)
        existed = kept.exists()
        kept.unlink(missing_ok=True)
        self.registered.pop(site, None)
        return existed

    def _kept_key(self, site: str) -> Path:
        """Where the register keeps ``site``'s public key (a name, never a path)."""
        if not site.replace("-", "").replace("_", "").isalnum():
            raise NetworkError(f"a site's name is letters, digits, '-' and '_', not '{site[:40]}'")
        return self.sites_folder / f"{site}.pub"

    def _register(self, site: str, public: Path) -> None:
        self.flwr("supernode", "register", str(public), CONNECTION, "--name", site)
        self.registered[site] = 1

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


@dataclass
class SiteNode:
    """A site's SuperNode: connects out to the hub, runs the site's ClientApp on its Socle node."""

    name: str
    socle_home: Path
    folder: Path
    keys: NodeKeys
    hub_address: str
    ca: Path
    port: int = 0
    process: Process | None = None
    env: dict[str, str] = field(default_factory=dict)  # e.g. the site node's SOCLE_* settings

    def start(self) -> SiteNode:
        return self.launch().wait()

    def wait(self) -> SiteNode:
        """Wait until the SuperNode listens (its Runtime API is up)."""
        assert self.process is not None
        _wait_port("127.0.0.1", self.port, self.process.popen, self.process.log,
                   f"the SuperNode of {self.name}")  # fmt: skip
        return self

    def launch(self) -> SiteNode:
        """Start the SuperNode without waiting for it (several sites start side by side)."""
        self.port = self.port or free_port()
        self.folder.mkdir(parents=True, exist_ok=True)
        node_config = f'site="{self.name}" socle-home="{self.socle_home}"'
        argv = [
            sys.executable, "-m", "socle.federation.supernode", "--superlink", self.hub_address,
            "--root-certificates", str(self.ca), "--auth-supernode-private-key", str(self.keys.private),
            "--port", str(self.port), "--isolation", "process", "--node-config", node_config,
        ]  # fmt: skip
        env = {**flower_env(self.folder / "flwr-home"), **self.env}
        self.process = _start(f"supernode-{self.name}", argv, env, self.folder)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (from ``/proc``; Linux)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _hex_ip(text: str) -> str:
    raw = bytes.fromhex(text)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return str(ipaddress.IPv6Address(words))


def peer_addresses(pids: list[int]) -> set[str]:
    """The remote addresses of every TCP socket the processes hold (listening ones excluded)."""
    inodes: set[str] = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    peers: set[str] = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            cols = line.split()
            if cols[9] in inodes and cols[3] != "0A":  # 0A: LISTEN
                peers.add(_hex_ip(cols[2].split(":")[0]))
    return peers


def beyond_loopback(addresses: set[str]) -> set[str]:
    """The addresses that are not this machine's loopback (IPv4-mapped IPv6 included)."""
    outside = set()
    for text in addresses:
        address = ipaddress.ip_address(text)
        mapped = getattr(address, "ipv4_mapped", None)
        if not (address.is_loopback or (mapped is not None and mapped.is_loopback)):
            outside.add(text)
    return outside
