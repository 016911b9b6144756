"""All configuration, read in one place.

Values come from the environment or a `.env` file in the working directory, through
Starlette's `Config`. Nothing else in the code base reads `os.environ` for settings.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from starlette.config import Config
from starlette.datastructures import Secret

from app.public_address import normalize_public_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
TRANSLATIONS_DIR = PROJECT_ROOT / "translations"
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"

SUPPORTED_LOCALES = ("zh_Hans", "en")
DEFAULT_LOCALE = "zh_Hans"


def normalize_database_url(url: str) -> str:
    """Pick the drivers we ship: psycopg 3 for PostgreSQL, the stdlib for SQLite."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def load_or_create_secret_key(data_dir: Path) -> str:
    """Read `data/secret.key`, creating it with a fresh random key the first time.

    A literal default key in code would let anyone forge session cookies and QR links.
    The file is created exclusively with mode 0600, so it is never readable by others
    and two workers starting together agree on one key.
    """
    path = data_dir / "secret.key"
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _attempt in range(50):
            existing = path.read_text(encoding="utf-8").strip()
            if existing:
                return existing
            time.sleep(0.02)  # another worker is writing it right now
        raise RuntimeError(f"{path} exists but is empty; delete it to generate a new key") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


@dataclass(frozen=True)
class Settings:
    """Every setting the platform has; see README "Configuration"."""

    database_url: str
    secret_key: Secret
    data_dir: Path
    debug: bool = False
    secure_cookies: bool = False
    session_max_age: int = 12 * 3600
    signin_max_failures_per_account: int = 5
    signin_max_failures_per_address: int = 20
    signin_window_seconds: int = 15 * 60
    default_locale: str = DEFAULT_LOCALE
    # The address villagers' phones open ("" = the one the organizer's browser used):
    # every link a QR code carries is built on it (app.public_address).
    public_url: str = ""
    # PostgreSQL roles (docs/deploy.md "PostgreSQL roles"): `cunyi migrate` connects with
    # migrate_database_url, the tables' owner ("" = database_url, one role for both), and
    # grants app_database_role what the app needs ("" = the user in database_url).
    migrate_database_url: str = field(default="", repr=False)
    app_database_role: str = ""
    # Real seconds one drill (演练) day lasts unless its create form says otherwise (app.drill).
    drill_day_seconds: int = 60
    # The program that reads a ballot aloud (ballots.setup.speech): espeak-ng, found on
    # PATH, or its path; "off" for no audio.
    speech_engine: str = "espeak-ng"
    extra: dict[str, str] = field(default_factory=dict)

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def database(self) -> DatabaseSettings:
        return DatabaseSettings(
            database_url=self.database_url,
            migrate_database_url=self.migrate_database_url or self.database_url,
            app_database_role=self.app_database_role,
        )


@dataclass(frozen=True)
class DatabaseSettings:
    """The database settings alone, readable without a secret key (app.migrate)."""

    database_url: str
    migrate_database_url: str = field(repr=False)
    app_database_role: str = ""


def _database_settings(config: Config, data_dir: Path) -> DatabaseSettings:
    default_db = f"sqlite:///{data_dir / 'cunyi.sqlite3'}"
    database_url = normalize_database_url(config("CUNYI_DATABASE_URL", default=default_db))
    migrate_url = config("CUNYI_MIGRATE_DATABASE_URL", default="")
    return DatabaseSettings(
        database_url=database_url,
        migrate_database_url=normalize_database_url(migrate_url) if migrate_url else database_url,
        app_database_role=config("CUNYI_APP_DATABASE_ROLE", default=""),
    )


def _config(env_file: str | Path | None) -> Config:
    return Config(env_file if env_file and Path(env_file).exists() else None)


def _data_dir(config: Config) -> Path:
    return Path(config("CUNYI_DATA_DIR", default=str(PROJECT_ROOT / "data")))


def load_database_settings(env_file: str | Path | None = ".env") -> DatabaseSettings:
    """CUNYI_DATABASE_URL, CUNYI_MIGRATE_DATABASE_URL and CUNYI_APP_DATABASE_ROLE, read as
    load_settings reads them, without touching the data directory or the secret key."""
    config = _config(env_file)
    return _database_settings(config, _data_dir(config))


def _drill_day_seconds(value: int) -> int:
    if not 1 <= value <= 86400:
        raise ValueError("CUNYI_DRILL_DAY_SECONDS must be a whole number from 1 to 86400")
    return value


def load_settings(env_file: str | Path | None = ".env", **overrides: object) -> Settings:
    config = _config(env_file)
    data_dir = _data_dir(config)
    database = _database_settings(config, data_dir)
    raw_key = config("CUNYI_SECRET_KEY", cast=str, default="")
    secret_key = Secret(raw_key or load_or_create_secret_key(data_dir))
    settings = Settings(
        database_url=database.database_url,
        migrate_database_url=database.migrate_database_url,
        app_database_role=database.app_database_role,
        secret_key=secret_key,
        data_dir=data_dir,
        debug=config("CUNYI_DEBUG", cast=bool, default=False),
        secure_cookies=config("CUNYI_SECURE_COOKIES", cast=bool, default=False),
        session_max_age=config("CUNYI_SESSION_MAX_AGE", cast=int, default=12 * 3600),
        signin_max_failures_per_account=config(
            "CUNYI_SIGNIN_MAX_FAILURES_PER_ACCOUNT", cast=int, default=5
        ),
        signin_max_failures_per_address=config(
            "CUNYI_SIGNIN_MAX_FAILURES_PER_ADDRESS", cast=int, default=20
        ),
        signin_window_seconds=config("CUNYI_SIGNIN_WINDOW_SECONDS", cast=int, default=15 * 60),
        default_locale=config("CUNYI_DEFAULT_LOCALE", default=DEFAULT_LOCALE),
        public_url=normalize_public_url(config("CUNYI_PUBLIC_URL", default="")),
        drill_day_seconds=_drill_day_seconds(
            config("CUNYI_DRILL_DAY_SECONDS", cast=int, default=60)
        ),
        speech_engine=config("CUNYI_SPEECH_ENGINE", default="espeak-ng").strip() or "off",
    )
    return settings.with_overrides(**overrides) if overrides else settings
