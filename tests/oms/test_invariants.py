import pytest
from django.core.management import call_command

from oms.models import OutboxEvent, OutboxStatus


@pytest.mark.django_db
def test_check_invariants_exits_non_zero_and_lists_the_broken_rows(capsys):
    call_command("check_invariants")  # clean database: exit code 0
    assert "ok   outbox: no event is dead" in capsys.readouterr().out
    event = OutboxEvent.objects.create(name="x.y", status=OutboxStatus.DEAD, last_error="boom")
    with pytest.raises(SystemExit) as exc:
        call_command("check_invariants")
    assert exc.value.code == 1
    out = capsys.readouterr().out
    assert "FAIL outbox: no event is dead (1 rows)" in out and f'"event": {event.pk}' in out
