"""Order screens: the phone-order screen (``entry``), the order list and order page with its
actions (``pages``), and the orders panel of the customer page (``panels``). One function view
serves a page and its htmx fragments."""
