"""Settings for the worker ``test_bundles`` starts to watch retries: the test settings, with
retries that come back at once and the mail to ADMINS written to files the test reads."""

import os

from stockdata.settings.test import *

STOCKDATA_BUNDLE_RETRY_SECONDS = 0
ADMINS = [("Operations", "ops@stockdata.example")]
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["STOCKDATA_TEST_MAIL_DIR"]
