"""Default data: the scorecard's PoC-to-production multipliers (Strategy 5):
infrastructure 3-6x, development 3-5x, data preparation 3-6x."""

from decimal import Decimal

from django.db import migrations

MULTIPLIERS = [
    ("infrastructure", Decimal(3), Decimal(6)),
    ("development", Decimal(3), Decimal(5)),
    ("data_preparation", Decimal(3), Decimal(6)),
]


def load(apps, schema_editor):
    CostMultiplier = apps.get_model("value", "CostMultiplier")
    for category, low, high in MULTIPLIERS:
        CostMultiplier.objects.get_or_create(category=category, defaults={"low": low, "high": high})


def unload(apps, schema_editor):
    apps.get_model("value", "CostMultiplier").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("value", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
