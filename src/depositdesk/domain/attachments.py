"""Proof files (REF-4): a PDF, PNG or JPEG, recognised by what its bytes are.

Neither the name's extension nor the media type the client sent is trusted: the
bytes must start with the format's magic and then survive a real parse of its
header (pypdf reads the PDF's header, cross-reference table and page tree; Pillow
opens the image's header and verifies it). The limits are checked on the header
before anything is decoded: a 20,000 x 20,000 PNG is refused on its 13-byte IHDR,
never inflated. Nothing here stores anything; the service stores a file only when
`check_upload` found nothing wrong.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from PIL import Image
from pypdf import PdfReader

from depositdesk.domain.errors import FieldProblem, ValidationProblem

# Attachment ids as domain/ids.new_id("att") makes them, matched in full.
ATTACHMENT_ID = re.compile(r"att_[0-9a-f]{16}")

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # 10 MiB (issue 8; DEPOSITDESK_ATTACHMENT_MAX_BYTES)
DEFAULT_MAX_PIXELS = 40_000_000  # width x height (DEPOSITDESK_ATTACHMENT_MAX_PIXELS)
MAX_PAGES = 500
MAX_FILENAME_LENGTH = 255

FILE = "file"  # the multipart field, and the `field` of problems with its content
FILENAME = "file.filename"

PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


class AttachmentMediaType(StrEnum):
    PDF = "application/pdf"
    PNG = "image/png"
    JPEG = "image/jpeg"


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_pages: int = MAX_PAGES


@dataclass(frozen=True, slots=True)
class Recognised:
    """What the bytes were found to be: images have a size, PDFs pages."""

    media_type: AttachmentMediaType
    width: int | None = None
    height: int | None = None
    pages: int | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A stored proof file. `seller_id` is None when platform staff uploaded it."""

    id: str
    seller_id: str | None
    uploaded_by: str
    sha256: str
    size: int
    media_type: AttachmentMediaType
    filename: str
    width: int | None
    height: int | None
    pages: int | None
    created_at: datetime


class FileTooLarge(ValidationProblem):
    """The file is over the size limit: 413, the rule `too_large` on `file`."""

    code = "payload_too_large"
    status = 413

    def __init__(self, max_bytes: int) -> None:
        super().__init__(FILE, "too_large", f"the file is larger than {max_bytes:,} bytes")


