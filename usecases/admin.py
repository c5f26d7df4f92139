"""Admin for the portfolio. Changes to use cases and teams go through the same
services as the pages, so they are permission-checked and audited; stage and
status are shown, never edited. Business units are edited through their own
audited services, and so are accounts: Django's user and group admins are
replaced by ones that write through the account services. API tokens (knox)
are listed and revoked, and accounts locked after failed sign-ins (django-axes)
listed and unlocked, by program leads and administrators, through the same
services."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessLog
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db import router, transaction
from django.db.models import OuterRef, Subquery, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from knox.models import AuthToken

from core.admin import ServiceAdmin, ServiceInline
from core.errors import DomainError, InvalidInput
from usecases import access, services
from usecases.forms import FORM_FIELDS, UseCaseForm
from usecases.models import (
    BusinessUnit,
    BusinessUnitMember,
    CustomField,
    OrgRole,
    UseCase,
    UseCaseMember,
)

User = get_user_model()


class BusinessUnitMemberInline(ServiceInline):
    """Who works in the unit: they may propose its use cases."""

    model = BusinessUnitMember
    extra = 0
    fields = ["user", "added_at"]
    readonly_fields = ["added_at"]
    raw_id_fields = ["user"]
    verbose_name = "member (may propose use cases)"
    verbose_name_plural = "members (may propose use cases)"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Added or removed (both audited), never moved to another person.
        return False

    def service_create(self, request: HttpRequest, obj: BusinessUnitMember, parent: Any) -> None:
        services.business_unit_member_add(by=request.user, business_unit=parent, user=obj.user)

    def service_delete(self, request: HttpRequest, obj: BusinessUnitMember) -> None:
        services.business_unit_member_remove(by=request.user, member=obj)


@admin.register(BusinessUnit)
class BusinessUnitAdmin(ServiceAdmin):
    inlines = [BusinessUnitMemberInline]
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


class CustomFieldAdminForm(forms.ModelForm):
    choices_text = forms.CharField(
        label=gettext_lazy("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("For single and multiple choice fields: one choice per line."),
    )

    class Meta:
        model = CustomField
        fields = ["key", "label", "help_text", "kind", "required_from_stage", "active", "order"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["choices_text"].initial = "\n".join(self.instance.choices or [])
        if self.instance.pk:
            # Fixed once created: the values stored under them would be stranded.
            self.fields["key"].disabled = True
            self.fields["kind"].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lines = (data.get("choices_text") or "").splitlines()
        self.instance.choices = [line.strip() for line in lines if line.strip()]
        return data


@admin.register(CustomField)
class CustomFieldAdmin(ServiceAdmin):
    """Custom fields of use cases: every add and change goes through
    ``services.custom_field_*`` (audited ``custom_field.*``). A field is never
    deleted, only deactivated (untick "active"): the values stay with the use
    cases."""

    form = CustomFieldAdminForm
    list_display = ["label", "key", "kind", "required_from_stage", "active", "order"]
    list_filter = ["kind", "active", "required_from_stage"]
    search_fields = ["label", "key"]
    fields = [
        "key",
        "label",
        "help_text",
        "kind",
        "choices_text",
        "required_from_stage",
        "active",
        "order",
    ]

    def service_create(self, request: HttpRequest, obj: CustomField) -> None:
        services.custom_field_create(by=request.user, field=obj)

    def service_change(self, request: HttpRequest, obj: CustomField, fields: list[str]) -> None:
        names = [n if n != "choices_text" else "choices" for n in fields]
        names = [n for n in names if n in services.CUSTOM_FIELD_FIELDS]
        services.custom_field_change(by=request.user, field=obj, fields=names)

    def service_delete(self, request: HttpRequest, obj: CustomField) -> None:
        services.custom_field_deactivate(by=request.user, field=obj)


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
        # Set by the risk classification (the use case's Risk classification page).
        "risk_tier",
        "regulatory_constraints",
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
        # The facts only: the custom fields are edited on the use case's own
        # form (the admin does not show them).
        changes = {
            name: form.cleaned_data[name] for name in form.changed_data if name in FORM_FIELDS
        }
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


# --- Accounts: users, groups, API tokens, lockouts ----------------------------
#
# Groups grant the organisation roles and users head business units, so who
# has an account and in which groups decides who approves. Django's admins
# save past any service; these replace them and write through the account
# services, which audit every change. The admins' own permission checks stay,
# and only superusers write. knox's token admin would show and delete past
# the services too, and is replaced below.

admin.site.unregister(User)
admin.site.unregister(Group)
admin.site.unregister(AuthToken)


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


# --- Sign-in: API tokens and locked accounts -----------------------------------
#
# Program leads and administrators see who holds API tokens and which
# accounts django-axes locked after failed sign-ins; they revoke tokens and
# unlock accounts through the audited services. Nothing else is written here:
# the rows are knox's and axes' own. A token shows by its key's first
# characters only (knox keeps the rest as a hash), and has no page of its own.


class LeadsAndAdministrators:
    """Read by program leads and superusers (staff, to reach the admin);
    written only through the actions, which call the services."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.is_program_lead(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_program_lead(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuthToken)
