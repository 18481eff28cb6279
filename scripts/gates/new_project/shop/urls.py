from django.urls import path
from shop.views import product_list

urlpatterns = [path("products/", product_list)]
