"""`/api/v1/scans`: submit a photo for a scan, read one scan, list the caller's scans.

`POST` takes multipart form data (the file as `image`, an optional `hint`), whose bytes the
gateway stores under the caller's upload prefix, or JSON naming a photo uploaded before;
either way the scan service records the scan and starts the pipeline, and the answer is
202 with where to follow it. An `Idempotency-Key` header makes a retried submit answer
the first scan. `GET /api/v1/scans/{id}` never shows an older state than an event the
client may already have received (`gateway.scanview`).
"""

from __future__ import annotations

from redis.exceptions import RedisError
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from contracts.scan.v1 import CreateScan, GetScan, ListScans, ScanPage, ScanRecord
from gateway import uploads
from gateway.bodies.base import free_text
from gateway.bodies.parsing import is_json, read_form, read_model, validate
from gateway.bodies.scans import ScanAccepted, ScanBody, ScanPageOut, ScanViewOut, scan_out
from gateway.context import Gateway
from gateway.errors import ApiError
from gateway.routes.uploads import put_photo, store_of, too_large
from gateway.routing import Operation, Param
from gateway.scanview import merge

# Room for the multipart boundaries, part headers and the hint around the photo.
MULTIPART_OVERHEAD = 64 * 1024
HINT_MAX = 500


async def from_form(request: Request, gw: Gateway, user_id: str) -> tuple[str, str]:
    """Store the form's photo under the caller's prefix; its key and the hint."""
    max_image_bytes = gw.limits.max_image_bytes
    form = await read_form(
        request,
        max_image_bytes + MULTIPART_OVERHEAD,
        max_files=1,
        max_fields=8,
        max_part_size=4 * HINT_MAX,
    )
    try:
        image, hint = form.get("image"), form.get("hint", "")
        if not isinstance(image, UploadFile):
            raise ApiError(422, "invalid_field", "image: a photo file is required")
        if not isinstance(hint, str) or len(hint) > HINT_MAX:
            raise ApiError(422, "invalid_field", f"hint: at most {HINT_MAX} characters")
        try:
            hint = free_text(hint)
        except ValueError as exc:
            raise ApiError(422, "invalid_field", f"hint: {exc}") from None
        content_type = uploads.accepted(image.content_type)
        data = await image.read(max_image_bytes + 1)
    finally:
        await form.close()
    if len(data) > max_image_bytes:
        raise too_large(max_image_bytes)
    if not data:
        raise ApiError(422, "invalid_field", "image: the file is empty")
    key = uploads.new_key(user_id, content_type)
    await put_photo(store_of(gw), key, data, content_type)
    return key, hint


async def submit(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    idempotency_key = request.headers.get("idempotency-key")
    if idempotency_key is not None and not 0 < len(idempotency_key) <= 200:
        raise ApiError(400, "bad_request", "Idempotency-Key must be 1 to 200 characters")
    content_type = request.headers.get("content-type")
    if uploads.media_type(content_type) == "multipart/form-data":
        key, hint = await from_form(request, gw, caller.user_id)
    elif is_json(content_type):
        body = await read_model(request, ScanBody, gw.limits.max_body_bytes)
        if not uploads.owns(caller.user_id, body.image_key):
            raise ApiError(422, "invalid_field", "image_key: not one of your uploads")
        key, hint = body.image_key, body.hint
    else:
        raise ApiError(
            415, "unsupported_media_type", "send multipart/form-data or application/json"
        )
    query = CreateScan(
        user_id=caller.user_id, image_key=key, hint=hint, idempotency_key=idempotency_key
    )
    scan = (await gw.ask(query, ScanRecord, user_id=caller.user_id)).scan
    result_url = f"/api/v1/scans/{scan.id}"
    accepted = ScanAccepted(
        id=scan.id,
        status=scan.status,
        events_url=f"{result_url}/events",
        result_url=result_url,
    )
    return JSONResponse(
        accepted.model_dump(mode="json"), status_code=202, headers={"Location": result_url}
    )


async def get_scan(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    scan_id = str(request.path_params["scan_id"])
    if not 0 < len(scan_id) <= 64:
        raise ApiError(404, "not_found", "no such scan")
    query = GetScan(user_id=caller.user_id, scan_id=scan_id)
    view = (await gw.ask(query, ScanRecord, user_id=caller.user_id)).scan
    # Read the log only after the service answered: an event delivered in between is
    # in the log by then, so the merge cannot miss it.
    try:
        logged = await gw.events.history("scan", view.id)
    except RedisError:
        raise ApiError(503, "unavailable", "cannot read the scan's events right now") from None
    return JSONResponse(scan_out(merge(view, logged, caller.user_id)).model_dump(mode="json"))


async def list_scans(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    params = request.query_params
    fields = {"user_id": caller.user_id, "limit": params.get("limit", "20")}
    if "cursor" in params:
        fields["cursor"] = params["cursor"]
    query = validate(ListScans, fields)
    page = await gw.ask(query, ScanPage, user_id=caller.user_id)
    out = ScanPageOut(items=[scan_out(v) for v in page.items], next_cursor=page.next_cursor)
    return JSONResponse(out.model_dump(mode="json"))


OPERATIONS = (
    Operation(
        "POST",
        "/api/v1/scans",
        submit,
        "Submit a photo for a scan (multipart `image` + `hint`, or JSON `image_key`)",
        "scans",
        ScanBody,
        response=ScanAccepted,
        status=202,
        auth=True,
        errors=(400, 401, 413, 415, 422, 503),
        params=(Param("Idempotency-Key", "header", description="retries answer the same scan"),),
    ),
    Operation(
        "GET",
        "/api/v1/scans",
        list_scans,
        "The caller's scans, newest first",
        "scans",
        response=ScanPageOut,
        auth=True,
        errors=(400, 401, 422, 503),
        params=(
            Param("limit", description="1 to 100 (default 20)"),
            Param("cursor", description="the previous page's `next_cursor`"),
        ),
    ),
    Operation(
        "GET",
        "/api/v1/scans/{scan_id}",
        get_scan,
        "One of the caller's scans, with its result once completed",
        "scans",
        response=ScanViewOut,
        auth=True,
        errors=(401, 404, 503),
    ),
)
