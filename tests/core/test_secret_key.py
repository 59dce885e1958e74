"""An installation without SECRET_KEY gets its own random key, never a constant from the code."""

import stat

import pytest

from premura.secret_key import installation_secret_key


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
    with pytest.raises(RuntimeError, match="no usable secret key"):
        installation_secret_key(tmp_path)


def test_the_running_site_does_not_use_a_key_from_the_code(settings):
    assert "premura" not in settings.SECRET_KEY
    assert len(settings.SECRET_KEY) >= 50
