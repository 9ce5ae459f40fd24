"""Proof files (REF-4): uploading one, reading it back, and checking the ids an
application names.

Who may upload: a seller's owner, admin or staff (the file belongs to their
seller) and the platform's admins and reviewers (the file belongs to no seller).
Who may read: the uploading seller's users and the platform's admins, reviewers
and auditors; another seller's users are told it does not exist (404).

A file is checked in full (domain/attachments.check_upload) before anything is
written; then its record is added and its bytes stored under their SHA-256, in
the transaction that commits the record, so a refused upload leaves neither.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from depositdesk.domain.attachments import ATTACHMENT_ID, Attachment, Limits, check_upload
from depositdesk.domain.errors import NotFound, ValidationProblem
from depositdesk.domain.ids import new_id
from depositdesk.services.access import Principal, Role, require
from depositdesk.services.ports.gateways import FileStore
from depositdesk.services.ports.uow import UnitOfWork

UPLOADERS = (Role.OWNER, Role.ADMIN, Role.STAFF, Role.PLATFORM_ADMIN, Role.REVIEWER)
READERS = (Role.OWNER, Role.ADMIN, Role.STAFF, Role.PLATFORM_ADMIN, Role.REVIEWER, Role.AUDITOR)
_NAMED_AT_MOST = 10  # unknown ids named in one problem


@dataclass(frozen=True, slots=True)
class AttachmentContent:
    attachment: Attachment
    data: bytes


def require_uploader(who: Principal) -> None:
    """Refuses (403) a caller who may not upload: the API asks before reading a body."""
    require(who, *UPLOADERS)


def upload(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    *,
    data: bytes,
    filename: str | None,
    limits: Limits,
    files: FileStore,
) -> Attachment:
    """Check the file (every problem at once, nothing stored if any), record it and
    store its bytes under their SHA-256."""
    require_uploader(who)
    name, found = check_upload(data, filename, limits)
    attachment = Attachment(
        id=new_id("att"),
        seller_id=who.seller_id if who.is_seller else None,
        uploaded_by=who.actor,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        media_type=found.media_type,
        filename=name,
        width=found.width,
        height=found.height,
        pages=found.pages,
        created_at=now,
    )
    uow.attachments.add(attachment)
    # Last, so that a failing insert stores no bytes; a failing store rolls the row back.
    files.put(data)
    return attachment


def get_attachment(
    uow: UnitOfWork, who: Principal, now: datetime, attachment_id: str
) -> Attachment:
    require(who, *READERS)
    return _visible(uow, who, attachment_id)


def get_content(
    uow: UnitOfWork, who: Principal, now: datetime, attachment_id: str, *, files: FileStore
) -> AttachmentContent:
    """The record and the bytes, as they were uploaded."""
    require(who, *READERS)
    attachment = _visible(uow, who, attachment_id)
    return AttachmentContent(attachment, files.read(attachment.sha256))


def owned_by(uow: UnitOfWork, seller_id: str, attachment_ids: Sequence[str]) -> list[Attachment]:
    """The attachments `attachment_ids` name (in that order, each once), all uploaded
    by `seller_id`'s users; else ValidationProblem(`attachment_ids`,
    `unknown_attachment`) naming the ids that are unknown or another's (which of
    the two is not said)."""
    wanted = list(dict.fromkeys(attachment_ids))
    found = uow.attachments.many(i for i in wanted if ATTACHMENT_ID.fullmatch(i))
    unknown = [i for i in wanted if i not in found or found[i].seller_id != seller_id]
    if unknown:
        named = ", ".join(repr(i[:40]) for i in unknown[:_NAMED_AT_MOST])
        more = f" and {len(unknown) - _NAMED_AT_MOST} more" if len(unknown) > _NAMED_AT_MOST else ""
        raise ValidationProblem(
            "attachment_ids",
            "unknown_attachment",
            f"no attachment uploaded by this seller has the id {named}{more}; "
            "upload the file with POST /v1/attachments and use the id it answers",
        )
    return [found[i] for i in wanted]


def _visible(uow: UnitOfWork, who: Principal, attachment_id: str) -> Attachment:
    attachment = (
        uow.attachments.get(attachment_id) if ATTACHMENT_ID.fullmatch(attachment_id) else None
    )
    if attachment is None or (who.is_seller and attachment.seller_id != who.seller_id):
        raise NotFound(f"attachment {attachment_id} not found")
    return attachment
