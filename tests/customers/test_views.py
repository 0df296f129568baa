"""Customer screens: full page vs htmx fragment, form errors a user sees, effects, roles."""

import re

import pytest

from customers.models import Address, Customer
from tests.factories.customers import AddressFactory, CustomerFactory

pytestmark = pytest.mark.django_db

CREATE = {
    "kind": "b2c",
    "name": "Piet Jansen",
    "email": "piet@example.nl",
    "phone": "06 12345678",
    "preferred_payment_method": "ideal",
    "payment_terms_days": "14",
    "credit_limit": "0",
    "language": "nl",
    "billing-street": "Kerkstraat",
    "billing-house_number": "12a",
    "billing-postal_code": "1234ab",
    "billing-city": "Amsterdam",
    "billing-country": "NL",
}


@pytest.fixture
def cs(role_client):
    return role_client("customer_service")


@pytest.fixture
def customer():
    customer = CustomerFactory(name="Bram <b>Bakker</b>", email="bram@example.nl")
    AddressFactory(customer=customer, kind="billing", postal_code="3511 AB")
    return customer


def _html(response) -> str:
    return response.content.decode()


def test_customer_list_serves_the_page_and_the_search_fragment(cs, customer, htmx_headers):
    page = cs.get("/customers/")
    assert page.status_code == 200 and "<html" in _html(page)
    assert 'id="customer-search"' in _html(page) and "data-search" in _html(page)
    fragment = cs.get("/customers/", {"q": "bram"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in _html(fragment) and 'id="customer-results"' in _html(fragment)
    assert customer.number in _html(fragment)
    assert "HX-Request" in fragment["Vary"]


def test_customer_list_says_when_nothing_matches_or_the_query_is_short(cs, customer):
    assert "No customer matches" in _html(cs.get("/customers/", {"q": "zzzqqq"}, headers={"HX-Request": "true"}))
    short = _html(cs.get("/customers/", {"q": "ab"}, headers={"HX-Request": "true"}))
    assert "Type at least 3 characters." in short and customer.number not in short


def test_customer_list_escapes_names(cs, customer):
    html = _html(cs.get("/customers/", {"q": "bram"}))
    assert "<b>Bakker</b>" not in html and "&lt;b&gt;Bakker&lt;/b&gt;" in html


def test_customer_list_page_uses_a_fixed_number_of_queries(cs, django_assert_max_num_queries):
    for c in CustomerFactory.create_batch(60):
        AddressFactory(customer=c)
    cs.get("/customers/")  # session and user caches warm
    with django_assert_max_num_queries(6) as captured:
        response = cs.get("/customers/")
    assert _html(response).count('data-testid="customer-row"') == 50 and 'rel="next"' in _html(response)
    assert not any("COUNT(" in q["sql"] for q in captured.captured_queries)
    with django_assert_max_num_queries(6):
        searched = _html(cs.get("/customers/", {"q": "klant"}))
    assert searched.count('data-testid="customer-row"') == 50 and 'data-testid="more-results"' in searched


def test_customer_list_hides_new_button_from_accounting(role_client):
    assert 'data-testid="new-customer"' not in _html(role_client("accounting").get("/customers/"))


def test_customer_detail_shows_profile_addresses_credit_and_history(cs, customer):
    html = _html(cs.get(f"/customers/{customer.number}/"))
    assert customer.number in html and "bram@example.nl" in html
    assert "Oudegracht" in html and "3511 AB" in html
    assert 'id="customer-credit"' in html and "Put on credit hold" in html
    assert 'id="customer-history"' in html and "created" in html
    assert f'data-panel="orders:customer_panel" hx-get="/orders/customers/{customer.pk}/panel/"' in html


def test_customer_detail_of_unknown_number_is_404(cs):
    assert cs.get("/customers/C-999999/").status_code == 404


@pytest.mark.urls("tests.customers.urls")
def test_customer_detail_loads_the_panels_other_apps_provide(cs, customer):
    html = _html(cs.get(f"/customers/{customer.number}/"))
    assert f'hx-get="/test-orders/customers/{customer.pk}/panel/" hx-trigger="load"' in html
    assert f'hx-get="/test-billing/customers/{customer.pk}/panel/" hx-trigger="load"' in html
    assert f'hx-get="/shipping/customers/{customer.pk}/panel/" hx-trigger="load"' in html  # shipping provides one
    assert "appear here once the orders app provides its panel" not in html


def test_customer_create_makes_the_customer_with_a_shipping_copy_and_redirects(cs):
    response = cs.post("/customers/new/", CREATE)
    customer = Customer.objects.get(email="piet@example.nl")
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.number}/"
    addresses = {a.kind: a for a in Address.objects.filter(customer=customer)}
    assert addresses["billing"].postal_code == addresses["shipping"].postal_code == "1234 AB"
    assert addresses["billing"].house_number_addition == "A"


def test_customer_create_with_htmx_answers_with_a_client_redirect(cs):
    shipping = {"street": "Damrak", "house_number": "1", "postal_code": "1012LG", "city": "Amsterdam", "country": "NL"}
    form = {**CREATE, "separate_shipping": "on", **{f"shipping-{k}": v for k, v in shipping.items()}}
    response = cs.post("/customers/new/", form, headers={"HX-Request": "true"})
    customer = Customer.objects.get(email="piet@example.nl")
    assert response.status_code == 200 and response["HX-Redirect"] == f"/customers/{customer.number}/"
    assert Address.objects.get(customer=customer, kind="shipping").postal_code == "1012 LG"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"billing-postal_code": "1234"}, "A Dutch postcode is four digits and two letters, e.g. 3511 AB."),
        (
            {"kind": "b2b", "company_name": "X B.V.", "vat_id": "NL000099998B58"},
            "The check digits of this VAT id are wrong.",
        ),
        (
            {"kind": "b2b", "company_name": "X B.V.", "coc_number": "1234"},
            "A KvK number has eight digits, e.g. 12345678.",
        ),
        ({"phone": "12345"}, "Enter a valid phone number, e.g. 06 12345678 or +32 470 12 34 56."),
        ({"kind": "b2b"}, "A business customer needs a company name."),
    ],
)
def test_customer_create_shows_the_error_on_the_field_and_creates_nothing(cs, change, message):
    response = cs.post("/customers/new/", {**CREATE, **change}, headers={"HX-Request": "true"})
    html = _html(response)
    assert response.status_code == 200 and "<html" not in html and 'id="customer-form"' in html
    assert message in html and "is-invalid" in html and 'data-testid="form-errors"' in html
    assert not Customer.objects.exists()


