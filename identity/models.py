"""Single sign-on: how the identity provider's groups become roles here, who
signed in through it, and which roles it granted (so that it removes only
those)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.labels import ChoiceLabels
from usecases.models import BusinessUnit, OrgRole


class GroupMapping(ChoiceLabels, models.Model):
    """An identity provider group and what it grants at every sign-in: an
    organisation role, a business unit membership, or both."""

    idp_group = models.CharField(
        _("identity provider group"),
        max_length=200,
        unique=True,
        help_text=_("The group's name exactly as the provider sends it in the groups claim."),
    )
    org_role = models.CharField(
        _("organisation role"), max_length=40, choices=OrgRole.choices, blank=True
    )
    business_unit = models.ForeignKey(
        BusinessUnit,
        verbose_name=_("business unit"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sso_group_mappings",
        help_text=_("Members of the group become members of this business unit."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["idp_group"]
        verbose_name = _("group mapping")
        constraints = [
            models.CheckConstraint(
                condition=~Q(org_role="") | Q(business_unit__isnull=False),
                name="identity_mapping_grants_something",
            ),
        ]

    def __str__(self) -> str:
        return self.idp_group


class SsoIdentity(models.Model):
    """The provider's subject for an account created or used by single sign-on.
    A later sign-in finds the account by issuer and subject, never by a name or
    address the provider may reassign."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identity"
    )
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("single sign-on identity")
        verbose_name_plural = _("single sign-on identities")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="identity_issuer_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.subject})"


class SsoGrant(ChoiceLabels, models.Model):
    """A role or business unit membership that single sign-on granted.

    A sign-in removes what it granted and the mappings no longer give; a role
    someone held before single sign-on would have granted it (given by hand)
    has no row here, so sign-ins never remove it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_grants"
    )
    org_role = models.CharField(max_length=40, choices=OrgRole.choices, blank=True)
    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(~Q(org_role="") & Q(business_unit__isnull=True))
                | (Q(org_role="") & Q(business_unit__isnull=False)),
                name="identity_grant_one_thing",
            ),
            models.UniqueConstraint(
                fields=["user", "org_role"],
                condition=~Q(org_role=""),
                name="identity_grant_role_once",
            ),
            models.UniqueConstraint(
                fields=["user", "business_unit"],
                condition=Q(business_unit__isnull=False),
                name="identity_grant_unit_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.org_role or self.business_unit_id}"
