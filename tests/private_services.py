"""A Redis server and a PostgreSQL cluster of a test's own, on free ports in a
temporary directory, that the test may stop and start again: outage tests
never touch the shared services.

PostgreSQL refuses to run as root, so when the tests run as root its
binaries run as the `postgres` system user (runuser), in a directory that
user owns.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time

import redis

from demo.processes import free_port


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not happen within {timeout:.0f} s")


class PrivateRedis:
    """redis-server on 127.0.0.1:<free port>, its data kept across restarts
    (append-only file), as a production Redis for RQ should be."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="assetlink-redis-")
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> "PrivateRedis":
        if self.process is not None and self.process.poll() is None:
            return self
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError("redis-server is not installed")
        self.process = subprocess.Popen(
            [server, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", self.dir, "--appendonly", "yes",
             "--save", "", "--daemonize", "no", "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(self.answers, 20, f"redis on port {self.port} answering")
        return self

    def answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: Redis flushes its append-only file and exits
            self.process.wait(20)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _postgres_bin() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed")
    return os.path.dirname(found[-1])


class PrivatePostgres:
    """A PostgreSQL cluster (initdb) on 127.0.0.1:<free port>, trust auth,
    database `assetlink`."""

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        self.port = free_port()
        self.root = tempfile.mkdtemp(prefix="assetlink-pg-")
        self.data = os.path.join(self.root, "data")
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/assetlink"
        self.running = False
        self._initdb()

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = [os.path.join(self.bin, args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.root)

    def _initdb(self) -> None:
        result = self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync",
                           "-E", "UTF8", "--locale=C")
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr[-2000:]}")

    def start(self) -> "PrivatePostgres":
        if self.running:
            return self
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
                   "-c full_page_writes=off -c max_connections=60")
        result = self._run("pg_ctl", "-D", self.data, "-o", options, "-l", os.path.join(self.root, "pg.log"),
                           "-w", "-t", "60", "start")
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {result.stderr[-2000:]}")
        self.running = True
        return self

    def create_database(self) -> None:
        result = self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "assetlink")
        if result.returncode != 0:
            raise RuntimeError(f"createdb failed: {result.stderr[-2000:]}")

    def stop(self) -> None:
        # fast: disconnect clients and shut down cleanly, as a failover or a
        # restart for maintenance does.
        if self.running:
            self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop")
            self.running = False

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
