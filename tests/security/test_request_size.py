"""A request over MAX_REQUEST_BYTES is refused from its Content-Length, before its body is read."""

import io

import pytest


class Unreadable(io.RawIOBase):
    """A request body that fails the test if anyone reads it."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise AssertionError("the body of a too-large request was read")


def huge(client, path: str, **extra):
    return client.generic(
        "POST",
        path,
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(300 * 1024 * 1024),
        **{"wsgi.input": Unreadable()},
        **extra,
    )


def test_a_300_mb_upload_to_the_portal_is_refused_unread(client, anna_portal, settings):
    settings.MAX_REQUEST_BYTES = 25 * 1024 * 1024
    client.cookies["django_language"] = "en"
    response = huge(client, anna_portal + "contact/")
    assert response.status_code == 413
    assert response.content.decode() == "The request is too large: the limit is 25 MB."


def test_the_api_answers_413_in_json(client, settings):
    settings.MAX_REQUEST_BYTES = 25 * 1024 * 1024
    response = huge(client, "/api/v1/cases")
    assert response.status_code == 413
    assert response.json() == {"detail": "The request is too large: the limit is 25 MB."}
    italian = huge(client, "/api/v1/cases", HTTP_ACCEPT_LANGUAGE="it")
    assert italian.json() == {"detail": "La richiesta è troppo grande: il limite è 25 MB."}


@pytest.mark.parametrize("path", ["/console/login/", "/admin/login/"])
def test_logins_are_capped_too(client, path, settings):
    settings.MAX_REQUEST_BYTES = 1024 * 1024
    assert huge(client, path).status_code == 413


def test_a_request_within_the_limit_goes_through(client, anna_portal, settings):
    settings.MAX_REQUEST_BYTES = 2048
    form = {"category": "damaged", "message": "x" * 1000, "website": ""}
    response = client.post(anna_portal + "contact/", form)
    assert response.status_code == 302


def test_a_request_over_a_lowered_limit_is_refused(client, anna_portal, settings):
    settings.MAX_REQUEST_BYTES = 2048
    form = {"category": "damaged", "message": "x" * 3000, "website": ""}
    response = client.post(anna_portal + "contact/", form)
    assert response.status_code == 413