def test_customer_create_focuses_the_first_field_in_error(cs):
    html = _html(cs.post("/customers/new/", {**CREATE, "billing-postal_code": "1"}))
    assert html.count("autofocus") == 1
    assert re.search(r'<input[^>]*name="billing-postal_code"[^>]*autofocus', html)


def test_customer_edit_updates_and_redirects(cs, customer):
    form = {**CREATE, "name": "Bram Bakker", "email": "bram@example.nl", "credit_limit": "250.00"}
    response = cs.post(f"/customers/{customer.number}/edit/", form)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, str(customer.credit_limit)) == ("Bram Bakker", "250.00")


def test_customer_edit_form_shows_the_stored_values(cs, customer):
    html = _html(cs.get(f"/customers/{customer.number}/edit/"))
    assert 'value="bram@example.nl"' in html and "06 1" in html


def test_customer_edit_shows_a_duplicate_email(cs, customer):
    CustomerFactory(email="taken@example.nl")
    response = cs.post(f"/customers/{customer.number}/edit/", {**CREATE, "email": "taken@example.nl"})
    assert response.status_code == 200 and "already has this e-mail address" in _html(response)


def test_credit_hold_fragment_swaps_the_card_and_the_badge(role_client, customer):
    accounting = role_client("accounting")
    url = f"/customers/{customer.number}/credit-hold/"
    refused = accounting.post(url, {"hold": "1", "reason": ""}, headers={"HX-Request": "true"})
    assert "Say why the customer goes on credit hold." in _html(refused)
    response = accounting.post(url, {"hold": "1", "reason": "Two invoices overdue"}, headers={"HX-Request": "true"})
    html = _html(response)
    assert "<html" not in html and 'id="customer-credit"' in html and "Lift credit hold" in html
    assert 'id="customer-hold-badge" hx-swap-oob="true"' in html and "Two invoices overdue" in html
    customer.refresh_from_db()
    assert customer.credit_hold


def test_credit_hold_without_htmx_redirects_and_get_is_refused(cs, customer):
    url = f"/customers/{customer.number}/credit-hold/"
    assert cs.get(url).status_code == 405
    response = cs.post(url, {"hold": "1", "reason": "Fraud check"})
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.number}/"


def test_address_add_fragment_shows_the_new_address_or_the_error(cs, customer):
    url = f"/customers/{customer.number}/addresses/new/"
    form = cs.get(url, {"kind": "shipping"}, headers={"HX-Request": "true"})
    assert 'data-testid="address-form"' in _html(form) and "<html" not in _html(form)
    data = {
        "kind": "shipping",
        "street": "Damrak",
        "house_number": "1",
        "postal_code": "1012",
        "city": "A",
        "country": "NL",
    }
    bad = _html(cs.post(url, data, headers={"HX-Request": "true"}))
    assert "A Dutch postcode is four digits" in bad and 'data-testid="address-form"' in bad
    good = _html(cs.post(url, {**data, "postal_code": "1012lg"}, headers={"HX-Request": "true"}))
    assert 'id="customer-addresses"' in good and "1012 LG" in good and 'data-testid="address-form"' not in good
    assert Address.objects.filter(customer=customer, kind="shipping", is_default=True).count() == 1


def test_address_edit_and_make_default(cs, customer):
    extra = AddressFactory(customer=customer, kind="billing", is_default=False, postal_code="1000 AA")
    url = f"/customers/{customer.number}/addresses/{extra.pk}/"
    fields = {"street": "Neude", "house_number": "2", "postal_code": "3512ae", "city": "Utrecht", "country": "NL"}
    html = _html(cs.post(url + "edit/", fields, headers={"HX-Request": "true"}))
    assert "Neude 2, 3512 AE Utrecht" in html
    cs.post(url + "default/", headers={"HX-Request": "true"})
    extra.refresh_from_db()
    assert extra.is_default and Address.objects.filter(customer=customer, is_default=True).count() == 1


def test_address_of_another_customer_is_404(cs, customer):
    other = AddressFactory()
    assert cs.get(f"/customers/{customer.number}/addresses/{other.pk}/edit/").status_code == 404
