import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from storages.backends.s3 import S3Storage

pytestmark = pytest.mark.django_db


def test_a_privately_stored_file_has_no_public_url(client, settings):
    name = default_storage.save(f"originals/{uuid.uuid4().hex}.jpg", ContentFile(b"secret-original"))
    try:
        with pytest.raises(NotImplementedError):
            default_storage.url(name)
        path = default_storage.path(name)
        assert not path.startswith(str(settings.STATIC_ROOT))
        # Not under the public media URL, not under /media/, not as a static file.
        for url in (f"/media/public/{name}", f"/media/private/{name}", f"/media/{name}", f"/static/{name}"):
            assert client.get(url).status_code == 404, url
        # A path-traversal attempt from the public media URL is refused outright.
        assert client.get(f"/media/public/../private/{name}").status_code == 400
    finally:
        default_storage.delete(name)


def test_a_publicly_stored_file_is_served(client):
    public = storages["public"]
    name = public.save(f"thumbs/{uuid.uuid4().hex}.txt", ContentFile(b"thumb"))
    try:
        response = client.get(public.url(name))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"thumb"
    finally:
        public.delete(name)


@pytest.mark.s3
def test_s3_storage_saves_reads_and_presigns_with_an_expiry(s3_server):
    bucket = f"stockdata-{uuid.uuid4().hex[:8]}"
    creds = dict(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="ap-northeast-1")
    boto3.client("s3", endpoint_url=s3_server, **creds).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    private = S3Storage(
        bucket_name=bucket,
        endpoint_url=s3_server,
        access_key="testing",
        secret_key="testing",
        region_name="ap-northeast-1",
        location="private",
        default_acl="private",
        querystring_auth=True,
        querystring_expire=2,
        signature_version="s3v4",
        addressing_style="path",
        file_overwrite=False,
    )
    name = private.save("originals/photo.jpg", ContentFile(b"\xff\xd8original-bytes"))
    with private.open(name) as fh:
        assert fh.read() == b"\xff\xd8original-bytes"

    unsigned = f"{s3_server}/{bucket}/private/{name}"
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(unsigned)
    assert denied.value.code == 403

    url = private.url(name)
    assert urllib.request.urlopen(url).read() == b"\xff\xd8original-bytes"
    # The link carries its own expiry, signed into it. moto's server does not enforce
    # X-Amz-Expires (real S3 does), so the expiry is checked on the signed parameters.
    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Expires"] == ["2"]
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs((signed_at - datetime.now(UTC)).total_seconds()) < 5
    assert "x-amz-expires" not in query["X-Amz-SignedHeaders"][0]
    tampered = url.replace("X-Amz-Expires=2", "X-Amz-Expires=604800")
    assert tampered != url
