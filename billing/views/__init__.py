"""billing's pages and htmx partials, by theme: ``accounting`` (invoices, journal, trial
balance, receivables, exports, the customer panel), ``payments`` (the order panel: invoicing an
order, payments and refunds; payments on the customer panel), ``counter`` (the store's counter
sale and its receipt), ``webhooks`` (payment providers)."""
