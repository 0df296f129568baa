"""The invoice that completes a VAT rate of an order may take the VAT left at it (issue 15).

An order's VAT is computed per rate over the whole order; its per-shipment invoices each round
VAT per rate over themselves, so they could add up to a cent more or less than the order. The
invoice that completes a rate of an order (``billing.services.invoices.closing_totals``)
therefore takes the order's VAT at that rate less what the order's earlier invoices carried at
it. Its VAT then differs from round(rate x net) by the rounding of the earlier invoices (at most
half a cent each) and of the order (half a cent). The integrity trigger allows an invoice of an
order a difference of at most one cent per earlier document of that order; any other invoice
(and an order's first) must still be rate x net rounded half-up per rate, exactly.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION billing_assert_invoice_adds_up(iid bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  inv record; n integer; lines_net numeric; vat_net numeric; vat_sum numeric; slack numeric;
BEGIN
  SELECT number, kind, order_id, line_count, net_amount, vat_amount INTO inv FROM billing_invoice WHERE id = iid;
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
  IF inv.kind = 'invoice' THEN
    slack := 0;
    IF inv.order_id IS NOT NULL THEN
      SELECT 0.01 * count(*) INTO slack FROM billing_invoice WHERE order_id = inv.order_id AND id < iid;
    END IF;
    IF EXISTS (
      SELECT 1 FROM billing_invoicevat
       WHERE invoice_id = iid AND abs(vat_amount - round(net_amount * rate / 100, 2)) > slack
    ) THEN
      RAISE EXCEPTION 'billing: VAT of invoice % is not rate x net rounded half-up per rate', inv.number
        USING ERRCODE = '23514';
    END IF;
  END IF;
END $$;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION billing_assert_invoice_adds_up(iid bigint) RETURNS void LANGUAGE plpgsql AS $$
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
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0007_return_settlement")]

    operations = [migrations.RunSQL(FUNCTION, BACKWARD)]
