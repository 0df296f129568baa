from django.urls import path

from shipping import api

urlpatterns = [
    path("shipments/", api.ShipmentList.as_view(), name="shipment-list"),
    path("pickup-points/", api.PickupPointList.as_view(), name="pickup-point-list"),
]
