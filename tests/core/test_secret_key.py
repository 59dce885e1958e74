"""The secret key: a strong one from the environment or a file, else this installation's own random
key; a weak one stops the start, with a message saying how to make a good one."""

import os
import stat
import subprocess
import sys

import pytest

from premura.secret_key import (
    HOW_TO_MAKE_ONE,
    WeakSecretKey,
    check_secret_key,
    configured_secret_key,
    installation_secret_key,
)

STRONG = "k4J9-xQ2_vR7mZ1pL8sT3wB6nY0cF5hD-uE2gA9iO4jK7lM1qW"  # 50 characters


def test_a_key_is_made_once_and_kept_private(tmp_path):
    key = installation_secret_key(tmp_path)
    assert len(key) >= 50
    assert installation_secret_key(tmp_path) == key
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no draft left behind


def test_each_installation_has_its_own_key(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert installation_secret_key(tmp_path / "a") != installation_secret_key(tmp_path / "b")


def test_a_damaged_key_file_is_an_error_not_a_weak_key(tmp_path):
    (tmp_path / "secret_key").write_text("short\n")
    with pytest.raises(WeakSecretKey, match="no usable secret key"):
        installation_secret_key(tmp_path)


def test_the_running_site_does_not_use_a_key_from_the_code(settings):
    assert "premura" not in settings.SECRET_KEY
    assert len(settings.SECRET_KEY) >= 50


@pytest.mark.parametrize(
    "key",
    ["changeme", "x" * 49, "ab" * 40, "abcd" * 20, "django-insecure-" + STRONG],
    ids=["a_word", "49_characters", "two_distinct", "four_distinct", "django_placeholder"],
)
def test_weak_keys_are_refused_with_how_to_make_one(key):
    with pytest.raises(WeakSecretKey) as refused:
        check_secret_key(key, source="SECRET_KEY")
    message = str(refused.value)
    assert message.startswith("SECRET_KEY holds a weak secret key")
    assert HOW_TO_MAKE_ONE in message
    assert key not in message  # the key itself never reaches a log


def test_a_strong_key_from_the_environment_is_used(tmp_path):
    assert configured_secret_key({"SECRET_KEY": STRONG}, tmp_path) == STRONG
    assert list(tmp_path.iterdir()) == []  # no key of the machine's own was made


def test_a_weak_key_from_the_environment_is_refused(tmp_path):
    with pytest.raises(WeakSecretKey, match="^SECRET_KEY holds a weak secret key"):
        configured_secret_key({"SECRET_KEY": "changeme"}, tmp_path)


@pytest.mark.parametrize("content", ["", "\n", "changeme\n"], ids=["empty", "blank_line", "a_word"])
def test_an_empty_or_short_key_file_is_refused_not_replaced(tmp_path, content):
    key_file = tmp_path / "key"
    key_file.write_text(content)
    with pytest.raises(WeakSecretKey, match=f"^SECRET_KEY_FILE \\({key_file}\\) holds a weak secret key"):
        configured_secret_key({"SECRET_KEY_FILE": str(key_file), "SECRET_KEY": STRONG}, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["key"]


def test_a_key_file_wins_over_the_environment(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(STRONG[::-1] + "\n")
    assert (
        configured_secret_key({"SECRET_KEY_FILE": str(key_file), "SECRET_KEY": STRONG}, tmp_path)
        == (STRONG[::-1])
    )


def test_an_empty_secret_key_variable_counts_as_unset(tmp_path):
    key = configured_secret_key({"SECRET_KEY": ""}, tmp_path)
    assert key == (tmp_path / "secret_key").read_text().strip()


def test_premura_refuses_to_start_with_a_weak_key(tmp_path):
    """With SECRET_KEY=changeme a portal link could be forged offline: the site must not start."""
    env = {**os.environ, "SECRET_KEY": "changeme", "PREMURA_VAR_DIR": str(tmp_path / "var")}
    env.pop("SECRET_KEY_FILE", None)
    started = subprocess.run(
        [sys.executable, "-m", "premura", "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert started.returncode != 0
    assert "SECRET_KEY holds a weak secret key" in started.stderr
    assert HOW_TO_MAKE_ONE in started.stderr
