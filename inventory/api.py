"""Products and stock API (shared/API.md "Products and stock"): products, availability, stock
adjustments and warehouses. Token auth, problem+json errors, Idempotency-Key on writes."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory import selectors, services
from inventory.models import AdjustmentReason, Product, Warehouse
from oms.api import CursorPagination, api_access
from oms.api_clients import Scope
from oms.errors import NotFound, ValidationFailed
from oms.idempotency import idempotent
from oms.models import VatCategory
from oms.roles import Role

WRITE_ROLES = (Role.WAREHOUSE,)
READ_ROLES = (Role.WAREHOUSE, Role.CUSTOMER_SERVICE, Role.PURCHASING)
# Staff by role; API clients by scope (API.md 1.1). Products, availability and warehouses are
# readable by every client: a webshop shows them, and they hold nothing personal.
READ_ACCESS = api_access(roles=READ_ROLES)
CATALOG_ACCESS = api_access(Scope.CATALOG_WRITE, roles=WRITE_ROLES)
STOCK_ACCESS = api_access(Scope.STOCK_WRITE, roles=WRITE_ROLES)
WAREHOUSE_ACCESS = api_access(Scope.WAREHOUSES_WRITE, roles=WRITE_ROLES)


# --- serializers --------------------------------------------------------------------------------


class ProductInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    list_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    consumer_price = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="Shelf price incl. VAT; omitted: the list price plus VAT",
    )
    vat_category = serializers.ChoiceField(choices=VatCategory.values)
    weight_grams = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False, default=0)
    barcode = serializers.CharField(max_length=13, required=False, allow_null=True, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False, default=True)


class ProductOutSerializer(serializers.ModelSerializer):
    list_price = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    consumer_price = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "sku",
            "name",
            "description",
            "list_price",
            "consumer_price",
            "vat_category",
            "weight_grams",
            "barcode",
            "active",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.CharField())
    def get_consumer_price(self, product: Product) -> str:
        return f"{selectors.consumer_price(product):.2f}"


class WarehouseStockSerializer(serializers.Serializer):
    code = serializers.CharField(source="warehouse_code")
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()


class AvailabilitySerializer(serializers.Serializer):
    sku = serializers.CharField()
    available = serializers.IntegerField()
    warehouses = WarehouseStockSerializer(many=True)
    promised_delivery_date = serializers.DateField(allow_null=True)


class AdjustmentInSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    warehouse = serializers.CharField(max_length=10)
    quantity_delta = serializers.IntegerField(min_value=-1_000_000, max_value=1_000_000)
    reason = serializers.ChoiceField(choices=AdjustmentReason.values)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    def validate_quantity_delta(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError("Must not be zero.", code="invalid_quantity")
        return value


class StockLevelOutSerializer(serializers.Serializer):
    sku = serializers.CharField()
    warehouse = serializers.CharField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()


class WarehouseSerializer(serializers.ModelSerializer):
    cutoff_time = serializers.TimeField(
        format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], allow_null=True, required=False
    )

    class Meta:
        model = Warehouse
        fields = [
            "code",
            "name",
            "street",
            "house_number",
            "postal_code",
            "city",
            "country",
            "cutoff_time",
            "priority",
            "active",
        ]
        read_only_fields = ["code"]
        extra_kwargs = {
            "street": {"required": False},
            "house_number": {"required": False},
            "postal_code": {"required": False},
            "city": {"required": False},
            "country": {"required": False},
            "priority": {"required": False, "max_value": 10_000},
            "active": {"required": False},
        }


# --- products -----------------------------------------------------------------------------------


class ProductPagination(CursorPagination):
    ordering = "sku"


class ProductListView(APIView):
    permission_classes = [READ_ACCESS]

    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="SKU prefix, barcode or words of the name"),
            OpenApiParameter("active", bool),
        ],
        responses=ProductOutSerializer(many=True),
    )
    def get(self, request):
        active = request.query_params.get("active")
        if active not in (None, "", "true", "false", "1", "0"):
            raise ValidationFailed("Use true or false.", field="active")
        qs = selectors.product_list(
            search=request.query_params.get("search", "")[:100],
            active=None if active in (None, "") else active in ("true", "1"),
        )
        paginator = ProductPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(ProductOutSerializer(page, many=True).data)


class ProductDetailView(APIView):
    def get_permissions(self):
        return [(READ_ACCESS if self.request.method == "GET" else CATALOG_ACCESS)()]

    @extend_schema(responses=ProductOutSerializer)
    def get(self, request, sku: str):
        return Response(ProductOutSerializer(selectors.product_get_by_sku(sku)).data)

    @extend_schema(request=ProductInSerializer, responses={200: ProductOutSerializer, 201: ProductOutSerializer})
    @idempotent
    def put(self, request, sku: str):
        data = ProductInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        # Optional fields left out of the body keep their value; PUT replaces what is sent.
        existing = selectors.products_by_skus([sku]).get(sku)
        if existing is not None:
            values.setdefault("description", existing.description)
            if "barcode" not in request.data:
                values["barcode"] = existing.barcode
        product, created = services.product_upsert(sku=sku, user=request.user, **values)
        return Response(
            ProductOutSerializer(product).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class ProductAvailabilityView(APIView):
    permission_classes = [READ_ACCESS]

    @extend_schema(responses=AvailabilitySerializer)
    def get(self, request, sku: str):
        product = selectors.product_get_by_sku(sku)
        availability = selectors.product_availability(product)
        return Response(AvailabilitySerializer({"sku": product.sku, **availability}).data)


# --- stock adjustments --------------------------------------------------------------------------


class StockAdjustmentView(APIView):
    permission_classes = [STOCK_ACCESS]

    @extend_schema(request=AdjustmentInSerializer, responses={201: StockLevelOutSerializer})
    @idempotent
    def post(self, request):
        data = AdjustmentInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        product = _lookup(selectors.product_get_by_sku, values["sku"], "sku")
        warehouse = _lookup(selectors.warehouse_get_by_code, values["warehouse"], "warehouse")
        level = services.stock_adjust(
            product_id=product.pk,
            warehouse_id=warehouse.pk,
            delta=values["quantity_delta"],
            reason=values["reason"],
            user=request.user,
            reference=values["reference"],
        )
        body = {
            "sku": product.sku,
            "warehouse": warehouse.code,
            "on_hand": level.on_hand,
            "reserved": level.reserved,
            "available": level.available,
        }
        return Response(StockLevelOutSerializer(body).data, status=status.HTTP_201_CREATED)


def _lookup(selector, key: str, field: str):
    """A SKU or warehouse code named in a request body that does not exist is bad input (400),
    not a missing resource (404)."""
    try:
        return selector(key)
    except NotFound as exc:
        raise ValidationFailed(exc.message, code=exc.code, field=field) from exc


# --- warehouses ---------------------------------------------------------------------------------


class WarehouseListView(APIView):
    permission_classes = [READ_ACCESS]

    @extend_schema(
        operation_id="v1_warehouses_list",
        responses=inline_serializer(
            "WarehouseList",
            {"results": WarehouseSerializer(many=True), "next": serializers.CharField(allow_null=True)},
        ),
    )
    def get(self, request):
        # A handful of rows: one page, in the same shape as every other list.
        return Response({"results": WarehouseSerializer(selectors.warehouses_all(), many=True).data, "next": None})


class WarehouseDetailView(APIView):
    def get_permissions(self):
        return [(READ_ACCESS if self.request.method == "GET" else WAREHOUSE_ACCESS)()]

    @extend_schema(responses=WarehouseSerializer)
    def get(self, request, code: str):
        return Response(WarehouseSerializer(selectors.warehouse_get_by_code(code)).data)

    @extend_schema(request=WarehouseSerializer, responses={200: WarehouseSerializer, 201: WarehouseSerializer})
    @idempotent
    def put(self, request, code: str):
        data = WarehouseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        warehouse, created = services.warehouse_upsert(code=code, user=request.user, **data.validated_data)
        return Response(
            WarehouseSerializer(warehouse).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
