"""Page types, a snippet and a site setting: enough of a real site to exercise the admin.

``ArticleIndexPage.get_context`` reads each child's owner one by one on purpose: a
genuine N+1 in project code, so the gate can check that perfkit points at this file.
"""

from django.db import models
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.fields import RichTextField, StreamField
from wagtail.images.blocks import ImageChooserBlock
from wagtail.models import Page
from wagtail.search import index
from wagtail.snippets.models import register_snippet


@register_snippet
class Author(models.Model):
    name = models.CharField(max_length=100)
    portrait = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    panels = [FieldPanel("name"), FieldPanel("portrait")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@register_setting
class SiteBranding(BaseSiteSetting):
    tagline = models.CharField(max_length=200, blank=True)


class HomePage(Page):
    intro = RichTextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["gatesite.ArticleIndexPage"]


class ArticleIndexPage(Page):
    intro = RichTextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["gatesite.ArticlePage"]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        articles = self.get_children().live().specific().order_by("path")
        context["articles"] = [(article, article.owner) for article in articles]
        return context


class ArticlePageTag(TaggedItemBase):
    content_object = ParentalKey(
        "gatesite.ArticlePage", related_name="tagged_items", on_delete=models.CASCADE
    )


class ArticlePage(Page):
    date = models.DateField("published on")
    summary = models.CharField(max_length=250, blank=True)
    hero = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    tags = ClusterTaggableManager(through=ArticlePageTag, blank=True)
    body = StreamField(
        [
            ("heading", blocks.CharBlock()),
            ("paragraph", blocks.RichTextBlock()),
            ("quote", blocks.BlockQuoteBlock()),
            ("image", ImageChooserBlock()),
            ("document", DocumentChooserBlock()),
            (
                "related",
                blocks.ListBlock(blocks.PageChooserBlock(page_type="gatesite.ArticlePage")),
            ),
        ],
        blank=True,
    )

    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]
    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("summary"),
        FieldPanel("hero"),
        FieldPanel("author"),
        FieldPanel("tags"),
        FieldPanel("body"),
    ]
    parent_page_types = ["gatesite.ArticleIndexPage"]
