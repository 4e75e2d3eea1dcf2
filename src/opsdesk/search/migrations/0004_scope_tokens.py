"""The scope column of the index (tokens no one types, "kindarticle"): a search limited to some types reads
only their postings, however many records of other types the index holds. Also, on SQLite, a read-only
view of the index's term statistics (fts5vocab) from which the ranking of partial matches reads how many
records hold a word (PostgreSQL keeps the same in its own statistics)."""

from django.db import migrations, models

from opsdesk.search import ddl


def forwards(apps, schema_editor):
    table = "search_searchentry"
    # as services.scope_tokens: "kindincident incidentcontract3 incidentorg2 incidentowner41"
    schema_editor.execute(f"UPDATE {table} SET scope_tokens = 'kind' || kind "  # noqa: S608 - our own table
                          "|| coalesce(' ' || kind || 'contract' || contract_id, '') "
                          "|| coalesce(' ' || kind || 'org' || organisation_id, '') "
                          "|| coalesce(' ' || kind || 'owner' || owner_id, '')")
    ddl.recreate_fulltext(schema_editor, ddl.TOKEN_COLUMNS)


def backwards(apps, schema_editor):
    ddl.recreate_fulltext(schema_editor, ddl.TOKEN_COLUMNS_V1)
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS search_fts_vocab")


class Migration(migrations.Migration):
    dependencies = [("search", "0003_colloquial_synonyms")]
    operations = [
        migrations.AddField("searchentry", "scope_tokens", models.TextField(blank=True, default="")),
        migrations.AddField("searchentry", "boost", models.FloatField(default=0.0)),
        migrations.RunPython(forwards, backwards),
    ]
