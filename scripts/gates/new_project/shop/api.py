"""The DRF variant: one cursor-paginated list (installed with the `drf` extra)."""

from rest_framework import serializers
from rest_framework.generics import ListAPIView
from shop.models import Product

from perfkit.pagination import CursorPagination


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "category", "created_at"]


class NewestFirst(CursorPagination):
    ordering = ["-created_at"]  # served by the index perfindex added
    page_size = 2


class ProductList(ListAPIView):
    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    pagination_class = NewestFirst
