"""The user of a screen's session is read with their roles in one query (every screen checks a
role), and the roles are read anew on every request: a role taken away counts at once."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oms.roles import Role

pytestmark = pytest.mark.django_db


def test_a_screen_reads_the_user_and_their_roles_in_one_query(role_client):
    client = role_client(Role.CUSTOMER_SERVICE, Role.WAREHOUSE)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("orders:enter")).status_code == 200
    # the role names (a permission check reads the groups' permissions, not their names)
    reads = [query["sql"] for query in captured.captured_queries if '"auth_group"."name"' in query["sql"]]
    assert len(reads) == 1 and '"auth_user"."username"' in reads[0], reads


def test_a_role_taken_away_is_refused_at_the_next_request(make_user):
    user = make_user(Role.CUSTOMER_SERVICE)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("orders:enter")).status_code == 200
    user.groups.remove(Group.objects.get(name=Role.CUSTOMER_SERVICE))
    assert client.get(reverse("orders:enter")).status_code == 403


def test_a_superuser_without_groups_may_use_every_screen_and_an_inactive_user_none(make_user):
    boss = make_user(is_superuser=True)
    client = Client()
    client.force_login(boss)
    assert client.get(reverse("orders:enter")).status_code == 200
    type(boss).objects.filter(pk=boss.pk).update(is_active=False)
    response = client.get(reverse("orders:enter"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
