"""Admin for the portfolio. Changes to use cases and teams go through the same
services as the pages, so they are permission-checked and audited; stage and
status are shown, never edited. Business units are edited through their own
audited services, and so are accounts: Django's user and group admins and DRF's
token admin are replaced by ones that write through the account services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db import router, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_post_parameters
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from core.admin import ServiceAdmin
from core.errors import DomainError
from usecases import access, services
from usecases.forms import UseCaseForm
from usecases.models import BusinessUnit, OrgRole, UseCase, UseCaseMember

User = get_user_model()


@admin.register(BusinessUnit)
class BusinessUnitAdmin(ServiceAdmin):
    list_display = ["name", "code", "head"]
    search_fields = ["name", "code", "head__username", "head__last_name"]
    list_select_related = ["head"]
    raw_id_fields = ["head"]

    def service_create(self, request: HttpRequest, obj: BusinessUnit) -> None:
        services.business_unit_create(by=request.user, business_unit=obj)

    def service_change(self, request: HttpRequest, obj: BusinessUnit, fields: list[str]) -> None:
        services.business_unit_change(by=request.user, business_unit=obj, fields=fields)

    def service_delete(self, request: HttpRequest, obj: BusinessUnit) -> None:
        services.business_unit_delete(by=request.user, business_unit=obj)


class UseCaseMemberInline(admin.TabularInline):
    model = UseCaseMember
    extra = 0
    fields = ["user", "role", "added_at"]
    readonly_fields = ["added_at"]
    raw_id_fields = ["user"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A member's role is not edited in place: remove and add, both audited.
        return False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and access.can_edit_use_case(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and access.can_edit_use_case(request.user, obj)


@admin.register(UseCase)
class UseCaseAdmin(admin.ModelAdmin):
    form = UseCaseForm
    list_display = ["title", "business_unit", "stage", "status", "risk_tier", "updated_at"]
    list_filter = ["stage", "status", "risk_tier", "business_unit"]
    list_select_related = ["business_unit"]
    search_fields = ["title", "summary"]
    date_hierarchy = "updated_at"
    readonly_fields = [
        "stage",
        "status",
        "stage_entered_at",
        "last_activity_at",
        "created_by",
        "created_at",
        "updated_at",
    ]
    inlines = [UseCaseMemberInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Proposing a use case names its sponsor and audits the creation: the
        # "Propose a use case" page does both.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Gate reviews, transitions and the audit trail refer to use cases; a
        # use case that should stop is killed at a gate instead.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or access.can_edit_use_case(request.user, obj))

    def save_model(self, request: HttpRequest, obj: UseCase, form: Any, change: bool) -> None:
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if changes:
            services.usecase_update(use_case=obj, by=request.user, **changes)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not UseCaseMember:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)
        try:
            for member in formset.deleted_objects:
                services.member_remove(member=member, by=request.user)
            for member in formset.new_objects:
                services.member_add(
                    use_case=form.instance, by=request.user, user=member.user, role=member.role
                )
        except DomainError as exc:
            messages.error(request, str(exc))


@admin.register(UseCaseMember)
class UseCaseMemberAdmin(admin.ModelAdmin):
    """A read-only index of who holds which role where; teams change on the use
    case (here, in its inline, or on its page)."""

    list_display = ["user", "role", "use_case", "added_at"]
    list_filter = ["role"]
    list_select_related = ["user", "use_case"]
    search_fields = ["user__username", "user__last_name", "use_case__title"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Accounts: users, groups, API tokens ---------------------------------------
#
# Groups grant the organisation roles and users head business units, so who
# has an account and in which groups decides who approves. Django's and DRF's
# admins save past any service; these replace them and write through the
# account services, which audit every change. The admins' own permission
# checks stay, and only superusers write.

admin.site.unregister(User)
admin.site.unregister(Group)
admin.site.unregister(TokenProxy)


class SuperuserWrites:
    """Adding, changing and deleting are for superusers, as the account
    services require, on top of the admin's own permission checks."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


USER_MANY_FIELDS = ("groups", "user_permissions")


