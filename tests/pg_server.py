"""Run a command against a throwaway PostgreSQL server on 127.0.0.1 (temp folder, removed after).

    python -m tests.pg_server -- python -m pytest

Uses the server binaries of the machine (Debian's /usr/lib/postgresql/<v>/bin, or pg_config's);
installs Debian's `postgresql` package when they are absent and we are root. initdb refuses to
run as root, so as root the server runs as the unprivileged user `nobody`. The command gets
TEST_DATABASE_URL (the server's `postgres` database) and DATABASE_URL is left alone.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

RUN_AS = "nobody"
START_TIMEOUT_S = 60.0
# Tests keep engines (and their pools) alive for a whole session: leave room for them.
MAX_CONNECTIONS = 400


def _bin_dir() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    if candidates:
        return candidates[0].parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        path = Path(out.stdout.strip())
        if (path / "initdb").exists():
            return path
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def find_binaries() -> Path:
    """The folder holding initdb and postgres; installs them (apt) when missing and root."""
    found = _bin_dir()
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        log.warning("PostgreSQL server binaries not found: installing Debian's postgresql")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=False, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"],
            check=True, env=env,
        )
        found = _bin_dir()
    if found is None:
        raise SystemExit("PostgreSQL server binaries (initdb, postgres) not found")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    if shutil.which("runuser"):
        return ["runuser", "-u", RUN_AS, "--", *cmd]
    return ["setpriv", f"--reuid={RUN_AS}", f"--regid={RUN_AS}", "--clear-groups", *cmd]


def _chown_tree(path: Path) -> None:
    if os.geteuid() != 0:
        return
    import pwd

    entry = pwd.getpwnam(RUN_AS)
    for root, dirs, files in os.walk(path):
        for name in (root, *(os.path.join(root, n) for n in dirs + files)):
            os.chown(name, entry.pw_uid, entry.pw_gid)


class Server:
    """A PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only."""

    def __init__(self) -> None:
        self.bin = find_binaries()
        self.folder = Path(tempfile.mkdtemp(prefix="pg-test-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the server's `postgres` database (trust auth, user postgres)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        """initdb, then start the server and wait until it accepts connections."""
        _chown_tree(self.folder)
        os.chmod(self.folder, 0o700)
        subprocess.run(
            _as_user([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                      "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]),
            check=True, stdout=subprocess.DEVNULL,
        )
        log_file = (self.folder / "server.log").open("wb")
        # No durability needed: the cluster is thrown away after the run.
        self.process = subprocess.Popen(
            _as_user([
                str(self.bin / "postgres"), "-D", str(self.data), "-h", "127.0.0.1",
                "-p", str(self.port), "-k", str(self.folder), "-F",
                "-c", "full_page_writes=off", "-c", "synchronous_commit=off",
                "-c", f"max_connections={MAX_CONNECTIONS}",
            ]),
            stdout=log_file, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"postgres exited:\n{self.log_tail()}")
            ready = subprocess.run(
                [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise SystemExit(f"postgres did not start in {START_TIMEOUT_S:.0f}s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        """The last lines of the server's log."""
        path = self.folder / "server.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-20:]) if path.exists() else ""

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Start a server, run the command with TEST_DATABASE_URL set, stop; exit with its status."""
    p = argparse.ArgumentParser(prog="python -m tests.pg_server", description=__doc__.splitlines()[0])
    p.add_argument("command", nargs=argparse.REMAINDER, help="command to run (after --)")
    args = p.parse_args(argv)
    command = [c for c in args.command if c != "--"] or [sys.executable, "-m", "pytest"]
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    server = Server()
    try:
        server.start()
        log.info("PostgreSQL %s on 127.0.0.1:%s in %s", server.bin.parent.name, server.port, server.folder)
        # Index snapshots of server databases go to data/index/ by default: keep them in here.
        env = {**os.environ, "TEST_DATABASE_URL": server.url, "INDEX_DIR": str(server.folder / "index")}
        return subprocess.run(command, env=env, check=False).returncode
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
