"""Notice texts from templates: `templates/notices/<kind>/{subject,body}.<lang>.txt`.

Every notice exists in each `Language` (English and Simplified Chinese); a test
renders every kind in every language, so a missing template fails the suite,
not a seller's notice.
"""

from __future__ import annotations

from datetime import datetime

from jinja2 import Environment, PackageLoader, StrictUndefined

from depositdesk.domain.clock import utc
from depositdesk.domain.money import Money
from depositdesk.domain.notices import NoticeKind
from depositdesk.domain.shop import Language

_env = Environment(
    loader=PackageLoader("depositdesk", "templates/notices"),
    undefined=StrictUndefined,  # a misspelt field fails loudly
    autoescape=False,  # plain text; HTML mail will use its own autoescaped templates
    keep_trailing_newline=False,
)


def _money(value: Money) -> str:
    return str(value)


def _date(value: datetime) -> str:
    return f"{utc(value):%Y-%m-%d}"


_env.filters["money"] = _money
_env.filters["date"] = _date


def render(kind: NoticeKind, language: Language, **context: object) -> tuple[str, str]:
    """(subject, body) of a notice in the given language."""
    subject = _env.get_template(f"{kind}/subject.{language}.txt").render(context)
    body = _env.get_template(f"{kind}/body.{language}.txt").render(context)
    return " ".join(subject.split()), body.strip()
