"""Indexes for the customer list at scale (issue 14): its order, and on PostgreSQL the search.

`?search=` compares UPPER(column::text) LIKE UPPER('%term%') (Django's `icontains`): a trigram
GIN index on exactly that expression serves it for the code, name and email; a prefix search
on the E.164 number (`startswith`, `contact_number::text LIKE '+2547%'`) needs an index with
text_pattern_ops whatever the database's collation. pg_trgm is a trusted extension (PostgreSQL
13+): a database owner may create it. Other databases get none of this and search by reading
rows, which is correct, only slower.

The trigram indexes are written as rows come (fastupdate off): GIN's default keeps new entries
in a pending list that every search reads through until VACUUM merges it, which after a bulk
import made a search of a million patients take 20 ms instead of under one.

Reversing drops the indexes and leaves the extension, which other things may use.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

_TABLE = "customers_customer"
_TRIGRAM = {
    "customer_code_trgm_idx": "code",
    "customer_name_trgm_idx": "name",
    "customer_email_trgm_idx": "email",
}
_PREFIX = "customer_contact_number_prefix_idx"


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in _TRIGRAM.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{_TABLE}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops) WITH (fastupdate = off)'
        )
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{_PREFIX}" ON "{_TABLE}" '
        '(("contact_number"::text) text_pattern_ops)'
    )


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [*_TRIGRAM, _PREFIX]:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_merge_single_line_text_and_sms_opt_out"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["code", "id"], name="customer_code_order_idx"),
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
