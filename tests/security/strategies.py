"""Hypothesis strategies for hostile form input, shared by the security suite."""

from __future__ import annotations

import string

from hypothesis import strategies as st

# The payload every free-text field is tried with: it must come back inert.
XSS = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"

# What people (and attackers) type: control characters, unicode digits and
# superscripts that str.isdigit() accepts but int() refuses, full-width numbers,
# huge numbers, markup, SQL-ish and surrogate-free unicode of every plane.
TRICKY = [
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "1e9",
    "9" * 30,
    "9" * 5000,
    "²",
    "١٢",
    "１２",
    "NaN",
    "inf",
    "\x00",
    "\r\n",
    "\u202e",
    "true",
    "null",
    "yes",
    "no",
    "2026-02-30",
    "2026-13-01",
    "0001-01-01",
    "9999-12-31T23:59",
    "'; DROP TABLE person; --",
    XSS,
    "甲" * 300,
    "a" * 100_000,
]

texts = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=40),
    st.text(alphabet=string.digits + "-+. ²１", max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
)
text_lists = st.lists(texts, max_size=5)
