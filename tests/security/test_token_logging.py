"""A villager's link /s/<token>/... is a live credential: no log may hold it.

Neither the app's own logging during a slip flow, nor the serve commands the README and
docs/deploy.md give, nor the nginx example there writes a slip path.
"""

from __future__ import annotations

import logging
import re
import shlex
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import uvicorn

from app import cli
from app.actors import Actor
from slips.links import slip_short_code, slip_token
from slips.services import issue_slips, resolve_slip
from tests.app.helpers import fresh_migrated_database
from tests.ballots import factories_elections as fe
from tests.browser.server import (
    PROJECT_ROOT,
    ServerProcess,
    child_environment,
    committed_session,
    free_port,
)
from tests.conftest import csrf_from

ACTOR = Actor(label="测试")
README = PROJECT_ROOT / "README.md"
DEPLOY = PROJECT_ROOT / "docs" / "deploy.md"
# The test's own HTTP client logs the URLs it requests; that is not the app's log.
CLIENT_LOGGERS = ("httpx", "httpcore")  # also httpx2, the TestClient's
APP_LOGGERS = ("", "cunyi", "uvicorn", "uvicorn.access", "uvicorn.error", "sqlalchemy")


def _app_log(caplog: pytest.LogCaptureFixture) -> str:
    lines = []
    for record in caplog.records:
        if record.name.startswith(CLIENT_LOGGERS):
            continue
        lines.append(record.getMessage())
        if record.exc_text:
            lines.append(record.exc_text)
    return "\n".join(lines)


def test_a_slip_flow_logs_no_token_nor_typed_code(client, db, settings, caplog):
    for name in APP_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    v = fe.voting(db, voters=2)
    (slip,) = issue_slips(db, ACTOR, v.assembly, [v.people[0].id], settings=settings)
    token, code = slip_token(settings, slip), slip_short_code(settings, slip)
    ballot = f"/s/{token}/b/{v.round.id}/{v.entries[0].id}"

    assert client.get(f"/s/{token}").status_code == 200
    assert client.get(ballot).status_code == 200
    csrf = csrf_from(client, "/s")
    cast = client.post(
        f"{ballot}/cast", data={"mark": "李四", "action": "cast", "csrf_token": csrf}
    )
    assert cast.status_code == 200
    wrong = client.post("/s", data={"code": "0000-0000", "csrf_token": csrf})
    assert wrong.status_code == 403
    typed = client.post("/s", data={"code": code, "csrf_token": csrf})
    assert typed.status_code == 303 and typed.headers["location"] == f"/s/{token}"
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert client.get(f"/s/{forged}").status_code == 403
    assert resolve_slip(db, settings, token).slip.id == slip.id

    logged = _app_log(caplog)
    for secret in (token, forged, code, code.replace("-", "")):
        assert secret not in logged


def test_cunyi_serve_runs_uvicorn_without_an_access_log(tmp_path, monkeypatch):
    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    with fresh_migrated_database(tmp_path, "serve") as url:
        monkeypatch.setenv("CUNYI_DATABASE_URL", url)
        monkeypatch.setenv("CUNYI_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("CUNYI_SECRET_KEY", "serve-test-secret")
        assert cli.main(["serve", "--no-demo", "--port", "8123"]) == 0
    assert seen["access_log"] is False


def _documented_uvicorn_commands(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    commands = []
    for line in text.splitlines():
        for inline in re.findall(r"`([^`]*uvicorn --factory[^`]*)`", line):
            commands.append(inline)
        if "uvicorn --factory" in line and "`" not in line:
            commands.append(line.strip())
    return commands


@pytest.mark.parametrize("path", [README, DEPLOY], ids=lambda p: p.name)
def test_every_documented_uvicorn_command_turns_the_access_log_off(path):
    commands = _documented_uvicorn_commands(path)
    assert commands, f"no uvicorn command found in {path.name}"
    for command in commands:
        assert "--no-access-log" in command, command


def test_the_nginx_example_does_not_log_slip_paths():
    text = DEPLOY.read_text(encoding="utf-8")
    (example,) = re.findall(r"```nginx\n(.*?)```", text, flags=re.S)
    (variable, body) = re.findall(r"map \$request_uri \$(\w+) \{(.*?)\}", example, re.S)[0]
    patterns = {
        line.split()[0][1:]: line.split()[1]
        for line in body.replace(";", ";\n").splitlines()
        if line.strip().startswith("~")
    }
    assert "default 1;" in body and set(patterns.values()) == {"0;"}
    not_logged = [re.compile(pattern) for pattern in patterns]
    # Slip links, and a teller's per-voter steps (their time would tell when a voter voted).
    for path in ("/s/abc.def/b/1/2", "/rounds/3/paper/issue/17/help?q=x", "/rounds/3/mobile/17/help",
                 "/rounds/3/mobile/17/hand-over"):  # fmt: skip
        assert any(p.search(path) for p in not_logged), path
    for path in ("/s", "/rounds/3/paper/issue", "/rounds/3/mobile", "/elections/1"):
        assert not any(p.search(path) for p in not_logged), path
    assert re.search(rf"access_log [^;]* if=\${variable};", example)
    assert "access_log" in example.split("location")[0]  # for the whole server


def test_the_readme_multi_worker_command_prints_no_slip_link(tmp_path):
    (documented,) = [c for c in _documented_uvicorn_commands(README) if "--workers" in c]
    args = shlex.split(documented)
    assert args[0].endswith("uvicorn")
    port = free_port()
    with fresh_migrated_database(tmp_path, "accesslog") as url:
        secret = "access-log-secret"
        with committed_session(url, secret, tmp_path) as (session, settings):
            v = fe.voting(session, voters=1)
            (slip,) = issue_slips(session, ACTOR, v.assembly, [v.people[0].id], settings=settings)
            token = slip_token(settings, slip)
        env = child_environment(
            CUNYI_DATABASE_URL=url, CUNYI_DATA_DIR=str(tmp_path), CUNYI_SECRET_KEY=secret
        )
        command = [sys.executable, "-m", "uvicorn", *args[1:]]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        server = ServerProcess(command, env, cwd=tmp_path)
        try:
            base = f"http://127.0.0.1:{port}"
            server.wait_until_serving(base + "/s", timeout=90)
            with urllib.request.urlopen(f"{base}/s/{token}", timeout=30) as response:
                assert response.status == 200
        finally:
            server.stop()
        time.sleep(0.5)  # the last lines reach the reader thread
        output = server.output
    assert "Uvicorn running" in output or "Started" in output
    assert token not in output and "/s/" not in output
