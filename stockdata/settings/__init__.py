"""Settings tree.

- ``base``: everything, driven by the environment; with no environment at all it is
  the embedded default (SQLite, local files, Celery on kombu's filesystem transport).
- ``production``: ``base`` hardened; ``manage.py check --deploy`` is clean.
- ``test``: ``base`` with fast password hashing and an in-memory email outbox.
"""
