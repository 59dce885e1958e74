"""Every page names Premura's icon, so no browser asks for a /favicon.ico that does not exist."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

ICON = '<link rel="icon" href="/static/premura/favicon.svg" type="image/svg+xml">'


@pytest.mark.parametrize(
    "path",
    ["/console/login/", "/admin/login/", "/portal/o/not-a-link/", "/no-such-page/"],
    ids=["console", "admin", "portal", "error page"],
)
def test_the_page_links_the_icon(client, db, path):
    assert ICON in client.get(path).content.decode()


def test_the_icon_is_a_static_file():
    path = finders.find("premura/favicon.svg")
    assert path and Path(path).read_text().startswith("<svg")
