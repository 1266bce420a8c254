"""The seeded category tree and its read-only endpoint."""
import pytest
from rest_framework.test import APIClient

from listings.models import Category

pytestmark = pytest.mark.django_db

TOP_LEVEL = {
    "phones-tablets", "computers", "home-appliances", "books", "apparel", "furniture", "baby-kids", "sports",
    "auto-parts", "machinery", "office-equipment",
}


def test_the_migration_seeds_every_top_level_category_with_both_names():
    roots = Category.objects.filter(parent__isnull=True)
    assert set(roots.values_list("slug", flat=True)) == TOP_LEVEL
    assert not Category.objects.filter(name_zh="").exists() and not Category.objects.filter(name_en="").exists()
    assert Category.objects.get(slug="phones").parent.slug == "phones-tablets"
    assert Category.objects.get(slug="textbooks").parent.slug == "books"


def test_standards_and_data_erasure_flags():
    standards = dict(Category.objects.values_list("slug", "grading_standard_code"))
    assert standards["phones"] == "phone" and standards["laptops"] == "computer" and standards["novels"] == "book"
    assert standards["auto-parts"] == "auto-part" and standards["apparel"] == "apparel"
    erasure = set(Category.objects.filter(requires_data_erasure=True).values_list("slug", flat=True))
    assert erasure == {"phones-tablets", "phones", "tablets", "computers", "laptops", "desktops"}


def test_tree_endpoint_is_public_and_nested(api):
    response = api.get("/api/v1/categories/")
    assert response.status_code == 200
    roots = {node["slug"]: node for node in response.json()}
    assert set(roots) == TOP_LEVEL
    books = roots["books"]
    assert books["name"] == "Books & textbooks"
    assert {child["slug"] for child in books["children"]} == {"textbooks", "novels"}
    textbooks = next(child for child in books["children"] if child["slug"] == "textbooks")
    assert textbooks["attribute_schema"]["required"] == ["isbn"]


def test_category_names_follow_the_language():
    response = APIClient().get("/api/v1/categories/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    names = {node["slug"]: node["name"] for node in response.json()}
    assert names["books"] == "图书教材"


def test_one_category_with_its_subtree(api, django_assert_max_num_queries):
    phones = Category.objects.get(slug="phones-tablets")
    with django_assert_max_num_queries(2):
        response = api.get(f"/api/v1/categories/{phones.pk}/")
    assert response.status_code == 200
    assert [child["slug"] for child in response.json()["children"]] == ["phones", "tablets"]
    assert api.get("/api/v1/categories/999999/").status_code == 404


def test_categories_are_read_only(client_for, staff):
    assert client_for(staff).post("/api/v1/categories/", {"slug": "x"}).status_code == 405
