# When a resolution clock raises the incident level by itself (sla.escalation).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sla', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='slaclock',
            name='escalate_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='escalates at'),
        ),
    ]
