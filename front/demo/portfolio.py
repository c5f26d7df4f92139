"""The demo accounts, business units and use cases, as data."""

from __future__ import annotations

from dataclasses import dataclass, field

from usecases.models import OrgRole, RiskTier

DEMO_PASSWORD = "demo"

ACCOUNTS = [
    # username, first, last, org roles, staff
    ("lead", "Lena", "Lindqvist", [OrgRole.PROGRAM_LEAD], False),
    ("sponsor", "Sam", "Okafor", [], False),
    ("techlead", "Tara", "Nguyen", [], False),
    ("buhead", "Bea", "Hoffmann", [], False),
    ("cio", "Carl", "Mendes", [OrgRole.CIO_CTO], False),
    ("risk", "Rita", "Kowalski", [OrgRole.RISK_COMPLIANCE], False),
    ("exec", "Eve", "Castillo", [OrgRole.EXECUTIVE], False),
    ("admin", "Ada", "Admin", [OrgRole.PROGRAM_LEAD], True),
    ("maria", "Maria", "Santos", [], False),
    ("omar", "Omar", "Haddad", [], False),
    ("nina", "Nina", "Berg", [], False),
    ("raj", "Raj", "Patel", [], False),
    ("li", "Li", "Wei", [], False),
]

BUSINESS_UNITS = [
    ("Claims Operations", "claims", "buhead"),
    ("Customer Service", "service", "nina"),
    ("Finance", "finance", "raj"),
    ("Supply Chain", "supply", "buhead"),
]

# Who works in which unit (they may propose its use cases), beyond the heads
# and the teams of its use cases.
BUSINESS_UNIT_MEMBERS = [
    ("claims", "sponsor"),
    ("claims", "maria"),
    ("service", "omar"),
    ("finance", "li"),
]


# Custom fields an administrator defined: key, label, help, kind, choices,
# required from stage.
CUSTOM_FIELDS = [
    (
        "data_owner",
        "Data owner",
        "Who grants access to the data the use case reads and answers for its quality.",
        "person",
        [],
        "poc",
    ),
    ("cost_centre", "Cost centre", "The cost centre that carries the spend.", "text", [], ""),
    (
        "deployment_region",
        "Deployment region",
        "Where the model and its data are hosted.",
        "choice",
        ["EU (Frankfurt)", "EU (Dublin)", "US East", "APAC (Singapore)"],
        "",
    ),
]
REGIONS = {
    "claims": "EU (Frankfurt)",
    "service": "EU (Dublin)",
    "finance": "EU (Frankfurt)",
    "supply": "US East",
}


@dataclass
class DemoCase:
    title: str
    bu: str
    summary: str
    problem: str
    outcome: str
    risk: str = RiskTier.MEDIUM
    regulations: list[str] = field(default_factory=list)
    sponsor: str = "sponsor"
    techlead: str = "techlead"
    contributors: list[str] = field(default_factory=lambda: ["li"])
    gates_passed: int = 0
    # What happens after the passed gates: None (idle), "open", "submitted",
    # "returned" (submitted, then returned for rework by the chair),
    # "half_approved", "hold", "kill", "recycle", "conditional"; or "withdraw"
    # (the sponsor withdraws it before any gate)
    then: str | None = None
    # Days in the current stage; None picks a figure inside the stage's norm.
    in_stage_days: int | None = None
    # Days from opening a review to its planned gate date: a short one makes
    # the open review late today.
    planned_after_days: int = 14
    # In operation at Scale: "drift" (a monitored KPI breaks its bound and an
    # incident follows: a recertification opened early), "due" (the schedule
    # opens its recertification today), "retire" (recertified once on
    # schedule, then retired with its decommissioning checklist).
    operate: str | None = None


