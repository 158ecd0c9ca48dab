"""`/api/v1/uploads`: where a client sends a photo before it asks for a scan of it.

`POST` answers an upload URL: the object store's presigned PUT when it has them (S3),
otherwise the gateway's own `PUT /api/v1/uploads/<user>/<name>` (`/api/v1/` + the key,
after `ECO2_PUBLIC_URL`, or a path when that is unset; never the request's Host header)
with a short-lived upload token in the query (which ends with the caller's session),
which takes exactly the announced size and content type (413, 415 or 400 otherwise) and
stores the bytes through the object store.
The bytes themselves are not checked here: the storage worker decodes the image and fails
the scan if it is not one.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway import uploads
from gateway.auth import Principal
from gateway.bodies.parsing import read_limited, read_model
from gateway.bodies.uploads import UploadBody, UploadOut
from gateway.context import Gateway
from gateway.deps import Uploads
from gateway.errors import ApiError
from gateway.routing import Operation, Param

log = logging.getLogger(__name__)


def store_of(gw: Gateway) -> Uploads:
    if gw.deps.uploads is None:
        raise ApiError(503, "unavailable", "photo uploads are not configured on this server")
    return gw.deps.uploads


async def put_photo(store: Uploads, key: str, data: bytes, content_type: str) -> None:
    """Store an upload; any failure of the store is a 503 the client may retry."""
    try:
        await store.put(key, data, content_type)
    except Exception:
        log.warning("storing upload %s failed", key, exc_info=True)
        raise ApiError(503, "unavailable", "the photo could not be stored; try again") from None


async def revoked_check(gw: Gateway, grant: uploads.UploadGrant) -> None:
    """403 when the session the grant was given under has ended (or the user is gone)."""
    revocations = gw.verifier.revocations
    await revocations.ensure_warm()
    granted = Principal(
        grant.user_id, grant.session_id, grant.access_jti, grant.issued_at, grant.expires_at
    )
    if revocations.is_revoked(granted):
        raise ApiError(403, "forbidden", "this upload URL ended with the session it was made in")


def too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"a photo may be at most {limit} bytes")


async def create_upload(request: Request) -> Response:
    gw = Gateway.of(request)
    limits = gw.limits
    caller = await gw.user(request)
    body = await read_model(request, UploadBody, limits.max_body_bytes)
    content_type = uploads.accepted(body.content_type)
    if body.size > limits.max_image_bytes:
        raise too_large(limits.max_image_bytes)
    store = store_of(gw)
    key = uploads.new_key(caller.user_id, content_type)
    ttl = limits.upload_url_ttl
    presigned = await store.presign_put(key, content_type, body.size, ttl)
    if presigned is not None:
        out = UploadOut(
            key=key,
            upload_url=presigned.url,
            method=presigned.method,
            headers=dict(presigned.headers),
            expires_in=presigned.expires_in,
        )
    else:
        grant = uploads.UploadGrant(
            caller.user_id, key, content_type, body.size, caller.session_id, caller.jti
        )
        token = uploads.sign(gw.deps.jwt_secret, grant, ttl)
        # Never from the request's Host header: the configured public URL, or a path.
        url = f"{gw.limits.public_url.rstrip('/')}/api/v1/{quote(key)}?token={token}"
        out = UploadOut(
            key=key,
            upload_url=url,
            method="PUT",
            headers={"Content-Type": content_type},
            expires_in=ttl,
        )
    return JSONResponse(out.model_dump(mode="json"), status_code=201)


async def put_upload(request: Request) -> Response:
    gw = Gateway.of(request)
    max_image_bytes = gw.limits.max_image_bytes
    grant = uploads.verify(gw.deps.jwt_secret, request.query_params.get("token", ""))
    await revoked_check(gw, grant)
    path = request.path_params
    if f"{uploads.PREFIX}/{path['user_id']}/{path['name']}" != grant.key:
        raise ApiError(403, "forbidden", "this upload URL is for another key")
    if uploads.media_type(request.headers.get("content-type")) != grant.content_type:
        raise ApiError(
            415, "unsupported_media_type", f"the body must be sent as {grant.content_type}"
        )
    if grant.size > max_image_bytes:
        raise too_large(max_image_bytes)
    data = await read_limited(request, grant.size)
    if len(data) != grant.size:
        raise ApiError(
            400, "bad_request", f"the body is {len(data)} bytes; {grant.size} were announced"
        )
    await put_photo(store_of(gw), grant.key, data, grant.content_type)
    return Response(status_code=204)


OPERATIONS = (
    Operation(
        "POST",
        "/api/v1/uploads",
        create_upload,
        "An upload URL for a photo (JPEG, PNG or WebP)",
        "scans",
        UploadBody,
        response=UploadOut,
        status=201,
        auth=True,
        errors=(400, 401, 413, 415, 422, 503),
    ),
    Operation(
        "PUT",
        "/api/v1/uploads/{user_id}/{name}",
        put_upload,
        "Upload the photo's bytes (the URL `POST /api/v1/uploads` answered)",
        "scans",
        status=204,
        media="",
        errors=(400, 403, 413, 415, 503),
        params=(Param("token", required=True, description="from the upload URL"),),
    ),
)
