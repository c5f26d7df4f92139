"""Admin helpers every app uses (read-only admins, admins that write through
services), and the audit trail (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from core.models import AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, changed or deleted through the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "occurred_at", "actor", "action", "use_case", "summary"]
    list_filter = ["action"]
    search_fields = ["summary", "action", "use_case__title"]
    list_select_related = ["actor", "use_case"]


class ServiceInline(admin.TabularInline):
    """An inline whose rows are written by the app's services.

    The parent ``ServiceAdmin`` calls these hooks instead of saving the
    formset; each service writes its own audit event. The defaults refuse, so
    an inline that allows a write but names no service fails instead of
    writing unaudited.
    """

    def service_create(self, request: HttpRequest, obj: Any, parent: Any) -> None:
        raise ImproperlyConfigured(f"{type(self).__name__} names no service to add a row.")

    def service_change(self, request: HttpRequest, obj: Any, fields: list[str]) -> None:
        raise ImproperlyConfigured(f"{type(self).__name__} names no service to change a row.")

    def service_delete(self, request: HttpRequest, obj: Any) -> None:
        raise ImproperlyConfigured(f"{type(self).__name__} names no service to delete a row.")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        # A new class per call: the parent admin finds the hooks on the formset.
        formset.service_inline = self
        return formset


class ServiceAdmin(admin.ModelAdmin):
    """An admin that writes only through the app's services, so every add,
    change and delete (one by one, in bulk, or in an inline) writes an audit
    event in the same transaction as the change.

    Subclasses implement the hooks for what they allow: ``service_create``,
    ``service_change`` (given the names of the fields the form changed) and
    ``service_delete``; inlines are ``ServiceInline``. The defaults refuse, so
    an admin that allows a write but names no service fails loudly.
    Many-to-many fields are not saved here: give them a service of their own.
    """

    def service_create(self, request: HttpRequest, obj: Any) -> None:
        raise ImproperlyConfigured(f"{type(self).__name__} names no service to add.")

    def service_change(self, request: HttpRequest, obj: Any, fields: list[str]) -> None:
        raise ImproperlyConfigured(f"{type(self).__name__} names no service to change.")

    def service_delete(self, request: HttpRequest, obj: Any) -> None:
        raise ImproperlyConfigured(f"{type(self).__name__} names no service to delete.")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            self.service_create(request, obj)
        elif form.changed_data:
            self.service_change(request, obj, list(form.changed_data))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.service_delete(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # "Delete selected" would delete every row in one query, past the
        # services: one service call per row audits each row. All or none, as
        # the action runs outside the admin's change-form transaction.
        with transaction.atomic(using=queryset.db):
            for obj in queryset:
                self.delete_model(request, obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: list, change: bool) -> None:
        # Not form.save_m2m(): that would write past the services.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # commit=False fills the lists below and writes nothing.
        formset.save(commit=False)
        rows = [*formset.deleted_objects, *formset.changed_objects, *formset.new_objects]
        if not rows:
            return
        inline = getattr(formset, "service_inline", None)
        if inline is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__}: the {formset.model._meta.verbose_name} inline "
                "writes rows but is not a ServiceInline."
            )
        # Deletions first, so a row removed and added back in one save does
        # not trip a unique constraint.
        for obj in formset.deleted_objects:
            inline.service_delete(request, obj)
        for obj, fields in formset.changed_objects:
            inline.service_change(request, obj, list(fields))
        for obj in formset.new_objects:
            inline.service_create(request, obj, form.instance)
