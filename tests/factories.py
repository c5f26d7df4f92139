"""Factories for test data. Use cases are created in Discovery; to put one in
a later stage, take it through real gate reviews (``tests.journeys``)."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from usecases.models import (
    BusinessUnit,
    BusinessUnitMember,
    MemberRole,
    OrgRole,
    RiskTier,
    UseCase,
    UseCaseMember,
)

User = get_user_model()
PASSWORD = "test-pass-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def org_roles(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))
        if create:
            self.save()


class BusinessUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessUnit
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Business unit {n}")
    code = factory.Sequence(lambda n: f"bu{n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        """``members=[user, ...]``: people who work in the unit (they may
        propose its use cases)."""
        if create and extracted:
            for user in extracted:
                BusinessUnitMember.objects.get_or_create(business_unit=self, user=user)


class UseCaseFactory(factory.django.DjangoModelFactory):
    """A use case in Discovery. Pass ``sponsor=`` (and ``technical_lead=``,
    ``contributors=[...]``) to put people in roles on it."""

    class Meta:
        model = UseCase
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Use case {n}")
    summary = "Automate triage of incoming requests with a classifier."
    business_problem = "Manual triage takes two days per request."
    value_hypothesis = "Triage in minutes frees analysts for complex cases."
    quantified_outcome = "Cut triage time by 60%"
    assumptions = "Volumes stay at 2,000 requests a month."
    success_metrics = "Median triage time; analyst hours saved."
    data_sources = "Ticketing system export; CRM."
    risk_tier = RiskTier.MEDIUM
    business_unit = factory.SubFactory(BusinessUnitFactory)

    @factory.post_generation
    def sponsor(self, create, extracted, **kwargs):
        if create and extracted:
            UseCaseMember.objects.create(use_case=self, user=extracted, role=MemberRole.SPONSOR)

    @factory.post_generation
    def technical_lead(self, create, extracted, **kwargs):
        if create and extracted:
            UseCaseMember.objects.create(
                use_case=self, user=extracted, role=MemberRole.TECHNICAL_LEAD
            )

    @factory.post_generation
    def contributors(self, create, extracted, **kwargs):
        if create and extracted:
            for user in extracted:
                UseCaseMember.objects.create(use_case=self, user=user, role=MemberRole.CONTRIBUTOR)


__all__ = ["PASSWORD", "BusinessUnitFactory", "OrgRole", "UseCaseFactory", "UserFactory"]