CASES = [
    DemoCase(
        "Claims triage assistant",
        "claims",
        "Route incoming claims to the right handler from the first notice of loss.",
        "Manual triage takes two working days per claim and misroutes one in eight.",
        "Cut claim triage time from 2 days to 2 hours",
        RiskTier.HIGH,
        ["gdpr"],
    ),
    DemoCase(
        "Subrogation opportunity finder",
        "claims",
        "Flag paid claims where a third party is liable.",
        "Recoverable amounts are missed because adjusters have no time to review files.",
        "Recover an extra 1.2M EUR a year",
        gates_passed=0,
        then="open",
        planned_after_days=3,
    ),
    DemoCase(
        "Fraud ring detection",
        "claims",
        "Graph analytics over claims, parties and repair shops to surface organised fraud.",
        "Organised fraud is found only after payouts, by tip-offs.",
        "Reduce fraud leakage by 15%",
        RiskTier.HIGH,
        ["gdpr", "eu_ai_act"],
        gates_passed=1,
        then="submitted",
    ),
    DemoCase(
        "Repair estimate photo review",
        "claims",
        "Estimate vehicle damage from policyholder photos.",
        "Desk assessors re-key estimates from body shops.",
        "Settle 30% of motor claims without an assessor visit",
        gates_passed=1,
    ),
    DemoCase(
        "Medical bill coding check",
        "claims",
        "Check medical invoices against treatment codes.",
        "Coding errors cause overpayment on bodily injury claims.",
        "Save 400k EUR a year in overpayments",
        RiskTier.HIGH,
        ["hipaa"],
        gates_passed=2,
        then="half_approved",
    ),
    DemoCase(
        "Litigation propensity model",
        "claims",
        "Predict which claims will go to litigation.",
        "Litigated claims cost 4x more; early settlement offers come too late.",
        "Reduce litigation rate by 10%",
        RiskTier.HIGH,
        ["eu_ai_act"],
        gates_passed=2,
        then="hold",
    ),
    DemoCase(
        "Claims correspondence drafting",
        "claims",
        "Draft letters to claimants for handler review.",
        "Handlers spend 25% of their day writing letters.",
        "Free 6,000 handler hours a year",
        gates_passed=3,
    ),
    DemoCase(
        "First notice of loss chatbot",
        "claims",
        "Take first notice of loss through a guided conversation.",
        "Call centre peaks delay claim registration.",
        "Register 40% of claims without a call",
        gates_passed=4,
        operate="drift",
    ),
    DemoCase(
        "Customer email intent routing",
        "service",
        "Classify inbound customer e-mail by intent and urgency.",
        "E-mails wait in a shared inbox for 3 days on average.",
        "Answer 80% of e-mails within one working day",
        sponsor="maria",
        contributors=["li", "omar"],
    ),
    DemoCase(
        "Agent assist knowledge search",
        "service",
        "Suggest knowledge articles to agents during calls.",
        "Agents put customers on hold to search the wiki.",
        "Cut average handle time by 12%",
        sponsor="maria",
        gates_passed=1,
        then="open",
    ),
    DemoCase(
        "Churn early warning",
        "service",
        "Predict customers likely to cancel in the next 90 days.",
        "Retention offers go out only after cancellation requests.",
        "Retain 2,000 more customers a year",
        RiskTier.MEDIUM,
        ["gdpr"],
        sponsor="maria",
        gates_passed=1,
        then="kill",
    ),
    DemoCase(
        "Complaint root cause clustering",
        "service",
        "Cluster complaint texts into root causes each month.",
        "Complaint reporting is a manual tally by category.",
        "Halve time to detect a new complaint driver",
        sponsor="maria",
        gates_passed=2,
    ),
    DemoCase(
        "Call summarisation",
        "service",
        "Summarise calls into the CRM automatically.",
        "After-call work takes 90 seconds per call.",
        "Save 45 seconds of after-call work per call",
        sponsor="sponsor",
        gates_passed=3,
        then="open",
    ),
    DemoCase(
        "Voice of customer dashboard",
        "service",
        "Sentiment and topic trends across all channels.",
        "Insight comes from quarterly surveys only.",
        "Monthly insight into the top 10 drivers of dissatisfaction",
        sponsor="maria",
        gates_passed=0,
        then="recycle",
    ),
    DemoCase(
        "Invoice matching automation",
        "finance",
        "Match supplier invoices to purchase orders and receipts.",
        "Three-way matching is manual for 35% of invoices.",
        "Raise straight-through processing from 65% to 90%",
        RiskTier.MEDIUM,
        ["sox"],
        sponsor="omar",
    ),
    DemoCase(
        "Cash flow forecasting",
        "finance",
        "Forecast 13-week cash flow from ledger and bank data.",
        "Treasury builds the forecast by hand in spreadsheets each week.",
        "Forecast error under 5% at 4 weeks",
        RiskTier.MEDIUM,
        ["sox"],
        sponsor="omar",
        gates_passed=1,
        in_stage_days=71,
    ),
    DemoCase(
        "Expense anomaly detection",
        "finance",
        "Detect unusual expense claims for audit.",
        "Audit samples 2% of claims at random.",
        "Find 3x more policy breaches with the same audit effort",
        sponsor="omar",
        gates_passed=2,
        then="conditional",
    ),
    DemoCase(
        "Credit limit recommendation",
        "finance",
        "Recommend credit limits for business customers.",
        "Credit reviews are annual and miss changes in risk.",
        "Reduce bad debt write-offs by 20%",
        RiskTier.HIGH,
        ["fcra", "eu_ai_act"],
        sponsor="omar",
        gates_passed=2,
        then="submitted",
    ),
    DemoCase(
        "Month-end close narrative drafting",
        "finance",
        "Draft variance commentary for the month-end pack.",
        "Controllers spend two days writing variance commentary.",
        "Close the books one day earlier",
        RiskTier.LOW,
        ["sox"],
        sponsor="omar",
        gates_passed=3,
    ),
    DemoCase(
        "Demand forecasting for spare parts",
        "supply",
        "Forecast spare-part demand per depot.",
        "Stock-outs and overstock at the same time across depots.",
        "Cut stock-outs by 25% with 10% less inventory",
        sponsor="sponsor",
        in_stage_days=41,
    ),
    DemoCase(
        "Supplier risk monitoring",
        "supply",
        "Monitor news and filings for supplier distress.",
        "Supplier failures surprise procurement.",
        "Warn 60 days before 80% of supplier failures",
        sponsor="sponsor",
        gates_passed=0,
        then="returned",
    ),
    DemoCase(
        "Route optimisation for field engineers",
        "supply",
        "Plan field engineer routes daily.",
        "Planners build routes by hand; engineers drive 20% more than needed.",
        "Cut drive time by 15%",
        sponsor="sponsor",
        gates_passed=1,
        then="hold",
    ),
    DemoCase(
        "Warehouse pick-path optimisation",
        "supply",
        "Sequence picks to shorten walking paths.",
        "Pickers walk 12 km a shift.",
        "Raise picks per hour by 18%",
        RiskTier.LOW,
        sponsor="sponsor",
        gates_passed=2,
        in_stage_days=121,
    ),
    DemoCase(
        "Document intake for customs",
        "supply",
        "Extract customs data from commercial invoices.",
        "Brokers re-key invoice data into customs systems.",
        "Clear shipments 1 day faster",
        sponsor="sponsor",
        gates_passed=4,
        # Medium risk: recertified every 12 months, the first due in 3 weeks.
        in_stage_days=344,
        operate="due",
    ),
    DemoCase(
        "Expense receipt checking",
        "finance",
        "Check expense claims against receipts and the travel policy.",
        "Auditors sample 5% of expense claims by hand; policy breaches go unseen.",
        "Check 100% of claims, cut audit effort by half",
        RiskTier.MEDIUM,
        ["sox"],
        sponsor="omar",
        gates_passed=4,
        in_stage_days=430,
        operate="retire",
    ),
    DemoCase(
        "Inventory write-off prediction",
        "supply",
        "Predict slow-moving stock likely to be written off.",
        "Write-offs are found at year-end counts.",
        "Cut write-offs by 30%",
        sponsor="sponsor",
        gates_passed=0,
        then="kill",
    ),
    DemoCase(
        "Contract clause extraction",
        "finance",
        "Extract renewal and penalty clauses from supplier contracts.",
        "Auto-renewals are missed; penalties are paid.",
        "Avoid 250k EUR of unwanted renewals a year",
        sponsor="omar",
        gates_passed=3,
        then="half_approved",
    ),
    DemoCase(
        "Call summary drafting",
        "service",
        "Draft the after-call summary for agents to check and send.",
        "Agents spend four minutes per call writing notes.",
        "Save 3 minutes per call",
        sponsor="sponsor",
        gates_passed=0,
        then="withdraw",
    ),
]
