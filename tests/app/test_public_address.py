"""The address phones open: loopback told apart, the setting checked, and what `cunyi
serve` says about the addresses a phone can use."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.datastructures import Secret

from app.cli import phone_addresses
from app.public_address import BadPublicUrl, is_loopback_url, lan_addresses, normalize_public_url
from app.settings import Settings


def _settings(public_url: str = "") -> Settings:
    return Settings(
        database_url="sqlite://", secret_key=Secret("k"), data_dir=Path("."), public_url=public_url
    )


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000/s/x", True),
        ("http://127.8.9.1/s", True),
        ("http://localhost:8000", True),
        ("http://[::1]:8000/", True),
        ("http://192.168.1.10:8000/s", False),
        ("https://cunyi.example.cn/s", False),
    ],
)
def test_loopback_links_are_told_apart(url, loopback):
    assert is_loopback_url(url) is loopback


def test_the_setting_takes_an_address_and_refuses_what_no_phone_opens():
    assert normalize_public_url("") == ""
    assert normalize_public_url(" http://192.168.43.1:8000/ ") == "http://192.168.43.1:8000"
    for bad in ("192.168.43.1:8000", "ftp://x", "http://", "http://x/?a=1"):
        with pytest.raises(BadPublicUrl, match="CUNYI_PUBLIC_URL"):
            normalize_public_url(bad)


def test_serve_says_what_phones_can_open():
    on_loopback = phone_addresses(_settings(), "127.0.0.1", 8000)
    assert "cunyi serve --lan" in on_loopback[0]
    listed = phone_addresses(_settings(), "0.0.0.0", 8123)
    addresses = lan_addresses()
    if addresses:
        assert all(f"  http://{a}:8123" in listed for a in addresses)
    else:  # a machine with loopback only: it says so instead of listing nothing
        assert listed[0].startswith("No network address found")
    assert not any("127.0.0.1" in line for line in listed)
    named = phone_addresses(_settings("http://192.168.43.1:8000"), "0.0.0.0", 8000)
    assert named == [
        "QR links point at CUNYI_PUBLIC_URL=http://192.168.43.1:8000 (二维码链接用这个地址)"
    ]
