"""The Italian catalogue is complete: `makemessages` over the code finds no string without Italian."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI

SOURCE = Path(__file__).resolve().parents[2] / "src" / "premura"
CATALOGUE = Path("locale") / "it" / "LC_MESSAGES" / "django.po"


def _entries(po: str) -> list[tuple[str, bool, bool]]:
    """(msgid, translated, fuzzy) of each entry; a plural entry is translated when every form is."""
    entries = []
    for block in po.strip().split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            keyword = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if keyword:
                key = keyword.group(1)
                fields[key] = keyword.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if "msgid" not in fields:
            continue
        translations = [value for name, value in fields.items() if name.startswith("msgstr")]
        entries.append((fields["msgid"], all(translations), "#, fuzzy" in block))
    return entries


@pytest.fixture
def fresh_catalogue(tmp_path) -> str:
    if not shutil.which("xgettext"):
        if IN_CI:
            pytest.fail("GNU gettext is required in CI (apt-get install gettext)")
        pytest.skip("no GNU gettext (apt-get install gettext)")
    tree = tmp_path / "premura"
    shutil.copytree(SOURCE, tree, ignore=shutil.ignore_patterns("__pycache__", "static", "migrations"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "it", "--no-obsolete", "--no-location"],
        cwd=tree,
        check=True,
        capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "premura.settings", "PATH": "/usr/bin:/bin"},
    )
    return (tree / CATALOGUE).read_text()


def test_every_ui_string_has_its_italian_translation(fresh_catalogue):
    entries = _entries(fresh_catalogue)
    assert len(entries) > 300
    header, *messages = entries
    missing = [msgid for msgid, translated, fuzzy in messages if not translated or fuzzy]
    assert missing == []


def test_the_committed_catalogue_is_the_fresh_one(fresh_catalogue):
    """`make messages` was run after the last UI change (its .po is what makemessages makes)."""
    committed = (SOURCE / CATALOGUE).read_text()
    assert _entries(committed) == _entries(fresh_catalogue)
