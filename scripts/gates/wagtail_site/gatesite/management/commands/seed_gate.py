"""Seed the gate's site: users and groups, collections, images, documents, snippets, a
site setting and a page tree (home, two listings, 25 articles with StreamField bodies,
revisions, a draft and a locked page). Deterministic: same rows and files every time."""

import datetime
import io

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand
from PIL import Image as PillowImage
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import (
    Collection,
    GroupPagePermission,
    ModelLogEntry,
    Page,
    PageLogEntry,
    Revision,
    Site,
)
from wagtail.rich_text import RichText

from gatesite.models import (
    ArticleIndexPage,
    ArticlePage,
    Author,
    HomePage,
    SiteBranding,
)

ARTICLES_PER_LISTING = {"articles": 20, "news": 5}
# Every timestamp the seed leaves is this one: the admin prints "2 minutes ago" and the
# like, which would differ between two runs a minute apart.
SEEDED_AT = datetime.datetime(2024, 6, 1, 12, 0, tzinfo=datetime.UTC)


def png(name: str, colour: tuple[int, int, int], size: tuple[int, int]) -> ImageFile:
    buffer = io.BytesIO()
    PillowImage.new("RGB", size, colour).save(buffer, format="PNG")
    return ImageFile(buffer, name=name)


class Command(BaseCommand):
    help = "Fill the gate's Wagtail site with content."

    def handle(self, *args, **options):
        users = self.people()
        collections = self.collections()
        images = self.images(collections)
        documents = self.documents(collections)
        authors = self.authors(images)
        home = self.home()
        SiteBranding.objects.update_or_create(
            site=Site.objects.get(is_default_site=True), defaults={"tagline": "perfkit gate"}
        )
        for slug, count in ARTICLES_PER_LISTING.items():
            listing = home.add_child(
                instance=ArticleIndexPage(
                    title=slug.title(), slug=slug, intro=f"<p>All the {slug}.</p>"
                )
            )
            listing.save_revision(user=users[0]).publish()
            self.articles(listing, count, users, images, documents, authors)
        self.pin_timestamps()
        self.stdout.write(
            f"seeded {Page.objects.count()} pages, {Image.objects.count()} images, "
            f"{Document.objects.count()} documents, {len(users)} users"
        )

    def people(self):
        user_model = get_user_model()
        admin = user_model.objects.create_superuser("admin", "admin@example.com", "admin")
        editors = Group.objects.get(name="Editors")
        reviewers = Group.objects.create(name="Reviewers")
        reviewers.permissions.add(Permission.objects.get(codename="access_admin"))
        GroupPagePermission.objects.create(
            group=reviewers,
            page=Page.get_first_root_node(),
            permission=Permission.objects.get(codename="change_page"),
        )
        people = [admin]
        for number, group in enumerate([editors, editors, reviewers, reviewers], start=1):
            person = user_model.objects.create_user(
                f"person{number}",
                f"person{number}@example.com",
                "password",
                first_name=f"Person{number}",
                last_name="Example",
            )
            person.groups.add(group)
            people.append(person)
        return people

    def collections(self):
        root = Collection.get_first_root_node()
        return [root, root.add_child(name="Photos"), root.add_child(name="Reports")]

    def images(self, collections):
        images = []
        for number in range(1, 9):
            colour = (number * 30 % 256, number * 70 % 256, number * 110 % 256)
            image = Image(
                title=f"Picture {number}",
                file=png(f"picture{number}.png", colour, (64 + number * 8, 48 + number * 4)),
                collection=collections[number % len(collections)],
            )
            image.save()
            image.tags.add("gate", f"set{number % 3}")
            images.append(image)
        return images

    def documents(self, collections):
        documents = []
        for number in range(1, 5):
            document = Document(
                title=f"Report {number}",
                file=ContentFile(f"report {number}\n".encode() * 20, name=f"report{number}.txt"),
                collection=collections[number % len(collections)],
            )
            document.save()
            documents.append(document)
        return documents

    def authors(self, images):
        return [
            Author.objects.create(name=f"Author {number}", portrait=images[number])
            for number in range(1, 5)
        ]

    def home(self):
        root = Page.get_first_root_node()
        welcome = root.get_children().first()
        home = root.add_child(
            instance=HomePage(title="Home", slug="gate-home", intro="<p>The gate's site.</p>")
        )
        site = Site.objects.get(is_default_site=True)
        site.root_page = home
        site.save()
        if welcome is not None:
            welcome.delete()
        return home

    def articles(self, listing, count, users, images, documents, authors):
        previous = None
        for number in range(1, count + 1):
            owner = users[number % len(users)]
            body = [
                ("heading", f"Part {number}"),
                ("paragraph", RichText(f"<p>Article {number} of {listing.slug}.</p>")),
                ("quote", "Measure, then change."),
                ("image", images[number % len(images)]),
                ("document", documents[number % len(documents)]),
            ]
            if previous is not None:
                body.append(("related", [previous]))
            article = listing.add_child(
                instance=ArticlePage(
                    title=f"{listing.title} {number}",
                    slug=f"{listing.slug}-{number}",
                    date=datetime.date(2024, 1, number),
                    summary=f"Summary of {listing.slug} {number}",
                    hero=images[(number + 1) % len(images)],
                    author=authors[number % len(authors)],
                    body=body,
                    owner=owner,
                )
            )
            article.tags.add(f"topic{number % 4}", listing.slug)
            article.save_revision(user=owner).publish(user=owner, skip_permission_checks=True)
            if number % 5 == 0:  # a second revision: history and compare have something
                article.summary += " (revised)"
                article.save_revision(user=users[0]).publish(user=users[0])
            previous = article
        draft = listing.add_child(
            instance=ArticlePage(
                title=f"{listing.title} draft",
                slug=f"{listing.slug}-draft",
                date=datetime.date(2024, 2, 1),
                live=False,
                owner=users[1],
            )
        )
        draft.save_revision(user=users[1])
        previous.locked, previous.locked_by, previous.locked_at = True, users[0], SEEDED_AT
        previous.save(update_fields=["locked", "locked_by", "locked_at"])

    def pin_timestamps(self):
        Page.objects.exclude(first_published_at=None).update(
            first_published_at=SEEDED_AT,
            last_published_at=SEEDED_AT,
        )
        Page.objects.exclude(latest_revision_created_at=None).update(
            latest_revision_created_at=SEEDED_AT
        )
        Revision.objects.update(created_at=SEEDED_AT)
        PageLogEntry.objects.update(timestamp=SEEDED_AT)
        ModelLogEntry.objects.update(timestamp=SEEDED_AT)
        Image.objects.update(created_at=SEEDED_AT)
        Document.objects.update(created_at=SEEDED_AT)
        get_user_model().objects.update(date_joined=SEEDED_AT)
