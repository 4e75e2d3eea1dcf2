"""SQL the migrations run, by database vendor: the full-text structures and the queue triggers.

A new searchable type adds a migration calling `add_queue_triggers(schema_editor, kind=..., table=...,
columns=...)` so that every write of its table is queued for indexing in the writer's transaction.
"""

from __future__ import annotations

from typing import Any

ENTRY = "search_searchentry"
PENDING = "search_searchpending"
TOKEN_COLUMNS = ("title_tokens", "keyword_tokens", "body_tokens", "pinyin_tokens")

SQLITE_FULLTEXT = [
    # External content: the tokens live once, in search_searchentry; FTS5 keeps only its inverted index.
    f"CREATE VIRTUAL TABLE search_fts USING fts5({', '.join(TOKEN_COLUMNS)}, content='{ENTRY}', "
    f"content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER search_entry_ai AFTER INSERT ON {ENTRY} BEGIN "  # noqa: S608 - names and placeholders only
    f"INSERT INTO search_fts(rowid, {', '.join(TOKEN_COLUMNS)}) VALUES "
    f"(new.id, {', '.join('new.' + c for c in TOKEN_COLUMNS)}); END",
    f"CREATE TRIGGER search_entry_ad AFTER DELETE ON {ENTRY} BEGIN "  # noqa: S608 - names and placeholders only
    f"INSERT INTO search_fts(search_fts, rowid, {', '.join(TOKEN_COLUMNS)}) VALUES "
    f"('delete', old.id, {', '.join('old.' + c for c in TOKEN_COLUMNS)}); END",
    f"CREATE TRIGGER search_entry_au AFTER UPDATE ON {ENTRY} BEGIN "  # noqa: S608 - names and placeholders only
    f"INSERT INTO search_fts(search_fts, rowid, {', '.join(TOKEN_COLUMNS)}) VALUES "
    f"('delete', old.id, {', '.join('old.' + c for c in TOKEN_COLUMNS)}); "
    f"INSERT INTO search_fts(rowid, {', '.join(TOKEN_COLUMNS)}) VALUES "
    f"(new.id, {', '.join('new.' + c for c in TOKEN_COLUMNS)}); END",
]
SQLITE_FULLTEXT_REVERSE = ["DROP TRIGGER IF EXISTS search_entry_au", "DROP TRIGGER IF EXISTS search_entry_ad",
                           "DROP TRIGGER IF EXISTS search_entry_ai", "DROP TABLE IF EXISTS search_fts"]

_PG_VECTOR = " || ".join(
    f"setweight(to_tsvector('simple'::regconfig, coalesce({col}, '')), '{w}')"
    for col, w in zip(TOKEN_COLUMNS, "ABCD", strict=True))
POSTGRES_FULLTEXT = [
    # Generated from the pre-segmented tokens ('simple': no stemming, no stop words): title A, keywords B,
    # body C, pinyin D. The ORM never names the column; PostgreSQL keeps it in step with every write.
    f"ALTER TABLE {ENTRY} ADD COLUMN document tsvector GENERATED ALWAYS AS ({_PG_VECTOR}) STORED",
    f"CREATE INDEX search_entry_document_gin ON {ENTRY} USING gin (document)",
    f"""CREATE OR REPLACE FUNCTION search_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO {PENDING} (kind, object_id) VALUES (TG_ARGV[0], OLD.id);
    RETURN OLD;
  END IF;
  INSERT INTO {PENDING} (kind, object_id) VALUES (TG_ARGV[0], NEW.id);
  RETURN NEW;
END $$""",  # noqa: S608 - names and placeholders only
]
POSTGRES_FULLTEXT_REVERSE = ["DROP FUNCTION IF EXISTS search_queue() CASCADE",
                             "DROP INDEX IF EXISTS search_entry_document_gin",
                             f"ALTER TABLE {ENTRY} DROP COLUMN IF EXISTS document"]


def _run(schema_editor: Any, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)


def create_fulltext(schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_FULLTEXT)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_FULLTEXT)


def drop_fulltext(schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_FULLTEXT_REVERSE)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_FULLTEXT_REVERSE)


def _queue_statements(vendor: str, *, kind: str, table: str, columns: tuple[str, ...]) -> list[str]:
    name = f"search_q_{kind}"
    cols = ", ".join(columns)
    if vendor == "sqlite":
        insert = f"INSERT INTO {PENDING} (kind, object_id) VALUES ('{kind}', %s.id)"  # noqa: S608 - names and placeholders only
        return [f"CREATE TRIGGER {name}_ai AFTER INSERT ON {table} BEGIN {insert % 'new'}; END",
                f"CREATE TRIGGER {name}_au AFTER UPDATE OF {cols} ON {table} BEGIN {insert % 'new'}; END",
                f"CREATE TRIGGER {name}_ad AFTER DELETE ON {table} BEGIN {insert % 'old'}; END"]
    if vendor == "postgresql":
        return [f"CREATE TRIGGER {name}_ai AFTER INSERT ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION search_queue('{kind}')",
                f"CREATE TRIGGER {name}_au AFTER UPDATE OF {cols} ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION search_queue('{kind}')",
                f"CREATE TRIGGER {name}_ad AFTER DELETE ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION search_queue('{kind}')"]
    return []


def add_queue_triggers(schema_editor: Any, *, kind: str, table: str, columns: tuple[str, ...]) -> None:
    """Queue every insert, delete and update of `columns` of `table` for indexing as `kind`, in the
    writer's transaction (search_searchpending)."""
    _run(schema_editor, _queue_statements(schema_editor.connection.vendor, kind=kind, table=table, columns=columns))


def drop_queue_triggers(schema_editor: Any, *, kind: str, table: str) -> None:
    vendor = schema_editor.connection.vendor
    name = f"search_q_{kind}"
    if vendor == "sqlite":
        _run(schema_editor, [f"DROP TRIGGER IF EXISTS {name}_{s}" for s in ("ai", "au", "ad")])
    elif vendor == "postgresql":
        _run(schema_editor, [f"DROP TRIGGER IF EXISTS {name}_{s} ON {table}" for s in ("ai", "au", "ad")])
