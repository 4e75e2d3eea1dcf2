"""SQL the migrations run, by database vendor: the full-text structures and the queue triggers.

A new searchable type adds a migration calling `add_queue_triggers(schema_editor, kind=..., table=...,
columns=...)` so that every write of its table is queued for indexing in the writer's transaction.
"""

from __future__ import annotations

from typing import Any

ENTRY = "search_searchentry"
PENDING = "search_searchpending"
TOKEN_COLUMNS_V1 = ("title_tokens", "keyword_tokens", "body_tokens", "pinyin_tokens")
# Since 0004: the scope column holds tokens no one types ("kindarticle"), so that a search limited to one
# type reads only that type's postings (a million incidents cost an article search nothing).
TOKEN_COLUMNS = (*TOKEN_COLUMNS_V1, "scope_tokens")


def _sqlite_fulltext(columns: tuple[str, ...]) -> list[str]:
    cols = ", ".join(columns)
    new = ", ".join("new." + c for c in columns)
    old = ", ".join("old." + c for c in columns)
    return [
        # External content: the tokens live once, in search_searchentry; FTS5 keeps only its inverted index.
        f"CREATE VIRTUAL TABLE search_fts USING fts5({cols}, content='{ENTRY}', content_rowid='id', "
        f"tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER search_entry_ai AFTER INSERT ON {ENTRY} BEGIN "  # noqa: S608 - names only
        f"INSERT INTO search_fts(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER search_entry_ad AFTER DELETE ON {ENTRY} BEGIN "  # noqa: S608 - names only
        f"INSERT INTO search_fts(search_fts, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER search_entry_au AFTER UPDATE ON {ENTRY} BEGIN "  # noqa: S608 - names only
        f"INSERT INTO search_fts(search_fts, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO search_fts(rowid, {cols}) VALUES (new.id, {new}); END",
    ]


SQLITE_FULLTEXT_REVERSE = ["DROP TRIGGER IF EXISTS search_entry_au", "DROP TRIGGER IF EXISTS search_entry_ad",
                           "DROP TRIGGER IF EXISTS search_entry_ai", "DROP TABLE IF EXISTS search_fts"]


def _pg_vector(columns: tuple[str, ...]) -> str:
    # title A, keywords B, body C, pinyin D; scope tokens D as well (they never meet a pinyin syllable)
    weights = "ABCDD"
    return " || ".join(f"setweight(to_tsvector('simple'::regconfig, coalesce({col}, '')), '{w}')"
                       for col, w in zip(columns, weights, strict=False))


def _postgres_document(columns: tuple[str, ...]) -> list[str]:
    # Generated from the pre-segmented tokens ('simple': no stemming, no stop words). The ORM never names
    # the column; PostgreSQL keeps it in step with every write.
    return [f"ALTER TABLE {ENTRY} ADD COLUMN document tsvector GENERATED ALWAYS AS ({_pg_vector(columns)}) STORED",
            f"CREATE INDEX search_entry_document_gin ON {ENTRY} USING gin (document)"]


POSTGRES_QUEUE_FUNCTION = f"""CREATE OR REPLACE FUNCTION search_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO {PENDING} (kind, object_id) VALUES (TG_ARGV[0], OLD.id);
    RETURN OLD;
  END IF;
  INSERT INTO {PENDING} (kind, object_id) VALUES (TG_ARGV[0], NEW.id);
  RETURN NEW;
END $$"""  # noqa: S608 - names and placeholders only
POSTGRES_DOCUMENT_REVERSE = ["DROP INDEX IF EXISTS search_entry_document_gin",
                             f"ALTER TABLE {ENTRY} DROP COLUMN IF EXISTS document"]
POSTGRES_FULLTEXT_REVERSE = ["DROP FUNCTION IF EXISTS search_queue() CASCADE", *POSTGRES_DOCUMENT_REVERSE]


def _run(schema_editor: Any, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)


def create_fulltext(schema_editor: Any, columns: tuple[str, ...] = TOKEN_COLUMNS_V1) -> None:
    """The full-text structures as migration 0002 made them (four token columns)."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, _sqlite_fulltext(columns))
    elif vendor == "postgresql":
        _run(schema_editor, [*_postgres_document(columns), POSTGRES_QUEUE_FUNCTION])


def drop_fulltext(schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_FULLTEXT_REVERSE)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_FULLTEXT_REVERSE)


def recreate_fulltext(schema_editor: Any, columns: tuple[str, ...]) -> None:
    """Replace the full-text structures by ones over `columns`, filled from the rows already indexed (the
    queue function and triggers of PostgreSQL stay)."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, ["DROP TABLE IF EXISTS search_fts_vocab", *SQLITE_FULLTEXT_REVERSE,
                             *_sqlite_fulltext(columns),
                             "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
                             "CREATE VIRTUAL TABLE search_fts_vocab USING fts5vocab(search_fts, 'row')"])
    elif vendor == "postgresql":
        _run(schema_editor, [*POSTGRES_DOCUMENT_REVERSE, *_postgres_document(columns)])


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
