"""On PostgreSQL, the catalogue's English full-text search reads a stored ``tsvector`` of each
dataset's search text (a generated column with a GIN index), instead of computing
``to_tsvector`` for every row of every search (``catalog.storefront.selectors.search_filter``).
Not a model field: nothing writes it; elsewhere (SQLite) nothing is added."""

from django.db import migrations

COLUMN = (
    "ALTER TABLE catalog_dataset ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('english'::regconfig, COALESCE(search_text, ''))) STORED"
)
INDEX = "CREATE INDEX catalog_dataset_search_vector_idx ON catalog_dataset USING gin (search_vector)"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COLUMN)
        schema_editor.execute(INDEX)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE catalog_dataset DROP COLUMN IF EXISTS search_vector")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_annotation_records")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
