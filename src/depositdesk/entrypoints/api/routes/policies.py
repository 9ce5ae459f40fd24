from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Path, Request

from depositdesk.entrypoints.api.deps import Call, get_call, open_call
from depositdesk.entrypoints.api.schemas.policies import (
    PolicyImpactOut,
    PolicyPageOut,
    PolicyVersionsOut,
)
from depositdesk.entrypoints.api.schemas.problems import problem_responses
from depositdesk.entrypoints.api.schemas.requests import PACK_PATTERN
from depositdesk.entrypoints.api.strict_json import StrictJsonRoute
from depositdesk.services import policies, policy_impact
from depositdesk.services.access import Role, require
from depositdesk.services.usecase import read

router = APIRouter(
    prefix="/v1/policies",
    tags=["policies"],
    route_class=StrictJsonRoute,
    responses=problem_responses(401, 404, 422, 500),
)

MAX_PACK_BYTES = 256 * 1024  # a policy pack is a few kilobytes of TOML
PACK_MEDIA_TYPES = ("application/toml", "text/plain")
_PACK_BODY = {
    "required": True,
    "description": (
        f"the pack's TOML text, UTF-8, at most {MAX_PACK_BYTES // 1024} KB "
        "(as `depositdesk policy check` reads it)"
    ),
    "content": {media: {"schema": {"type": "string"}} for media in PACK_MEDIA_TYPES},
}


@router.get("", summary="Packs in force (POL-1)")
def list_policies(c: Call = Depends(get_call)) -> PolicyPageOut:
    return PolicyPageOut.of(read(c, policies.packs_in_force, c.who, c.now))


def _admin(c: Call = Depends(open_call)) -> Call:
    """The caller, refused before its body is read unless a platform admin."""
    require(c.who, Role.PLATFORM_ADMIN)
    return c


def _charset(params: str) -> str:
    """The `charset` parameter of a Content-Type (UTF-8 when absent)."""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return "utf-8"


async def _pack_text(request: Request) -> str:
    """The TOML body: a text media type, bounded in size, UTF-8."""
    media, _, params = request.headers.get("content-type", "").partition(";")
    if media.strip().lower() not in PACK_MEDIA_TYPES:
        raise HTTPException(
            415, f"send the pack as {' or '.join(PACK_MEDIA_TYPES)} (its TOML text)"
        )
    charset = _charset(params)
    if charset not in ("utf-8", "utf8", "us-ascii"):
        raise HTTPException(415, f"the pack must be UTF-8 text, not {charset}")
    too_large = HTTPException(413, f"a policy pack is at most {MAX_PACK_BYTES:,} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and (len(declared) > 18 or int(declared) > MAX_PACK_BYTES):
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_PACK_BYTES:
            raise too_large
        chunks.append(chunk)
    return policy_impact.decode_document(b"".join(chunks))


@router.post(
    "/impact",
    summary="Preview a new pack version: top-ups and differences per category (POL-4)",
    description=(
        "Checks the version as loading it would (every problem listed, 422) and answers "
        "what it would do to the shops of its market when it takes effect: who would owe "
        "a top-up (DEP-5) and who would get a difference back (REF-2), with totals per "
        "category and for the market. Nothing is stored."
    ),
    responses=problem_responses(403, 413, 415),
    openapi_extra={"requestBody": _PACK_BODY},
)
def preview_impact(
    c: Call = Depends(_admin), document: str = Depends(_pack_text)
) -> PolicyImpactOut:
    return PolicyImpactOut.of(read(c, policy_impact.impact, c.who, c.now, document=document))


@router.get("/{pack}", summary="One pack in force, with its versions")
def get_policy(
    pack: str = Path(pattern=PACK_PATTERN, description="a policy pack name"),
    c: Call = Depends(get_call),
) -> PolicyVersionsOut:
    return PolicyVersionsOut.of_versions(read(c, policies.pack_in_force, c.who, c.now, pack))
