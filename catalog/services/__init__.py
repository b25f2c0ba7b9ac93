"""Every write in the catalogue: photos (upload, pipeline, description, review) and datasets
(curation, freezing versions, annotation). Import from here: ``from catalog import services``."""

from catalog.services.datasets import *
from catalog.services.photos import *
from catalog.services.photos import (  # noqa: F401  (names with a leading underscore are not star-exported)
    ApplicationError,
    TransientStorageError,
)
