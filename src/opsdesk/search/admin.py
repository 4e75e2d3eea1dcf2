"""Operators extend the IT dictionary and the synonyms here; saves go through the services (audited, and
the configuration version moves so every process reloads within seconds)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from opsdesk.core.errors import ValidationError

from . import services
from .models import SearchTerm, SynonymGroup


class SearchTermForm(forms.ModelForm):
    class Meta:
        model = SearchTerm
        fields = ("word", "frequency", "note", "is_active")

    def clean_word(self) -> str:
        try:
            return services.clean_word(self.cleaned_data.get("word") or "")
        except ValidationError as exc:
            raise forms.ValidationError(exc.fields.get("word", exc.message)) from None


class SynonymGroupForm(forms.ModelForm):
    class Meta:
        model = SynonymGroup
        fields = ("terms", "note", "is_active")

    def clean_terms(self) -> str:
        try:
            return "=".join(services.clean_synonym_terms(self.cleaned_data.get("terms") or ""))
        except ValidationError as exc:
            raise forms.ValidationError(exc.fields.get("terms", exc.message)) from None


@admin.register(SearchTerm)
class SearchTermAdmin(admin.ModelAdmin):
    list_display = ("word", "frequency", "note", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("word", "note")
    form = SearchTermForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.search_term_save(by=request.user, word=obj.word, frequency=obj.frequency, note=obj.note,
                                  is_active=obj.is_active, term=obj if change else None)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.search_term_delete(by=request.user, term=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            services.search_term_delete(by=request.user, term=obj)


@admin.register(SynonymGroup)
class SynonymGroupAdmin(admin.ModelAdmin):
    list_display = ("terms", "note", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("terms", "note")
    form = SynonymGroupForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.synonym_group_save(by=request.user, terms=obj.terms, note=obj.note, is_active=obj.is_active,
                                    group=obj if change else None)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.synonym_group_delete(by=request.user, group=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            services.synonym_group_delete(by=request.user, group=obj)
