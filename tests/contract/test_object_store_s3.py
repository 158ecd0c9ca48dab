"""The object-store contract suite against the S3 adapter, on a moto S3 server.

One `moto_server` process per test session on a free loopback port (moto comes with the
dev dependencies); each test works under its own prefix of one bucket.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import aioboto3
import httpx
import pytest

from objects import ObjectNotFound, ObjectStoreError
from objects.s3 import S3ObjectStore, parse_s3_url
from services.runtime.resources import build_objects
from services.runtime.settings import load_settings
from support.servers import free_port
from tests.contract.object_store_suite import ObjectStoreContract

pytestmark = pytest.mark.s3

BUCKET = "eco2-test"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REGION = "us-east-1"


# moto_server that exits when the test process dies, even by SIGKILL (no orphans).
SERVER = """
import os, sys, threading, time
parent = os.getppid()
def watch():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
from moto.server import main
main(sys.argv[1:])
"""


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A moto S3 server with one bucket, for the whole session."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.put(f"{url}/{BUCKET}", timeout=1).raise_for_status()  # CreateBucket
                break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the moto server did not start on port {port}")
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(10)


def session() -> aioboto3.Session:
    return aioboto3.Session(region_name=REGION, **CREDENTIALS)


class TestS3ObjectStore(ObjectStoreContract):
    PRESIGNS = True

    @pytest.fixture
    async def store(self, moto_url: str) -> AsyncIterator[S3ObjectStore]:
        prefix = f"t{uuid.uuid4().hex[:8]}"
        async with S3ObjectStore(BUCKET, prefix, endpoint_url=moto_url, session=session()) as store:
            yield store


async def test_keys_live_under_the_prefix(moto_url: str) -> None:
    async with (
        S3ObjectStore(BUCKET, "a/b", endpoint_url=moto_url, session=session()) as inner,
        S3ObjectStore(BUCKET, "a", endpoint_url=moto_url, session=session()) as outer,
    ):
        await inner.put("k.jpg", b"inner", "image/jpeg")
        assert await outer.get("b/k.jpg") == b"inner"


async def test_presigned_url_signs_type_and_length(moto_url: str) -> None:
    async with S3ObjectStore(BUCKET, "p", endpoint_url=moto_url, session=session()) as store:
        upload = await store.presign_put("uploads/s.jpg", "image/png", 1234, 60)
    assert upload is not None
    assert urlsplit(upload.url).path == f"/{BUCKET}/p/uploads/s.jpg"
    assert "X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost" in upload.url
    assert upload.headers == {"Content-Type": "image/png", "Content-Length": "1234"}


async def test_driver_errors_become_the_ports_errors(moto_url: str) -> None:
    async with S3ObjectStore("no-such-bucket", endpoint_url=moto_url, session=session()) as store:
        with pytest.raises(ObjectStoreError, match="NoSuchBucket") as failed:
            await store.get("k")
        assert not isinstance(failed.value, ObjectNotFound), "a missing bucket is no missing key"
    async with S3ObjectStore(
        BUCKET, endpoint_url=f"http://127.0.0.1:{free_port()}", session=session()
    ) as down:
        with pytest.raises(ObjectStoreError):
            await down.put("k", b"x", "image/jpeg")


async def test_a_closed_store_says_so() -> None:
    store = S3ObjectStore(BUCKET)
    with pytest.raises(RuntimeError, match="not open"):
        await store.get("k")


async def test_the_composition_root_builds_it_from_settings_and_the_aws_environment(
    moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name.upper(), value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    settings = load_settings(object_store_url=f"s3://{BUCKET}/env", s3_endpoint_url=moto_url)
    store = build_objects(settings)
    assert isinstance(store, S3ObjectStore)
    assert (store.bucket, store.prefix) == (BUCKET, "env")
    async with store:
        await store.put("uploads/e.jpg", b"from env", "image/jpeg")
        assert await store.get("uploads/e.jpg") == b"from env"


@pytest.mark.parametrize(
    ("url", "parsed"),
    [("s3://b1", ("b1", "")), ("s3://b1/", ("b1", "")), ("s3://b1/x/y/", ("b1", "x/y"))],
)
def test_s3_urls(url: str, parsed: tuple[str, str]) -> None:
    assert parse_s3_url(url) == parsed


@pytest.mark.parametrize("url", ["s3://", "http://b1/x", "s3://b1/../x", "s3://b1/x?y=1"])
def test_bad_s3_urls(url: str) -> None:
    with pytest.raises(ValueError, match=r"s3://|invalid object key"):
        parse_s3_url(url)
