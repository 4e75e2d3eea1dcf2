# Index for the recurrence check of the SLA sweep (same contract, category and system within N days).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0003_sla'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(fields=['contract', 'category', 'affected_system', 'reported_at'],
                               name='inc_recurrence_idx'),
        ),
    ]
