"""Beat's schedule names real tasks: a typo would only show as a silently missing job."""

from django.conf import settings

from stockdata.celery import app


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled == {
        "licensing.consent.tasks.scope_masks_refresh_task",
        "contributors.tasks.payout_run_start_task",
        "stockdata.core.tasks.worker_heartbeat_record_task",
        "catalog.photos.tasks.photos_requeue_stalled_task",
        "licensing.delivery.tasks.bundles_requeue_stalled_task",
        "stockdata.mail.tasks.emails_requeue_stalled_task",
        "licensing.delivery.tasks.notices_remind_task",
        "licensing.consent.tasks.provision_digest_task",
    }
    missing = scheduled - set(app.tasks)
    assert not missing, f"scheduled but not registered: {sorted(missing)}"
