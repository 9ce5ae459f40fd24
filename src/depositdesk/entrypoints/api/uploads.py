"""A file upload read from the request stream, stopping at its size limit.

FastAPI's own form parsing spools the whole body to disk before the route runs;
here the stream is fed to python-multipart chunk by chunk and the reading stops
as soon as the body is larger than the limit allows (a chunked upload has no
Content-Length to refuse it by; one that declares too much is refused unread).
The body must be multipart/form-data with exactly one part, the file's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import HTTPException, Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from depositdesk.domain.attachments import FILENAME, FileTooLarge
from depositdesk.entrypoints.api.strict_json import BodyRejected

# Boundaries and part headers around the file: the body may exceed the file's own
# limit by this much.
ENVELOPE_BYTES = 64 * 1024
MAX_PART_HEADERS = 8
MAX_PART_HEADER_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str | None  # as sent (None: the part had no filename)
    data: bytes


@dataclass
class _Reading:
    """What the parser has seen so far."""

    field_name: str
    max_bytes: int
    header_name: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    disposition: bytes = b""
    in_file: bool = False
    file_seen: bool = False
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)
    ended: bool = False
    error: BodyRejected | None = None
    too_large: bool = False

    def on_part_begin(self) -> None:
        self.disposition, self.in_file = b"", False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if bytes(self.header_name).strip().lower() == b"content-disposition":
            self.disposition = bytes(self.header_value)
        self.header_name, self.header_value = bytearray(), bytearray()

    def on_headers_finished(self) -> None:
        if self.error is not None:
            return
        kind, options = parse_options_header(self.disposition)
        name = options.get(b"name")
        if kind != b"form-data" or name is None:
            self.error = BodyRejected(
                "body", "multipart", 'each part needs Content-Disposition: form-data; name="…"'
            )
        elif name.decode("latin-1") != self.field_name:
            self.error = BodyRejected(
                "body",
                "unknown_part",
                f"send only the part `{self.field_name}`; remove `{name.decode('latin-1')[:60]}`",
            )
        elif self.file_seen:
            self.error = BodyRejected(
                self.field_name, "single", f"send one part `{self.field_name}`, not several"
            )
        else:
            self.in_file = self.file_seen = True
            raw = options.get(b"filename")
            try:
                self.filename = None if raw is None else raw.decode("utf-8")
            except UnicodeDecodeError:
                self.error = BodyRejected(FILENAME, "bad_filename", "the filename is not UTF-8")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_file and not self.too_large:
            self.data += data[start:end]
            self.too_large = len(self.data) > self.max_bytes

    def on_part_end(self) -> None:
        self.in_file = False

    def on_end(self) -> None:
        self.ended = True


async def read_file_part(request: Request, field_name: str, max_bytes: int) -> Upload:
    """The one part `field_name` of a multipart/form-data body, its file at most
    `max_bytes` long: 415 for another media type, FileTooLarge (413) as soon as
    the body says or shows it is too long, 422 (BodyRejected) for a malformed body
    or another part."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data":
        raise HTTPException(
            415, f"send multipart/form-data with the file in the part `{field_name}`"
        )
    boundary = options.get(b"boundary", b"")
    if not boundary or len(boundary) > 70:
        raise BodyRejected(
            "body", "multipart", "the Content-Type needs a boundary of 1-70 characters"
        )
    limit = max_bytes + ENVELOPE_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
        raise FileTooLarge(max_bytes)

    reading = _Reading(field_name, max_bytes)
    try:
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": reading.on_part_begin,
                "on_header_field": reading.on_header_field,
                "on_header_value": reading.on_header_value,
                "on_header_end": reading.on_header_end,
                "on_headers_finished": reading.on_headers_finished,
                "on_part_data": reading.on_part_data,
                "on_part_end": reading.on_part_end,
                "on_end": reading.on_end,
            },
            max_header_count=MAX_PART_HEADERS,
            max_header_size=MAX_PART_HEADER_BYTES,
        )
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise FileTooLarge(max_bytes)
            parser.write(chunk)
            if reading.error is not None:
                raise reading.error
            if reading.too_large:
                raise FileTooLarge(max_bytes)
        parser.finalize()
    except FormParserError as exc:
        raise BodyRejected(
            "body", "multipart", f"the multipart body is malformed ({exc})"[:300]
        ) from None
    if not reading.ended:
        raise BodyRejected(
            "body", "multipart", "the multipart body ends before its closing boundary"
        )
    if not reading.file_seen:
        raise BodyRejected(field_name, "required", f"send the file in the part `{field_name}`")
    return Upload(reading.filename, bytes(reading.data))
