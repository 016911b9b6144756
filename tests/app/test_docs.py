"""Documentation is tested: every setting and every `cunyi` subcommand is in the README."""

from __future__ import annotations

import argparse
import re

from app.cli import build_parser
from app.settings import PROJECT_ROOT


def readme() -> str:
    return (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def setting_names() -> set[str]:
    source = (PROJECT_ROOT / "app" / "settings.py").read_text(encoding="utf-8")
    return set(re.findall(r'"(CUNYI_[A-Z0-9_]+)"', source))


def subcommands() -> set[str]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {name for action in actions for name in action.choices}


def test_every_setting_is_documented() -> None:
    names = setting_names()
    # Guards the regex: an empty set would make the check below pass vacuously.
    assert {"CUNYI_DATABASE_URL", "CUNYI_SECRET_KEY", "CUNYI_DATA_DIR"} <= names
    text = readme()
    missing = sorted(name for name in names if f"`{name}`" not in text)
    assert not missing, f"README.md does not document these settings: {missing}"


def test_every_cli_subcommand_is_documented() -> None:
    commands = subcommands()
    assert {"serve", "migrate", "demo", "create-admin", "verify-audit"} <= commands
    text = readme()
    missing = sorted(c for c in commands if not re.search(rf"`cunyi {re.escape(c)}\b", text))
    assert not missing, f"README.md does not document these commands: {missing}"


def test_readme_starts_with_exactly_the_two_commands() -> None:
    first_section = readme().split("\n## ", 2)[1]
    commands = re.findall(r"^\s*(make \w+)\s*$", first_section, flags=re.MULTILINE)
    assert commands == ["make run", "make test"]
