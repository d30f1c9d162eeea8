"""Long-running app processes for tests that need recovery to happen for
real: `python -m jobs.worker` and `python -m jobs.scheduler` (the
`app_processes` fixture in conftest.py)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from tests.support import worker_environment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def child_pids(parent: int) -> list[int]:
    """The live child processes of `parent` (an rq worker's work horse)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent and fields[0] != "Z":
                found.append(int(entry))
    return found


class AppProcesses:
    """Long-running processes of the app for one test: `python -m
    jobs.worker` and `python -m jobs.scheduler`, with the environment of the
    test's app, their output in files under the test's tmp_path. Everything
    is stopped (work horses too) when the test ends."""

    def __init__(self, log_dir: str) -> None:
        self.log_dir = log_dir
        self.running: list[tuple[str, subprocess.Popen]] = []

    @staticmethod
    def clear_queues(config: Any) -> None:
        """Drop the jobs earlier tests of the run left in its queues (waiting,
        or scheduled for a retry), so the processes run only this test's work
        and their output is this test's."""
        from jobs import queues
        connection = queues.redis_connection(config)
        for role in queues.ROLES:
            queue = queues.get_queue(config, role, connection)
            queue.empty()
            for registry in (queue.scheduled_job_registry, queue.deferred_job_registry):
                for job_id in registry.get_job_ids():
                    registry.remove(job_id, delete_job=True)

    def start(self, name: str, args: list[str], config: Any, **env: str) -> subprocess.Popen:
        log = open(os.path.join(self.log_dir, f"{name}.log"), "ab")
        proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env={**worker_environment(config), **env},
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.running.append((name, proc))
        return proc

    def worker(self, config: Any, *roles: str, name: str | None = None, **env: str):
        return self.start(name or f"worker-{len(self.running)}", ["-m", "jobs.worker", *roles], config, **env)

    def scheduler(self, config: Any, **env: str):
        return self.start("scheduler", ["-m", "jobs.scheduler"], config, **env)

    def output(self, name: str | None = None) -> str:
        """One process's output, or everyone's."""
        names = [name] if name else sorted({n for n, _ in self.running})
        text = []
        for each in names:
            path = os.path.join(self.log_dir, f"{each}.log")
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    text.append(f.read())
        return "\n".join(text)

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL a process and its work horse, as when its machine goes away."""
        for pid in child_pids(proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(10)

    def stop(self) -> None:
        for _, proc in self.running:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _, proc in self.running:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill(proc)
            for pid in child_pids(proc.pid):  # a horse left behind by a cold stop
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        # What the workers and the scheduler logged is audited for secrets like
        # the tests' own lines (imported here: this module loads before the plugin).
        from tests import log_audit
        log_audit.audit_text(self.output())
