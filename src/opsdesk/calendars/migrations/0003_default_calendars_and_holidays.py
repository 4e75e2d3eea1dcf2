"""Seed the default calendars (24x7, 5x8) and the statutory holidays of every year chinesecalendar knows."""

from django.db import migrations


def seed(apps, schema_editor):
    from opsdesk.calendars.defaults import install_defaults

    install_defaults(apps)


class Migration(migrations.Migration):

    dependencies = [
        ("calendars", "0002_schedules_holidays_overrides"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