class AccountTokenAdmin(LeadsAndAdministrators, admin.ModelAdmin):
    list_display = ["key_prefix", "user", "created", "expiry"]
    list_display_links = None
    list_select_related = ["user"]
    search_fields = ["user__username", "user__last_name"]
    ordering = ["user__username", "-created"]
    actions = ["revoke_tokens"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The list only: a token's own page would name it by its hash.
        return obj is None and super().has_view_permission(request, obj)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return access.is_program_lead(request.user)

    @admin.display(description="Key")
    def key_prefix(self, obj: AuthToken) -> str:
        return f"{services.token_prefix(obj)}…"

    def action_checkbox(self, obj: AuthToken) -> str:
        # The row is selected by its hash; the label names the token as the
        # list does, not by the hash (the model's str()).
        label = f"Select the API token {services.token_prefix(obj)}… of {obj.user.username}"
        checkbox = forms.CheckboxInput({"class": "action-select", "aria-label": label})
        return checkbox.render(helpers.ACTION_CHECKBOX_NAME, str(obj.pk))

    @admin.action(description="Revoke the selected API tokens", permissions=["revoke"])
    def revoke_tokens(self, request: HttpRequest, queryset: Any) -> None:
        tokens = list(queryset.select_related("user"))
        try:
            with transaction.atomic():
                for token in tokens:
                    services.token_revoke(by=request.user, token=token)
        except DomainError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        names = ", ".join(f"{services.token_prefix(t)}… of {t.user.username}" for t in tokens)
        self.message_user(request, f"Revoked {names}.", messages.SUCCESS)


class UnlockForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why the accounts are unlocked; it goes to the audit trail.",
    )


@admin.register(AccessAttempt)
class LockedAccountAdmin(LeadsAndAdministrators, AccessAttemptAdmin):
    """Failed sign-ins per username, address and browser; a username is
    locked when those within the cool-off reach the limit."""

    list_display = [
        "username",
        "locked",
        "failures_since_start",
        "attempt_time",
        "ip_address",
        "user_agent",
        "path_info",
    ]
    list_filter = ["attempt_time", "path_info"]
    actions = ["unlock_accounts"]

    def get_queryset(self, request: HttpRequest) -> Any:
        since = timezone.now() - settings.AXES_COOLOFF_TIME
        counted = (
            AccessAttempt.objects.filter(username=OuterRef("username"), attempt_time__gte=since)
            .values("username")
            .annotate(total=Sum("failures_since_start"))
            .values("total")
        )
        return super().get_queryset(request).annotate(counted_failures=Subquery(counted))

    @admin.display(description="Locked", boolean=True)
    def locked(self, obj: AccessAttempt) -> bool:
        return (obj.counted_failures or 0) >= settings.AXES_FAILURE_LIMIT

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return services.account_unlock_refusal(request.user) is None

    @admin.action(description="Unlock the selected accounts…", permissions=["unlock"])
    def unlock_accounts(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        """Asks for the reason first, then unlocks every selected username
        (all or none) through the audited service."""
        usernames = sorted({name for name in queryset.values_list("username", flat=True) if name})
        form = UnlockForm(request.POST if "unlock" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                with transaction.atomic():
                    for username in usernames:
                        services.account_unlock(
                            by=request.user, username=username, reason=form.cleaned_data["reason"]
                        )
            except InvalidInput as exc:
                form.add_error("reason", exc.message)
            except DomainError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
            else:
                self.message_user(request, f"Unlocked {', '.join(usernames)}.", messages.SUCCESS)
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Unlock accounts",
            "form": form,
            "usernames": usernames,
            "queryset": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/usecases/unlock_accounts.html", context)


@admin.register(AccessLog)
class SignInLogAdmin(LeadsAndAdministrators, AccessLogAdmin):
    """Successful sign-ins, as django-axes records them."""
