import importlib

from django.urls import clear_url_caches

import premura.urls


def test_uploaded_files_are_not_served_without_the_access_check_even_in_debug(client, settings, tmp_path):
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "attachments" / "1").mkdir(parents=True)
    (tmp_path / "attachments" / "1" / "scontrino.pdf").write_bytes(b"%PDF-1.4 private")
    importlib.reload(premura.urls)
    clear_url_caches()
    try:
        response = client.get("/media/attachments/1/scontrino.pdf")
    finally:
        settings.DEBUG = False
        importlib.reload(premura.urls)
        clear_url_caches()
    assert response.status_code == 404
    assert b"private" not in response.content
