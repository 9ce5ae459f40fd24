"""Step-up on a page (UNL-1): a form that needs a fresh second factor carries the
authenticator's code; the page passes it again (sessions.step_up: a new session with
a fresh second factor) before calling the use case, and when the use case still says
`step_up_required` the form comes back asking for the code, with what was typed kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from depositdesk.domain.errors import StepUpRequired
from depositdesk.entrypoints.web.i18n import gettext as _
from depositdesk.entrypoints.web.pages import Page
from depositdesk.services import sessions
from depositdesk.services.access import Principal
from depositdesk.services.usecase import run

T = TypeVar("T")


class NeedsCode(Exception):
    """The form must come back asking for the code (`error`: why, when a code was wrong)."""

    def __init__(self, error: str | None = None) -> None:
        super().__init__(error or "")
        self.error = error


def _refusal(code: str) -> str:
    texts = {
        "invalid_totp": _("The authenticator code is wrong. Check the time on your phone."),
        "totp_reused": _("This code was used already. Wait for the next one."),
        "totp_not_enrolled": _("Set up an authenticator app first (Security)."),
    }
    return texts.get(code, _("The code was not accepted."))


def pass_code(page: Page, code: str) -> None:
    """Pass the second factor again with `code`: the page's session is the new one."""
    assert page.who is not None
    outcome = run(page.app, sessions.step_up, page.who, page.now, code=code)
    if outcome.session is None:
        raise NeedsCode(_refusal(outcome.refusal.code if outcome.refusal else ""))
    page.cookie = page.cookie.signed_in(outcome.session.token)
    page.who = outcome.session.principal


def with_step_up(page: Page, code: str, call: Callable[[Principal], T]) -> T:
    """`call(who)` with the second factor passed again when a code was typed; a use
    case that still wants it raises NeedsCode (the form asks for the code)."""
    typed = code.replace(" ", "").strip()
    if typed:
        pass_code(page, typed)
    assert page.who is not None
    try:
        return call(page.who)
    except StepUpRequired:
        raise NeedsCode(None) from None
