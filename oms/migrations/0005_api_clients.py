"""API clients (API.md 1.1). Existing DRF tokens of API users become clients with every scope
(``all``, unbound), under the same user and the same token, so nothing breaks; a manager narrows
them afterwards (README). Tokens of staff users (a staff role, or a superuser) stay DRF tokens
and keep acting with the user's roles."""

import hashlib

import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


STAFF_ROLES = ["customer_service", "warehouse", "purchasing", "accounting", "manager"]


def tokens_to_clients(apps, schema_editor):
    """Each DRF token of a user without a staff role becomes an ``ApiClient`` with scope
    ``all``; the token row is deleted (a client's token is stored only as its hash)."""
    Token = apps.get_model("authtoken", "Token")
    ApiClient = apps.get_model("oms", "ApiClient")
    for token in Token.objects.select_related("user").order_by("created"):
        user = token.user
        if user.is_superuser or user.groups.filter(name__in=STAFF_ROLES).exists():
            continue
        ApiClient.objects.create(
            name=f"{user.username} (token before 1.1)"[:100],
            channel="",
            scopes=["all"],
            user=user,
            prefix=token.key[:8],
            token_hash=hashlib.sha256(token.key.encode()).hexdigest(),
            created_at=token.created,
        )
        token.delete()


class Migration(migrations.Migration):

    dependencies = [
        ('authtoken', '0004_alter_tokenproxy_options'),
        ('oms', '0004_idempotency_user_no_extra_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiClient',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100)),
                ('channel', models.CharField(blank=True, help_text='Empty: not bound to a channel', max_length=10)),
                ('scopes', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=30), default=list, size=None)),
                ('prefix', models.CharField(max_length=12)),
                ('token_hash', models.CharField(max_length=64, unique=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('last_used_at', models.DateTimeField(blank=True, null=True)),
                ('revoked_at', models.DateTimeField(blank=True, null=True)),
                ('created_by', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='api_client', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['name', 'id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('channel__in', ['', 'web', 'phone', 'store', 'b2b'])), name='api_client_channel_valid')],
            },
        ),
        migrations.RunPython(tokens_to_clients, migrations.RunPython.noop),
    ]
