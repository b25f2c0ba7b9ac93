"""Named storages and the keys files are stored under.

``default`` is private (originals, cleaned copies, release documents, bundles):
it has no public URL at all on local disk, and only presigned, expiring URLs on S3.
``public`` holds thumbnails and watermarked previews.
"""

from django.core.files.storage import FileSystemStorage, Storage, default_storage, storages


class PrivateFileSystemStorage(FileSystemStorage):
    """Local private storage: files are never published under a URL.

    Staff and buyers get private files through views that check who is asking.
    """

    def __init__(self, **kwargs):
        kwargs["base_url"] = None
        super().__init__(**kwargs)

    def url(self, name):
        raise NotImplementedError("Private files have no public URL; serve them through a checked view.")


def private_storage() -> Storage:
    return default_storage


def public_storage() -> Storage:
    return storages["public"]