@admin.register(User)
class AccountUserAdmin(SuperuserWrites, ServiceAdmin, UserAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            services.user_admin_create(by=request.user, user=obj)
        elif form.changed_data:
            # Groups and permissions are saved by the service with the other
            # fields (ServiceAdmin.save_related never calls save_m2m), so one
            # event holds the whole change.
            services.user_admin_change(
                by=request.user,
                user=obj,
                fields=[name for name in form.changed_data if name not in USER_MANY_FIELDS],
                **{
                    name: form.cleaned_data[name]
                    for name in USER_MANY_FIELDS
                    if name in form.changed_data
                },
            )

    def service_delete(self, request: HttpRequest, obj: Any) -> None:
        services.user_admin_delete(by=request.user, user=obj)

    @method_decorator(sensitive_post_parameters())
    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Django's view saves the password form itself, past any service. A
        valid post is handled here instead, through the audited service in one
        transaction; anything else (the form, a 404 or 403, an invalid or
        conflicting post) gets Django's own answer."""
        if request.method != "POST":
            return super().user_change_password(request, id, form_url)
        with transaction.atomic(using=router.db_for_write(self.model)):
            user = self.get_object(request, unquote(id))
            if user is None or not self.has_change_permission(request, user):
                return super().user_change_password(request, id, form_url)
            form = self.change_password_form(user, request.POST)
            if not form.is_valid():
                return super().user_change_password(request, id, form_url)
            usable = form.cleaned_data["set_usable_password"]
            if not usable and "unset-password" not in request.POST:
                return super().user_change_password(request, id, form_url)
            user = services.user_password_set(
                by=request.user,
                user=user,
                password=form.cleaned_data["password1"] if usable else None,
            )
            self.log_change(request, user, self.construct_change_message(request, form, None))
        if usable:
            messages.success(request, gettext("Password changed successfully."))
        else:
            messages.success(request, gettext("Password-based authentication was disabled."))
        update_session_auth_hash(request, user)
        opts = user._meta
        return HttpResponseRedirect(
            reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                args=(user.pk,),
            )
        )


class AccountGroupForm(forms.ModelForm):
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.order_by("username"),
        required=False,
        widget=FilteredSelectMultiple("members", is_stacked=False),
        help_text="Everyone in the group; for an organisation role, who holds it.",
    )

    class Meta:
        model = Group
        fields = ["name", "permissions"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["members"].initial = list(
                self.instance.user_set.values_list("pk", flat=True)
            )


GROUP_MANY_FIELDS = ("permissions", "members")


@admin.register(Group)
class AccountGroupAdmin(SuperuserWrites, ServiceAdmin, GroupAdmin):
    """An organisation role's group keeps its name and is never deleted: the
    code finds the role by it."""

    form = AccountGroupForm
    fields = ["name", "members", "permissions"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.name in OrgRole.values:
            return ["name"]
        return super().get_readonly_fields(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.name not in OrgRole.values)

    def save_model(self, request: HttpRequest, obj: Group, form: Any, change: bool) -> None:
        if not change:
            services.group_admin_create(
                by=request.user,
                group=obj,
                permissions=form.cleaned_data.get("permissions", ()),
                members=form.cleaned_data.get("members", ()),
            )
        elif form.changed_data:
            services.group_admin_change(
                by=request.user,
                group=obj,
                fields=[name for name in form.changed_data if name not in GROUP_MANY_FIELDS],
                **{
                    name: form.cleaned_data[name]
                    for name in GROUP_MANY_FIELDS
                    if name in form.changed_data
                },
            )

    def service_delete(self, request: HttpRequest, obj: Group) -> None:
        services.group_admin_delete(by=request.user, group=obj)


@admin.register(TokenProxy)
class AccountTokenAdmin(SuperuserWrites, ServiceAdmin, TokenAdmin):
    """Tokens are issued and deleted, never edited (a key moved to another
    user would be theirs without them asking). The list shows a key's first
    characters only; the whole key is shown, read-only, on the token's page."""

    list_display = ["key_prefix", "user", "created"]
    readonly_fields = ["key", "created"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["user"] if obj is None else ["user", "key", "created"]

    @admin.display(description="Key")
    def key_prefix(self, obj: TokenProxy) -> str:
        return f"{obj.key[: services.TOKEN_PREFIX_LENGTH]}…"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def service_create(self, request: HttpRequest, obj: TokenProxy) -> None:
        services.token_create(by=request.user, token=obj)

    def service_delete(self, request: HttpRequest, obj: TokenProxy) -> None:
        services.token_delete(by=request.user, token=obj)