class _Refused(Exception):
    """One thing wrong with the content (internal: becomes a FieldProblem)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.problem = FieldProblem(FILE, rule, message)


def filename_problems(name: str | None) -> list[FieldProblem]:
    """What keeps `name` from being stored as the file's name (empty when nothing):
    1-255 printable characters (no control or format characters such as a
    right-to-left override), no path separator, not `.` or `..`. The extension is
    kept as given and means nothing."""

    def bad(message: str) -> list[FieldProblem]:
        return [FieldProblem(FILENAME, "bad_filename", message)]

    if name is None or name == "":
        return bad("send the file with a filename (1-255 characters)")
    if len(name) > MAX_FILENAME_LENGTH:
        return bad(f"the filename is longer than {MAX_FILENAME_LENGTH} characters")
    if not name.isprintable():
        return bad("the filename has a control or invisible formatting character")
    if "/" in name or "\\" in name:
        return bad("send the file's name only, without a folder (no / or \\)")
    if name.strip() in ("", ".", ".."):
        return bad("the filename must name a file")
    return []


def check_upload(data: bytes, filename: str | None, limits: Limits) -> tuple[str, Recognised]:
    """The name to store and what the file is, or ValidationProblem (422) naming
    every problem of both: `bad_filename` on `file.filename`; `empty`,
    `unsupported_type`, `corrupt`, `encrypted`, `too_many_pixels` or `too_many_pages`
    on `file`.
    Over `limits.max_bytes` it is FileTooLarge (413) alone."""
    if len(data) > limits.max_bytes:
        raise FileTooLarge(limits.max_bytes)
    problems = filename_problems(filename)
    recognised: Recognised | None = None
    try:
        recognised = _recognise(data, limits)
    except _Refused as refused:
        problems.append(refused.problem)
    if problems or recognised is None or filename is None:
        raise ValidationProblem(problems)
    return filename, recognised


def _recognise(data: bytes, limits: Limits) -> Recognised:
    if not data:
        raise _Refused("empty", "the file is empty")
    if data.startswith(PDF_MAGIC):
        return _pdf(data, limits)
    if data.startswith(PNG_MAGIC):
        return _image(data, limits, AttachmentMediaType.PNG, _png_size(data))
    if data.startswith(JPEG_MAGIC):
        return _image(data, limits, AttachmentMediaType.JPEG, _jpeg_size(data))
    raise _Refused(
        "unsupported_type",
        "the file is not a PDF, PNG or JPEG (recognised by its content, not its name)",
    )


def _pdf(data: bytes, limits: Limits) -> Recognised:
    encrypted = False
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        encrypted = reader.is_encrypted
        pages = len(reader.pages)  # an owner password alone does not stop this
    except Exception as exc:  # pypdf raises many kinds on hostile input
        if encrypted:  # a user password, or AES (pypdf needs `cryptography`, not installed)
            raise _Refused(
                "encrypted",
                "the PDF is password-protected or encrypted; upload it without protection",
            ) from None
        raise _Refused("corrupt", f"the PDF cannot be read ({_reason(exc)})") from None
    if pages == 0:
        raise _Refused("empty", "the PDF has no pages")
    if pages > limits.max_pages:
        raise _Refused(
            "too_many_pages", f"the PDF has {pages:,} pages; at most {limits.max_pages:,}"
        )
    return Recognised(AttachmentMediaType.PDF, pages=pages)


def _image(
    data: bytes, limits: Limits, media_type: AttachmentMediaType, size: tuple[int, int] | None
) -> Recognised:
    kind = media_type.name
    if size is None or size[0] < 1 or size[1] < 1:
        raise _Refused("corrupt", f"the {kind} has no readable image header")
    _check_pixels(size, limits)  # before Pillow sees it: nothing is decoded
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            width, height = image.size
            _check_pixels((width, height), limits)
            image.verify()  # PNG: every chunk and its checksum; JPEG: the header
    except _Refused:
        raise
    except Image.DecompressionBombError:
        raise _Refused("too_many_pixels", f"the {kind} has too many pixels") from None
    except Exception as exc:  # Pillow raises many kinds on hostile input
        raise _Refused("corrupt", f"the {kind} cannot be read ({_reason(exc)})") from None
    return Recognised(media_type, width=width, height=height)


def _check_pixels(size: tuple[int, int], limits: Limits) -> None:
    width, height = size
    if width * height > limits.max_pixels:
        raise _Refused(
            "too_many_pixels",
            f"the image is {width:,} x {height:,} pixels; at most {limits.max_pixels:,} in all",
        )


def _png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the IHDR chunk, which must come first."""
    if data[8:16] != b"\x00\x00\x00\x0dIHDR" or len(data) < 24:
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# Start-of-frame markers (SOF0-SOF15 but DHT, JPG and DAC, which share the range).
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RST0-7: no length
_JPEG_MAX_STEPS = 10_000  # segments and fill bytes before the frame header


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the first frame header, walking the segments before it."""
    i, end = 2, len(data)
    for _ in range(_JPEG_MAX_STEPS):
        if i + 2 > end or data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # a fill byte
            i += 1
            continue
        i += 2
        if marker in _JPEG_STANDALONE:
            continue
        if marker in (0xD8, 0xD9, 0xDA) or i + 2 > end:  # SOI, EOI, a scan: no frame
            return None
        length = int.from_bytes(data[i : i + 2], "big")
        if length < 2:
            return None
        if marker in _JPEG_SOF:
            if i + 7 > end:
                return None
            height = int.from_bytes(data[i + 3 : i + 5], "big")
            width = int.from_bytes(data[i + 5 : i + 7], "big")
            return width, height
        i += length
    return None


def _reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
