"""Queue every write of articles for search indexing, in the writer's transaction (search.ddl)."""

from django.db import migrations

from opsdesk.search import ddl

ARTICLE_COLUMNS = ("number", "title", "symptom", "cause", "solution", "keywords", "affected_systems", "audience",
                   "status", "contract_id", "organisation_id", "author_id", "solved_count", "version")


def forwards(apps, schema_editor):
    ddl.add_queue_triggers(schema_editor, kind="article", table="knowledge_knowledgearticle",
                           columns=ARTICLE_COLUMNS)


def backwards(apps, schema_editor):
    ddl.drop_queue_triggers(schema_editor, kind="article", table="knowledge_knowledgearticle")


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
        ("search", "0002_fulltext"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
