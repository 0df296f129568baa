"""The order number default in PL/pgSQL instead of SQL.

A SQL-language function that is not inlined (this one cannot be: it reads the sequence once
and uses the value twice) is parsed and planned again on every statement that calls it; PL/pgSQL
keeps its plans for the session. That was 3 % of the database's CPU per order placed
(bench/order_intake.py). Same numbers: SO-000001, seven digits and more past 999999.
"""

from django.db import migrations

PLPGSQL = (
    "CREATE OR REPLACE FUNCTION orders_next_number() RETURNS text LANGUAGE plpgsql VOLATILE AS $$ "
    "DECLARE n bigint := nextval('orders_order_number'); "
    "BEGIN RETURN 'SO-' || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END; END $$"
)
SQL = (
    "CREATE OR REPLACE FUNCTION orders_next_number() RETURNS text LANGUAGE sql VOLATILE AS $$ "
    "SELECT 'SO-' || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END "
    "FROM (SELECT nextval('orders_order_number') AS n) s $$"
)


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_daily_channel_stats")]

    operations = [migrations.RunSQL(PLPGSQL, SQL)]
