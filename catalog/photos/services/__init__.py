"""Every write to photos: uploads and the image pipeline, descriptions, review decisions, boxes.
One module per subject; the names callers use are listed here."""

from catalog.photos.services.boxes import (
    box_delete,
    box_save,
    boxes_digest,
    boxes_replace,
    photo_annotation_complete,
    photo_propose_boxes,
)
from catalog.photos.services.descriptions import (
    DESCRIPTION_FIELDS,
    SubjectData,
    photo_delete,
    photo_describe,
    photo_submit,
    photos_bulk_edit,
)
from catalog.photos.services.review import (
    derived_files_sync,
    derived_publish,
    derived_unpublish,
    photo_approve,
    photo_reject,
)
from catalog.photos.services.uploads import (
    STORAGE_ERRORS,
    TransientStorageError,
    near_duplicates_of,
    normalise_tag,
    photo_process,
    photo_process_enqueue,
    photo_processing_failed,
    photo_upload,
    photos_requeue_stalled,
    rejection_error,
    tags_get_or_create,
)

__all__ = [
    "DESCRIPTION_FIELDS",
    "STORAGE_ERRORS",
    "SubjectData",
    "TransientStorageError",
    "box_delete",
    "box_save",
    "boxes_digest",
    "boxes_replace",
    "derived_files_sync",
    "derived_publish",
    "derived_unpublish",
    "near_duplicates_of",
    "normalise_tag",
    "photo_annotation_complete",
    "photo_approve",
    "photo_delete",
    "photo_describe",
    "photo_process",
    "photo_process_enqueue",
    "photo_processing_failed",
    "photo_propose_boxes",
    "photo_reject",
    "photo_submit",
    "photo_upload",
    "photos_bulk_edit",
    "photos_requeue_stalled",
    "rejection_error",
    "tags_get_or_create",
]
