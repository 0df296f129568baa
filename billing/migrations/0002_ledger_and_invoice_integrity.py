"""Database-enforced integrity of the ledger and of issued invoices, and the chart of accounts.

* Posted journal entries and lines, invoice lines and VAT rows refuse UPDATE and DELETE.
* Every journal entry balances: a DEFERRABLE INITIALLY DEFERRED constraint trigger checks at
  COMMIT that its lines' debits and credits are equal and equal to ``total_amount`` (so a line
  added later to an old entry fails too).
* Issued invoices refuse DELETE and any UPDATE except of the mutable columns (payment status,
  amounts paid and credited, the PDF once, the e-mail claim and ``sent_at`` once); keep the list
  equal to ``billing.models.INVOICE_MUTABLE_COLUMNS``.
* At COMMIT an invoice's lines and VAT rows add up to its totals, and on invoices VAT per rate
  is round_half_up(net x rate / 100).
* Invoice number counters never go back and are never deleted.

Errors use SQLSTATE class 23 (integrity violation), so Django raises ``IntegrityError``.
"""

from django.db import migrations

MUTABLE = "ARRAY['status', 'amount_paid', 'amount_credited', 'pdf', 'send_claimed_at', 'sent_at']::text[]"

FORWARD = f"""
CREATE FUNCTION billing_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'billing: % on % refused: posted journal rows and issued invoices are immutable '
                  '(post a reversing entry or issue a credit note)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = '23000';
END $$;

CREATE TRIGGER billing_journalentry_immutable BEFORE UPDATE OR DELETE ON billing_journalentry
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER billing_journalline_immutable BEFORE UPDATE OR DELETE ON billing_journalline
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER billing_invoiceline_immutable BEFORE UPDATE OR DELETE ON billing_invoiceline
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER billing_invoicevat_immutable BEFORE UPDATE OR DELETE ON billing_invoicevat
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();

CREATE FUNCTION billing_assert_entry_balanced(eid bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  total numeric; n integer; d numeric; c numeric;
BEGIN
  SELECT total_amount INTO total FROM billing_journalentry WHERE id = eid;
  SELECT count(*), coalesce(sum(debit), 0), coalesce(sum(credit), 0) INTO n, d, c
    FROM billing_journalline WHERE entry_id = eid;
  IF n < 2 OR d <> c OR d IS DISTINCT FROM total THEN
    RAISE EXCEPTION 'billing: journal entry % does not balance (% lines, debit %, credit %, total %)',
      eid, n, d, c, total USING ERRCODE = '23514';
  END IF;
END $$;

CREATE FUNCTION billing_entry_balanced_on_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM billing_assert_entry_balanced(NEW.id); RETURN NULL; END $$;
CREATE FUNCTION billing_entry_balanced_on_line() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM billing_assert_entry_balanced(NEW.entry_id); RETURN NULL; END $$;

CREATE CONSTRAINT TRIGGER billing_journalentry_balanced AFTER INSERT ON billing_journalentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION billing_entry_balanced_on_entry();
CREATE CONSTRAINT TRIGGER billing_journalline_balanced AFTER INSERT ON billing_journalline
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION billing_entry_balanced_on_line();

CREATE FUNCTION billing_invoice_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'billing: invoice % cannot be deleted: issued invoices are kept (issue a credit note)',
      OLD.number USING ERRCODE = '23000';
  END IF;
  IF (to_jsonb(NEW) - {MUTABLE}) IS DISTINCT FROM (to_jsonb(OLD) - {MUTABLE}) THEN
    RAISE EXCEPTION 'billing: invoice % is issued and cannot be changed (issue a credit note)',
      OLD.number USING ERRCODE = '23000';
  END IF;
  IF OLD.pdf <> '' AND NEW.pdf IS DISTINCT FROM OLD.pdf THEN
    RAISE EXCEPTION 'billing: the PDF of invoice % is stored once', OLD.number USING ERRCODE = '23000';
  END IF;
  IF OLD.sent_at IS NOT NULL AND NEW.sent_at IS DISTINCT FROM OLD.sent_at THEN
    RAISE EXCEPTION 'billing: invoice % was already sent', OLD.number USING ERRCODE = '23000';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER billing_invoice_guard BEFORE UPDATE OR DELETE ON billing_invoice
  FOR EACH ROW EXECUTE FUNCTION billing_invoice_guard();

CREATE FUNCTION billing_assert_invoice_adds_up(iid bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  inv record; n integer; lines_net numeric; vat_net numeric; vat_sum numeric;
BEGIN
  SELECT number, kind, line_count, net_amount, vat_amount INTO inv FROM billing_invoice WHERE id = iid;
  SELECT count(*), coalesce(sum(net_amount), 0) INTO n, lines_net FROM billing_invoiceline WHERE invoice_id = iid;
  SELECT coalesce(sum(net_amount), 0), coalesce(sum(vat_amount), 0) INTO vat_net, vat_sum
    FROM billing_invoicevat WHERE invoice_id = iid;
  IF n <> inv.line_count OR lines_net <> inv.net_amount OR vat_net <> inv.net_amount OR vat_sum <> inv.vat_amount THEN
    RAISE EXCEPTION 'billing: invoice % does not add up (% of % lines, lines net %, VAT rows net %, VAT % vs %, %)',
      inv.number, n, inv.line_count, lines_net, vat_net, vat_sum, inv.net_amount, inv.vat_amount
      USING ERRCODE = '23514';
  END IF;
  IF EXISTS (
    SELECT 1 FROM (SELECT vat_rate AS rate, sum(net_amount) AS net FROM billing_invoiceline
                    WHERE invoice_id = iid GROUP BY vat_rate) l
    FULL JOIN (SELECT rate, net_amount AS net FROM billing_invoicevat WHERE invoice_id = iid) v USING (rate)
    WHERE l.net IS DISTINCT FROM v.net
  ) THEN
    RAISE EXCEPTION 'billing: the VAT breakdown of invoice % does not match its lines', inv.number
      USING ERRCODE = '23514';
  END IF;
  IF inv.kind = 'invoice' AND EXISTS (
    SELECT 1 FROM billing_invoicevat WHERE invoice_id = iid AND vat_amount <> round(net_amount * rate / 100, 2)
  ) THEN
    RAISE EXCEPTION 'billing: VAT of invoice % is not rate x net rounded half-up per rate', inv.number
      USING ERRCODE = '23514';
  END IF;
END $$;

CREATE FUNCTION billing_invoice_adds_up_on_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM billing_assert_invoice_adds_up(NEW.id); RETURN NULL; END $$;
CREATE FUNCTION billing_invoice_adds_up_on_child() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM billing_assert_invoice_adds_up(NEW.invoice_id); RETURN NULL; END $$;

CREATE CONSTRAINT TRIGGER billing_invoice_adds_up AFTER INSERT ON billing_invoice
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION billing_invoice_adds_up_on_invoice();
CREATE CONSTRAINT TRIGGER billing_invoiceline_adds_up AFTER INSERT ON billing_invoiceline
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION billing_invoice_adds_up_on_child();
CREATE CONSTRAINT TRIGGER billing_invoicevat_adds_up AFTER INSERT ON billing_invoicevat
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION billing_invoice_adds_up_on_child();

CREATE FUNCTION billing_counter_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR NEW.next_number < OLD.next_number OR NEW.series <> OLD.series OR NEW.year <> OLD.year THEN
    RAISE EXCEPTION 'billing: invoice number counters only count up' USING ERRCODE = '23000';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER billing_invoicecounter_guard BEFORE UPDATE OR DELETE ON billing_invoicecounter
  FOR EACH ROW EXECUTE FUNCTION billing_counter_guard();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS billing_invoicecounter_guard ON billing_invoicecounter;
DROP TRIGGER IF EXISTS billing_invoicevat_adds_up ON billing_invoicevat;
DROP TRIGGER IF EXISTS billing_invoiceline_adds_up ON billing_invoiceline;
DROP TRIGGER IF EXISTS billing_invoice_adds_up ON billing_invoice;
DROP TRIGGER IF EXISTS billing_invoice_guard ON billing_invoice;
DROP TRIGGER IF EXISTS billing_journalline_balanced ON billing_journalline;
DROP TRIGGER IF EXISTS billing_journalentry_balanced ON billing_journalentry;
DROP TRIGGER IF EXISTS billing_invoicevat_immutable ON billing_invoicevat;
DROP TRIGGER IF EXISTS billing_invoiceline_immutable ON billing_invoiceline;
DROP TRIGGER IF EXISTS billing_journalline_immutable ON billing_journalline;
DROP TRIGGER IF EXISTS billing_journalentry_immutable ON billing_journalentry;
DROP FUNCTION IF EXISTS billing_counter_guard();
DROP FUNCTION IF EXISTS billing_invoice_adds_up_on_child();
DROP FUNCTION IF EXISTS billing_invoice_adds_up_on_invoice();
DROP FUNCTION IF EXISTS billing_assert_invoice_adds_up(bigint);
DROP FUNCTION IF EXISTS billing_invoice_guard();
DROP FUNCTION IF EXISTS billing_entry_balanced_on_line();
DROP FUNCTION IF EXISTS billing_entry_balanced_on_entry();
DROP FUNCTION IF EXISTS billing_assert_entry_balanced(bigint);
DROP FUNCTION IF EXISTS billing_refuse_change();
"""

