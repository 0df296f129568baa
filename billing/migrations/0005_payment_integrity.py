"""Payments and their allocations are records, not drafts: a payment refuses DELETE and any
UPDATE except of its running totals (``billing.models.PAYMENT_MUTABLE_COLUMNS``); an allocation
refuses UPDATE and DELETE (one taken back is a new, negative allocation). Errors use SQLSTATE
class 23, so Django raises ``IntegrityError``."""

from django.db import migrations

MUTABLE = "ARRAY['amount_allocated', 'amount_refunded']::text[]"

FORWARD = f"""
CREATE FUNCTION billing_payment_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'billing: payment % cannot be deleted: record a refund instead', OLD.reference
      USING ERRCODE = '23000';
  END IF;
  IF (to_jsonb(NEW) - {MUTABLE}) IS DISTINCT FROM (to_jsonb(OLD) - {MUTABLE}) THEN
    RAISE EXCEPTION 'billing: payment % is recorded and cannot be changed', OLD.reference USING ERRCODE = '23000';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER billing_payment_guard BEFORE UPDATE OR DELETE ON billing_payment
  FOR EACH ROW EXECUTE FUNCTION billing_payment_guard();
CREATE TRIGGER billing_paymentallocation_immutable BEFORE UPDATE OR DELETE ON billing_paymentallocation
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS billing_paymentallocation_immutable ON billing_paymentallocation;
DROP TRIGGER IF EXISTS billing_payment_guard ON billing_payment;
DROP FUNCTION IF EXISTS billing_payment_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_payments_and_orders")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
