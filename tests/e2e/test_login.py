import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_user_logs_in_and_sees_home(live_server, browser_page, make_user):
    make_user("customer_service", username="anna")
    page = browser_page
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill("anna")
    page.get_by_label("Password").fill("pw-for-tests-only")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")
    assert "Good day, anna" in page.locator("h1").inner_text()
    assert "Customer service" in page.get_by_test_id("current-user").inner_text()  # the role, by its name
