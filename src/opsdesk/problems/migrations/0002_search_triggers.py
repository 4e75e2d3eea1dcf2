"""Queue every write of problems for search indexing, in the writer's transaction (search.ddl)."""

from django.db import migrations

from opsdesk.search import ddl

PROBLEM_COLUMNS = ("number", "title", "description", "root_cause", "workaround", "solution", "affected_system",
                   "category_id", "status", "contract_id", "organisation_id")


def forwards(apps, schema_editor):
    ddl.add_queue_triggers(schema_editor, kind="problem", table="problems_problem", columns=PROBLEM_COLUMNS)


def backwards(apps, schema_editor):
    ddl.drop_queue_triggers(schema_editor, kind="problem", table="problems_problem")


class Migration(migrations.Migration):
    dependencies = [
        ("problems", "0001_initial"),
        ("search", "0002_fulltext"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
