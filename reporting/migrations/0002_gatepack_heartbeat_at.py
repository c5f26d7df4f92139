from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reporting', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='gatepack',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
