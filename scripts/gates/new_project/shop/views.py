from django.http import HttpRequest, HttpResponse
from shop.models import Product


def product_list(request: HttpRequest) -> HttpResponse:
    # One query for the products, then one per product for its category: an N+1 on
    # purpose, for the middleware to find.
    lines = [f"{product.name}: {product.category.name}" for product in Product.objects.all()]
    return HttpResponse("\n".join(lines), content_type="text/plain")
