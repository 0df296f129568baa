"""Issue 14 §3: password guessing. Five wrong passwords lock the (username, address) pair with a
clear page, a manager unlocks it, the admin has no second login door, and weak passwords are
refused."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from oms.roles import Role

PASSWORD = "pw-for-tests-only"


def _login(client, username, password, address="198.51.100.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.django_db
def test_login_five_wrong_passwords_lock_the_pair_even_for_the_right_password(make_user):
    # given
    user = make_user(Role.WAREHOUSE)
    client = Client()
    for _ in range(4):
        assert _login(client, user.username, "wrong-guess").status_code == 200
    assert _login(client, user.username, "wrong-guess").status_code == 429  # the fifth locks
    # when: the right password from the same address
    response = _login(client, user.username, PASSWORD)
    # then
    assert response.status_code == 429
    assert b'data-testid="locked-out"' in response.content
    assert b"Try again in 15 minutes" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_lock_is_per_address_so_the_user_can_still_log_in_elsewhere(make_user):
    user = make_user(Role.WAREHOUSE)
    for _ in range(6):
        _login(Client(), user.username, "wrong-guess", address="198.51.100.7")
    response = _login(Client(), user.username, PASSWORD, address="192.0.2.44")
    assert response.status_code == 302


@pytest.mark.django_db
def test_login_a_success_before_the_limit_clears_the_count(make_user):
    user = make_user(Role.WAREHOUSE)
    for _ in range(4):
        _login(Client(), user.username, "wrong-guess")
    assert _login(Client(), user.username, PASSWORD).status_code == 302
    for _ in range(4):
        _login(Client(), user.username, "wrong-guess")
    assert _login(Client(), user.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_lockout_release_by_a_manager_lets_the_user_in_again(make_user, manager_client):
    # given a locked pair
    user = make_user(Role.WAREHOUSE)
    for _ in range(5):
        _login(Client(), user.username, "wrong-guess")
    assert _login(Client(), user.username, PASSWORD).status_code == 429
    # when the manager looks and unlocks it
    page = manager_client.get(reverse("lockouts"))
    assert page.status_code == 200 and user.username.encode() in page.content
    attempt = AccessAttempt.objects.get(username=user.username)
    response = manager_client.post(reverse("lockout_release", args=[attempt.pk]), follow=True)
    # then
    assert b"can log in again" in response.content
    assert not AccessAttempt.objects.filter(username=user.username).exists()
    assert _login(Client(), user.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_lockouts_screen_is_for_managers_only(role_client):
    assert role_client(Role.ACCOUNTING).get(reverse("lockouts")).status_code == 403


@pytest.mark.django_db
def test_admin_login_is_our_throttled_login(client, make_user):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=%2Fadmin%2F"
    # guessing through the admin's old form is not possible: a POST goes nowhere new
    user = make_user(Role.MANAGER, is_staff=True)
    response = client.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_admin_index_sends_an_anonymous_visitor_to_our_login(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "abababababab", "123123123123", "password1234"])
def test_password_validators_refuse_weak_passwords(password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.django_db
def test_password_validators_refuse_one_like_the_username(django_user_model):
    user = django_user_model(username="jansen.warehouse", email="jansen@oms.example", first_name="Jansen")
    with pytest.raises(ValidationError):
        validate_password("jansen.warehouse1", user=user)


def test_password_validators_accept_a_long_passphrase():
    validate_password("correct horse battery staple")


@pytest.mark.django_db
def test_client_login_without_a_request_still_works(client, make_user):
    """Server-side ``authenticate`` calls (tests, commands) pass no request; they are not guesses."""
    user = make_user(Role.WAREHOUSE)
    assert client.login(username=user.username, password=PASSWORD)
