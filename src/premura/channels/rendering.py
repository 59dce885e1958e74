"""Mail text from templates the shop can override (a `TEMPLATE_OVERRIDES_DIR`), in the customer's
language: the acknowledgement's and every notice sent through `channels.services.send`."""

import re

from django.template import Context
from django.template.loader import get_template
from django.utils import translation


def _render(template_name: str, context: dict) -> str:
    # Plain text: no HTML escaping of names like "O'Brien" (the backend wrapper always escapes).
    return get_template(template_name).template.render(Context(context, autoescape=False))


def render_mail(subject_template: str, body_template: str, context: dict, language: str) -> tuple[str, str]:
    """(subject, body) in `language`. Blank lines the template tags leave are squeezed to one and
    trailing spaces dropped, so a shop's template need not be careful with whitespace."""
    with translation.override(language):
        subject = " ".join(_render(subject_template, context).split())
        body = _render(body_template, context)
    body = "\n".join(line.rstrip() for line in body.strip().splitlines())
    return subject, re.sub(r"\n{3,}", "\n\n", body) + "\n"
