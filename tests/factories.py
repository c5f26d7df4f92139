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

    @factory.post_generation
    def risk_classified(self, create, extracted, **kwargs):
        """Classified by default, through the real services (what Gate 1
        needs): the team answers, and Rita of risk and compliance (the
        ``risk`` fixture's person) keeps the tier and regulations the use case
        was made with. ``risk_classified=False`` leaves it unclassified;
        without a team there is nobody to answer, so it stays unclassified."""
        if not create or extracted is False:
            return
        classify(self)


def risk_officer():
    # The existing person as they are: making them again would set their
    # password again and end the sessions tests signed in with.
    existing = User.objects.filter(username="risk").first()
    if existing is not None:
        return existing
    return UserFactory(
        username="risk", first_name="Rita", last_name="Risk", org_roles=[OrgRole.RISK_COMPLIANCE]
    )


def classify(use_case, *, answers=None, by=None, officer=None, confirm=False):
    """Answer the risk questionnaire (all "no" unless ``answers``) as a team
    member and have risk and compliance decide: confirm when the proposal
    matches the use case's tier and regulations (or ``confirm``), else keep
    those with a reason."""
    from usecases import risk as questionnaire
    from usecases.services import risk_answer, risk_decide

    if by is None:
        member = use_case.members.select_related("user").order_by("role", "id").first()
        if member is None:
            return None
        by = member.user
    officer = officer or risk_officer()
    tier, regulations = use_case.risk_tier, list(use_case.regulatory_constraints)
    classification = risk_answer(
        use_case=use_case, by=by, answers=answers or questionnaire.blank_answers()
    )
    proposed = (classification.proposed_tier, classification.proposed_regulations)
    if confirm or proposed == (tier, regulations):
        classification = risk_decide(classification=classification, by=officer, confirm=True)
    else:
        classification = risk_decide(
            classification=classification,
            by=officer,
            tier=tier,
            regulations=regulations,
            reason="Kept the classification the use case was proposed with.",
        )
    use_case.refresh_from_db()
    return classification


__all__ = [
    "PASSWORD",
    "BusinessUnitFactory",
    "OrgRole",
    "UseCaseFactory",
    "UserFactory",
    "classify",
    "risk_officer",
]
