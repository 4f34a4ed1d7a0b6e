import django.db.models.deletion
from django.conf import settings
from django.db import connection, migrations, models


def count_existing(apps, schema_editor):
    """Count the complaints already there, as ``manage.py rebuild_report_counts`` does."""
    from reports.rollups import rebuild_counts
    from tenancy.models import Tenant

    tenant = Tenant.objects.filter(schema_name=connection.schema_name).first()
    if tenant is None:
        return
    migrating = connection.tenant
    connection.tenant = tenant
    try:
        rebuild_counts()
    finally:
        connection.tenant = migrating


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('complaints', '0003_closed_moment_index'),
        ('configuration', '0001_initial'),
        ('deadlines', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DailyCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('measure', models.CharField(choices=[('received', 'Received'), ('settled', 'Settled'), ('closed', 'Closed'), ('active', 'Active')], max_length=12)),
                ('day', models.DateField(null=True)),
                ('outcome', models.CharField(blank=True, max_length=16)),
                ('band', models.CharField(blank=True, choices=[('summary', 'Within 3 business days'), ('final', 'After 3 business days, within 8 weeks'), ('later', 'After 8 weeks')], max_length=8)),
                ('redress_currency', models.CharField(max_length=3, null=True)),
                ('slot', models.PositiveSmallIntegerField(default=0)),
                ('count', models.IntegerField(default=0)),
                ('amount', models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ('assignee', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('category', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='complaints.category')),
                ('team', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='complaints.team')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('measure', 'day', 'category', 'team', 'outcome', 'assignee', 'band', 'redress_currency', 'slot'), name='daily_count_one_row_per_key', nulls_distinct=False)],
            },
        ),
        migrations.RunPython(count_existing, migrations.RunPython.noop),
    ]
