"""`cunyi serve` out of the box: what `make run` does on a fresh machine.

With no CUNYI_DATABASE_URL it migrates the SQLite database under the data directory,
loads the demo, prints the demo sign-ins and serves the Chinese sign-in page.
"""

from __future__ import annotations

import sqlite3
import sys
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

from alembic.script import ScriptDirectory

from app.migrate import alembic_config
from tests.browser.server import ServerProcess, child_environment, free_port


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def cunyi_command() -> list[str]:
    script = Path(sys.executable).with_name("cunyi")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


def test_serve_sets_up_an_empty_data_dir_and_serves_chinese_signin(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    env = child_environment(CUNYI_DATA_DIR=str(data_dir))
    server = ServerProcess([*cunyi_command(), "serve", "--port", str(port)], env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        server.wait_for_line("Serving on")
        server.wait_until_serving(base + "/signin")
        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(base + "/", timeout=5)
            raise AssertionError("/ should redirect to the sign-in page")
        except urllib.error.HTTPError as redirect:
            assert redirect.code == 303
            assert redirect.headers["location"].startswith("/signin")
        with urllib.request.urlopen(base + "/signin", timeout=5) as response:
            page = response.read().decode("utf-8")
    finally:
        server.stop()

    output = server.output
    assert "Loaded the demo township" in output
    for username in ("admin", "organizer", "auditor"):
        assert f"  {username} " in output, output
    assert '<html lang="zh-Hans">' in page
    assert "工作人员登录" in page

    database = data_dir / "cunyi.sqlite3"
    with closing(sqlite3.connect(database)) as conn:
        (version,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        (people,) = conn.execute("SELECT count(*) FROM person").fetchone()
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert people > 0
    # The session key was generated for this installation, readable by its owner only.
    assert (data_dir / "secret.key").stat().st_mode & 0o077 == 0
