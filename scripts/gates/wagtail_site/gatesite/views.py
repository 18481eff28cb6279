"""Two plain views of the site: search (as ``wagtail start`` has one) and an author list
that reads each author's portrait one by one (a genuine N+1 in project code)."""

from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from wagtail.models import Page

from gatesite.models import Author


def search(request):
    query = request.GET.get("query", "")
    results = Page.objects.live().search(query) if query else Page.objects.none()
    page = Paginator(results, 10).get_page(request.GET.get("page"))
    return TemplateResponse(request, "gatesite/search.html", {"query": query, "page": page})


def authors(request):
    rows = [(author, author.portrait) for author in Author.objects.all()]
    return TemplateResponse(request, "gatesite/authors.html", {"rows": rows})
