from django.urls import path

from inventory import api, api_sync

urlpatterns = [
    path("products/", api.ProductListView.as_view(), name="product_list"),
    path("products/<str:sku>/", api.ProductDetailView.as_view(), name="product_detail"),
    path("products/<str:sku>/availability/", api.ProductAvailabilityView.as_view(), name="product_availability"),
    path("stock/adjustments/", api.StockAdjustmentView.as_view(), name="stock_adjustment_create"),
    path("stock-movements/", api_sync.StockMovementList.as_view(), name="stock_movement_list"),
    path("warehouses/", api.WarehouseListView.as_view(), name="warehouse_list"),
    path("warehouses/<str:code>/", api.WarehouseDetailView.as_view(), name="warehouse_detail"),
]
