"""Settings for the Celery workers the fault tests start: the test settings, with retries that
come back in seconds rather than minutes, and (when FAULTS_S3_ENDPOINT is set) the same S3
storage as the test process, behind the proxy the test can cut."""

import os

from stockdata.settings.test import *
from tests.faults.s3 import s3_storages

STOCKDATA_BUNDLE_RETRY_SECONDS = 2
STOCKDATA_PAYOUT_RETRY_SECONDS = 1

if os.environ.get("FAULTS_S3_ENDPOINT"):
    STORAGES = s3_storages(os.environ["FAULTS_S3_ENDPOINT"], os.environ["FAULTS_S3_BUCKET"], STORAGES)
