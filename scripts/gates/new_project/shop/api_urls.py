from django.urls import path
from shop.api import ProductList

urlpatterns = [path("products/", ProductList.as_view())]
