"""Running the real app in a child process, for browser and command-line tests."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session
from starlette.datastructures import Secret

from app.db import Database, make_engine
from app.settings import PROJECT_ROOT, Settings


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_environment(**settings: str) -> dict[str, str]:
    """The test process's environment with only the given CUNYI_* settings.

    A developer's own settings (another database, secure cookies) must not reach the child.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUNYI_")}
    env.update(settings)
    # Import this checkout's code even if the venv points elsewhere; see output at once.
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class ServerProcess:
    """A child process whose output is collected line by line in the background."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str], cwd: Path) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self.process = subprocess.Popen(
            list(command),
            env=dict(env),
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
        )
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))

    def tail(self, lines: int = 40) -> str:
        """The last lines the process printed, for a failing assertion's message."""
        return "\n".join(self.output.splitlines()[-lines:])

    @property
    def output(self) -> str:
        while not self._queue.empty():
            self.lines.append(self._queue.get_nowait())
        return "\n".join(self.lines)

    def wait_for_line(self, needle: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.output:
            if self.process.poll() is not None:
                raise RuntimeError(f"process exited ({self.process.returncode}):\n{self.output}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no line with {needle!r} within {timeout}s:\n{self.output}")
            time.sleep(0.1)

    def wait_until_serving(self, url: str, timeout: float = 60) -> None:
        """Poll until the server answers anything at all (a redirect counts)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited ({self.process.returncode}):\n{self.output}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"{url} did not answer in {timeout}s:\n{self.output}"
                    ) from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@dataclass(frozen=True)
class RunningApp:
    process: ServerProcess
    port: int
    host: str = "127.0.0.1"  # where this test process reaches it

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


@contextmanager
def running_app(
    database_url: str,
    data_dir: Path,
    secret_key: str,
    ready_path: str,
    timeout: float = 60,
    *,
    listen: str = "127.0.0.1",
    public_host: str | None = None,
) -> Iterator[RunningApp]:
    """The real app under uvicorn on a free port, once it answers `ready_path`; stopped after.

    `listen` is the address it binds (0.0.0.0 for another host to reach it); `public_host`
    sets CUNYI_PUBLIC_URL to http://HOST:PORT, the address printed QR codes carry.
    """
    port = free_port()
    env = child_environment(
        CUNYI_DATABASE_URL=database_url, CUNYI_DATA_DIR=str(data_dir), CUNYI_SECRET_KEY=secret_key
    )
    if public_host is not None:
        env["CUNYI_PUBLIC_URL"] = f"http://{public_host}:{port}"
    command = [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app"]
    command += ["--host", listen, "--port", str(port), "--log-level", "warning"]
    # cwd=data_dir: a developer's .env in the checkout must not leak into the test server.
    reach = "127.0.0.1" if listen == "0.0.0.0" else listen
    app = RunningApp(ServerProcess(command, env, cwd=data_dir), port, reach)
    try:
        app.process.wait_until_serving(app.base_url + ready_path, timeout=timeout)
        yield app
    finally:
        app.process.stop()


def run_recount(
    cwd: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`cunyi recount ARGS` as a separate process. It needs no settings, so only a data
    directory is set (under `cwd`), one the tests check it never makes."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "recount", *args],
        cwd=cwd,
        env=child_environment(CUNYI_DATA_DIR=str(cwd / "data")),
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


@contextmanager
def committed_session(
    database_url: str, secret_key: str = "", data_dir: Path = PROJECT_ROOT, *, write: bool = True
) -> Iterator[tuple[Session, Settings]]:
    """A committed unit of work on a server's own database (not the test's savepoint one),
    with factories bound to it and the settings the server runs with."""
    from tests import factories

    database = Database(make_engine(database_url))
    settings = Settings(database_url=database_url, secret_key=Secret(secret_key), data_dir=data_dir)
    try:
        with database.transaction(write=write) as session:
            factories.bind(session)
            yield session, settings
    finally:
        database.dispose()
