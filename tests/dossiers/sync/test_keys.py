"""Keyed hashes of ID numbers and second factors."""

from __future__ import annotations

import hashlib

import pytest
from pydantic import SecretStr

from core.settings import Settings
from dossiers.keys import id_hash, normalise_id, suffix_hash


def test_id_hash_matches_the_same_number_however_it_is_typed(settings: Settings) -> None:
    assert id_hash(settings, "079 099 123 456") == id_hash(settings, "079099123456")
    assert id_hash(settings, "079.099.123-456") == id_hash(settings, "079099123456")
    assert id_hash(settings, "123456789") != id_hash(settings, "079099123456")


def test_id_hash_is_keyed(settings: Settings) -> None:
    other = settings.model_copy(update={"secret_key": SecretStr("another-secret-" + "x" * 40)})
    plain = hashlib.sha256(b"079099123456").hexdigest()
    hashed = id_hash(settings, "079099123456")
    assert len(hashed) == 64
    assert hashed != plain
    assert id_hash(other, "079099123456") != hashed


@pytest.mark.parametrize("bad", ["", "12345678", "1234567890", "0790991234567", "07909912345A", "٠٧٩٠٩٩١٢٣"])
def test_an_id_number_has_9_or_12_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="9 or 12 digits"):
        normalise_id(bad)


def test_suffix_hash_depends_on_the_code(settings: Settings) -> None:
    first = suffix_hash(settings, "000.00.22.H56-250424-0001", "3456")
    assert first == suffix_hash(settings, "000.00.22.H56-250424-0001", "3456")
    assert first != suffix_hash(settings, "000.00.22.H56-250424-0002", "3456")
    assert first != suffix_hash(settings, "000.00.22.H56-250424-0001", "3457")
    assert first != id_hash(settings, "000000003456")


@pytest.mark.parametrize("bad", ["", "123", "12345", "12a4", "١٢٣٤"])
def test_the_second_factor_is_four_digits(settings: Settings, bad: str) -> None:
    with pytest.raises(ValueError, match="four digits"):
        suffix_hash(settings, "X-250424-0001", bad)
