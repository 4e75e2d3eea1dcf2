"""The search index (one row per searchable record, whatever its type) and what operators tune it with.

The index is derived data: `opsdesk manage search_rebuild` recreates it from the records at any time.
The full-text side lives beside the rows and is vendor specific (migrations 0001): on SQLite an FTS5 table
kept in step with `SearchEntry` by triggers; on PostgreSQL a generated, weighted `tsvector` column with a
GIN index. Both read the pre-segmented token columns below, so Chinese is segmented once, by rjieba.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel


class Audience(models.TextChoices):
    """Who besides the people the visibility rule names may find a record (knowledge articles use it)."""

    RECORD = "record", _("as the record's own visibility")
    EVERYONE = "everyone", _("everyone signed in")
    STAFF = "staff", _("service staff")


class SearchEntry(models.Model):
    """A searchable record in the index: its text as tokens, and the columns visibility and filters use.

    Visibility is decided inside the search query from these columns (contract, organisation, owner,
    audience) by the rule of the record's type, never by filtering a page of hits afterwards.
    """

    kind = models.CharField(_("type"), max_length=30)
    object_id = models.BigIntegerField(_("object id"))
    number = models.CharField(_("number"), max_length=40, blank=True)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)  # the original text, for snippets
    status = models.CharField(_("status"), max_length=30, blank=True)
    contract_id = models.BigIntegerField(null=True, blank=True)
    organisation_id = models.BigIntegerField(null=True, blank=True)
    owner_id = models.BigIntegerField(null=True, blank=True)  # the requester of a ticket
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.RECORD)
    title_tokens = models.TextField(blank=True)
    keyword_tokens = models.TextField(blank=True)
    body_tokens = models.TextField(blank=True)
    pinyin_tokens = models.TextField(blank=True)
    scope_tokens = models.TextField(blank=True, default="")  # "kind<kind>": see backends.Where.scopes
    boost = models.FloatField(default=0.0)  # Document.boost
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="search_entry_unique")]
        indexes = [models.Index(fields=["contract_id", "kind"], name="search_contract_idx"),
                   models.Index(fields=["organisation_id", "kind"], name="search_org_idx"),
                   models.Index(fields=["owner_id", "kind"], name="search_owner_idx")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


class SearchPending(models.Model):
    """A record written since it was last indexed, queued IN THE WRITER'S TRANSACTION by a database trigger.

    The trigger sees every write path (services' prepared INSERTs, workflow UPDATEs, the admin, raw SQL), so
    no update can be lost: the queue is drained right after the commit, before every search, and by the
    periodic job; a row is deleted only by id once its record was indexed.
    """

    kind = models.CharField(max_length=30)
    object_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("pending index update")
        verbose_name_plural = _("pending index updates")
        indexes = [models.Index(fields=["kind", "object_id"], name="search_pending_obj_idx")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


class SearchTerm(TimeStampedModel):
    """A word of the IT dictionary added by operators (product, system, error code): segmented as one word."""

    word = models.CharField(_("word"), max_length=60, unique=True)
    frequency = models.PositiveIntegerField(_("frequency"), null=True, blank=True,
                                            help_text=_("Leave empty for the usual weight of a dictionary word."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("dictionary word")
        verbose_name_plural = _("dictionary words")
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word


class SynonymGroup(TimeStampedModel):
    """Words that mean the same to the people who search (服务器 = 主机): a query for one finds them all.

    Applied to the query (an OR of the group), never written into the index: a change works at once,
    without a rebuild.
    """

    terms = models.TextField(_("terms"), help_text=_("Separate the words with = or commas, e.g. 服务器=主机."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.terms


class SearchConfig(models.Model):
    """One row: the version of the dictionary and synonyms, bumped on every change of either.

    Each process compares it with the version it loaded (at most every few seconds) and reloads.
    """

    version = models.PositiveIntegerField(default=0)
    # A new random value with every change: a process compares it, so a change rolled back (whose version
    # number the next change takes again) can never pass for the one it loaded.
    stamp = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        verbose_name = _("search configuration")
        verbose_name_plural = _("search configuration")

    def __str__(self) -> str:
        return f"v{self.version}"

    @classmethod
    def current_version(cls) -> int:
        value = cls.objects.filter(pk=1).values_list("version", flat=True).first()
        return int(value or 0)

    @classmethod
    def current_stamp(cls) -> str:
        """The version and stamp of the configuration, as one string (one primary-key read)."""
        row = cls.objects.filter(pk=1).values_list("version", "stamp").first()
        return f"{row[0]}:{row[1]}" if row else "0:"