# A frozen copy of billing.accounts.CHART as it was when this migration was written.
CHART = [
    ("1000", "Kas (cash)", "asset", False),
    ("1100", "Bank", "asset", False),
    ("1300", "Debiteuren (accounts receivable)", "asset", True),
    ("1310", "Te ontvangen iDEAL/card (payment provider)", "asset", False),
    ("1320", "Te ontvangen Klarna", "asset", False),
    ("1330", "Te ontvangen Riverty (AfterPay)", "asset", False),
    ("1340", "Te ontvangen PIN-betalingen (PIN in transit)", "asset", False),
    ("1500", "Te betalen btw hoog (VAT payable, high rate)", "liability", False),
    ("1510", "Te betalen btw laag (VAT payable, low rate)", "liability", False),
    ("1600", "Klanttegoed en vooruitbetalingen (customer credit, prepayments)", "liability", True),
    ("8000", "Omzet hoog tarief (revenue, high rate)", "revenue", False),
    ("8010", "Omzet laag tarief (revenue, low rate)", "revenue", False),
    ("8020", "Omzet nultarief (revenue, zero rate)", "revenue", False),
    ("8030", "Omzet intracommunautair, btw verlegd (revenue, intra-EU reverse charge)", "revenue", False),
    ("8040", "Omzet export buiten de EU (revenue, export)", "revenue", False),
    ("8100", "Omzet verzendkosten (shipping revenue)", "revenue", False),
    ("8900", "Afrondingsverschillen (rounding differences)", "expense", False),
]


def seed_accounts(apps, schema_editor):
    Account = apps.get_model("billing", "Account")
    Account.objects.bulk_create(
        [Account(code=c, name=n, kind=k, subledger=s) for c, n, k, s in CHART], ignore_conflicts=True
    )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunPython(seed_accounts, migrations.RunPython.noop),
    ]
