"""An e-mail backend whose mail server is down (the one thing mocked: SMTP leaves the machine)."""

from django.core.mail.backends.base import BaseEmailBackend


class Backend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")
