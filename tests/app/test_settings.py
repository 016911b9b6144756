"""The secret key: from CUNYI_SECRET_KEY, or generated once into data/secret.key."""

from __future__ import annotations

import stat

import pytest

from app.settings import load_settings


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """A clean configuration: only a data directory of our own."""
    for name in ("CUNYI_SECRET_KEY", "CUNYI_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("CUNYI_DATA_DIR", str(data_dir))
    return data_dir


def test_missing_key_is_generated_once_and_kept_private(environment):
    first = load_settings(env_file=None)
    key_file = environment / "secret.key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = str(first.secret_key)
    assert len(key) >= 40
    assert key_file.read_text(encoding="utf-8").strip() == key
    second = load_settings(env_file=None)
    assert str(second.secret_key) == key


def test_two_installations_get_different_keys(environment, tmp_path, monkeypatch):
    first = str(load_settings(env_file=None).secret_key)
    monkeypatch.setenv("CUNYI_DATA_DIR", str(tmp_path / "elsewhere"))
    assert str(load_settings(env_file=None).secret_key) != first


def test_key_from_the_environment_is_used(environment, monkeypatch):
    monkeypatch.setenv("CUNYI_SECRET_KEY", "from-the-environment")
    settings = load_settings(env_file=None)
    assert str(settings.secret_key) == "from-the-environment"
    assert not (environment / "secret.key").exists()


def test_key_from_a_dotenv_file_is_used(environment, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("CUNYI_SECRET_KEY=from-dotenv\n", encoding="utf-8")
    assert str(load_settings(env_file=env_file).secret_key) == "from-dotenv"


def test_the_key_never_shows_in_a_repr(environment, monkeypatch):
    monkeypatch.setenv("CUNYI_SECRET_KEY", "do-not-print-me")
    assert "do-not-print-me" not in repr(load_settings(env_file=None))
