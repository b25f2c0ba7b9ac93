import io

import numpy as np
import pytest
from PIL import Image
from skimage import data as skimage_data

from catalog.detection import detect_faces


def jpeg(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "JPEG", quality=92)
    return buf.getvalue()


def test_the_detector_proposes_a_box_on_a_real_face():
    astronaut = skimage_data.astronaut()  # 512x512, Eileen Collins' face around x 170-260, y 30-140
    boxes = detect_faces(jpeg(astronaut))
    assert len(boxes) == 1
    box = boxes[0]
    assert 140 <= box.x <= 200 and 10 <= box.y <= 70
    assert 70 <= box.w <= 140 and 70 <= box.h <= 140


def test_boxes_are_scaled_to_the_displayed_size():
    astronaut = Image.fromarray(skimage_data.astronaut()).resize((2048, 2048))
    buf = io.BytesIO()
    astronaut.save(buf, "JPEG", quality=90)
    boxes = detect_faces(buf.getvalue())
    assert len(boxes) == 1
    assert 560 <= boxes[0].x <= 800 and 280 <= boxes[0].w <= 560


def test_the_detector_proposes_nothing_on_a_flat_image():
    assert detect_faces(jpeg(np.full((1200, 1600, 3), 128, dtype=np.uint8))) == []


@pytest.mark.django_db
def test_proposals_are_stored_once_per_photo_and_unconfirmed():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.models import AnnotationBox
    from catalog.photos import services
    from stockdata.accounts.tests.factories import ContributorFactory

    big = Image.fromarray(skimage_data.astronaut()).resize((1800, 1800))
    buf = io.BytesIO()
    big.save(buf, "JPEG", quality=90)
    photo = services.photo_upload(contributor=ContributorFactory(), file=SimpleUploadedFile("a.jpg", buf.getvalue()))
    services.photo_process(photo_id=photo.pk)
    assert services.photo_propose_boxes(photo_id=photo.pk) == 1
    assert services.photo_propose_boxes(photo_id=photo.pk) == 0  # a redelivered task adds nothing
    box = AnnotationBox.objects.get(photo=photo)
    assert (box.source, box.confirmed, box.label) == ("detector", False, "face")
    assert 500 <= box.x <= 700 and 200 <= box.w <= 500
