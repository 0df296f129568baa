from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.stock_overview, name="stock"),
    path("export.csv", views.stock_export, name="stock_export"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<str:sku>/", views.product_detail, name="product_detail"),
    path("products/<str:sku>/edit/", views.product_edit, name="product_edit"),
    path("products/<str:sku>/adjust/", views.stock_adjust, name="stock_adjust"),
    path("products/<str:sku>/count/", views.stock_count, name="stock_count"),
    path("products/<str:sku>/transfer/", views.stock_transfer, name="stock_transfer"),
    path("levels/<int:pk>/reorder/", views.stock_level_configure, name="stock_level_configure"),
    path("imports/", views.import_upload, name="import"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("warehouses/", views.warehouse_list, name="warehouses"),
    path("warehouses/new/", views.warehouse_edit, name="warehouse_create"),
    path("warehouses/<str:code>/edit/", views.warehouse_edit, name="warehouse_edit"),
]
