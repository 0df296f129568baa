from django.urls import path

from orders.views import entry, pages, panels

app_name = "orders"

urlpatterns = [
    path("", pages.order_list, name="list"),
    path("enter/", entry.order_entry, name="enter"),
    path("enter/customers/", entry.entry_customers, name="enter_customers"),
    path("enter/new-customer/", entry.entry_new_customer, name="enter_new_customer"),
    path("enter/start/", entry.entry_start, name="enter_start"),
    path("enter/<int:order_id>/", entry.draft_detail, name="draft"),
    path("enter/<int:order_id>/customer/", entry.draft_customer, name="draft_customer"),
    path("enter/<int:order_id>/products/", entry.draft_products, name="draft_products"),
    path("enter/<int:order_id>/lines/", entry.draft_add_line, name="draft_add_line"),
    path("enter/<int:order_id>/lines/<int:line_id>/", entry.draft_line, name="draft_line"),
    path("enter/<int:order_id>/lines/<int:line_id>/price/", entry.draft_line_price, name="draft_line_price"),
    path("enter/<int:order_id>/note/", entry.draft_note, name="draft_note"),
    path("enter/<int:order_id>/address/", entry.draft_address, name="draft_address"),
    path("enter/<int:order_id>/delivery/", entry.draft_delivery, name="draft_delivery"),
    path("enter/<int:order_id>/payment/", entry.draft_payment, name="draft_payment"),
    path("enter/<int:order_id>/place/", entry.draft_place, name="draft_place"),
    path("enter/<int:order_id>/payment-link/", entry.placed_payment_link, name="placed_payment_link"),
    path("enter/<int:order_id>/discard/", entry.draft_discard, name="draft_discard"),
    path("customers/<int:customer_id>/panel/", panels.customer_panel, name="customer_panel"),
    path("<str:number>/", pages.order_detail, name="detail"),
    path("<str:number>/cancel/", pages.order_cancel, name="cancel"),
    path("<str:number>/hold/", pages.order_hold, name="hold"),
    path("<str:number>/release/", pages.order_release, name="release"),
    path("<str:number>/lines/", pages.order_change_lines, name="change_lines"),
    path("<str:number>/status-link/revoke/", pages.order_status_link_revoke, name="status_link_revoke"),
]
