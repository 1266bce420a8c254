"""Seed the category tree: Chinese and English names, grading standard codes and attribute schemas.

The schemas live here (not imported from app code) so this migration means the same thing forever;
a later change to a schema is a later migration.
"""
from django.db import migrations


def _obj(properties, required=()):
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "required": list(required),
    }


def _text(max_length=60):
    return {"type": "string", "minLength": 1, "maxLength": max_length}


def _int(minimum, maximum):
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


PHONE = _obj(
    {
        "brand": _text(40),
        "model": _text(60),
        "storage_gb": {"type": "integer", "enum": [8, 16, 32, 64, 128, 256, 512, 1024, 2048]},
        "color": _text(20),
        "imei_last4": {"type": "string", "format": "imei-last4"},
    },
    required=["brand", "model"],
)
COMPUTER = _obj(
    {
        "brand": _text(40),
        "model": _text(60),
        "cpu": _text(60),
        "ram_gb": _int(1, 1024),
        "storage_gb": _int(1, 65536),
        "screen_inch": {"type": "number", "minimum": 7, "maximum": 49},
    },
    required=["brand", "model"],
)
APPLIANCE = _obj(
    {
        "brand": _text(40),
        "model": _text(60),
        "energy_grade": _int(1, 5),
        "year_of_manufacture": _int(1980, 2100),
    },
    required=["brand"],
)
BOOK_PROPERTIES = {
    "isbn": {"type": "string", "format": "isbn"},
    "author": _text(100),
    "publisher": _text(100),
    "edition": _text(40),
}
BOOK = _obj(BOOK_PROPERTIES)
TEXTBOOK = _obj({**BOOK_PROPERTIES, "subject": _text(40), "school_level": _text(40)}, required=["isbn"])
APPAREL = _obj(
    {
        "size": {
            "anyOf": [
                {"type": "string", "enum": ["XS", "S", "M", "L", "XL", "XXL", "XXXL", "均码"]},
                # GB/T 1335 body size, e.g. 170/88A; or a shoe size, e.g. 42 or 38.5
                {"type": "string", "pattern": "^[0-9]{3}/[0-9]{2,3}[ABCY]?$"},
                {"type": "string", "pattern": "^[0-9]{2}(\\.5)?$"},
            ]
        },
        "brand": _text(40),
        "gender": {"type": "string", "enum": ["women", "men", "unisex", "kids"]},
        "material": _text(60),
    },
    required=["size"],
)
FURNITURE = _obj(
    {
        "brand": _text(40),
        "material": _text(60),
        "width_cm": _int(1, 1000),
        "depth_cm": _int(1, 1000),
        "height_cm": _int(1, 1000),
    }
)
AUTO_PART = _obj(
    {
        "oe_number": {"type": "string", "format": "oe-part-number"},
        "brand": _text(40),
        "fits_models": _text(200),
    },
    required=["oe_number"],
)
MACHINERY = _obj(
    {
        "brand": _text(40),
        "model": _text(60),
        "part_number": {"type": "string", "format": "oe-part-number"},
        "power_kw": {"type": "number", "exclusiveMinimum": 0, "maximum": 100000},
    }
)
GENERAL = _obj({"brand": _text(40), "model": _text(60)})
BABY = _obj({"brand": _text(40), "age_range": _text(40)})
SPORTS = _obj({"brand": _text(40), "size": _text(20)})

# slug, parent slug, Chinese, English, grading standard, schema, requires data erasure
CATEGORIES = [
    ("phones-tablets", None, "手机平板", "Phones & tablets", "phone", PHONE, True),
    ("phones", "phones-tablets", "手机", "Phones", "phone", PHONE, True),
    ("tablets", "phones-tablets", "平板电脑", "Tablets", "phone", PHONE, True),
    ("computers", None, "电脑", "Computers", "computer", COMPUTER, True),
    ("laptops", "computers", "笔记本电脑", "Laptops", "computer", COMPUTER, True),
    ("desktops", "computers", "台式电脑", "Desktops", "computer", COMPUTER, True),
    ("home-appliances", None, "家用电器", "Home appliances", "appliance", APPLIANCE, False),
    ("large-appliances", "home-appliances", "大家电", "Large appliances", "appliance", APPLIANCE, False),
    ("small-appliances", "home-appliances", "小家电", "Small appliances", "appliance", APPLIANCE, False),
    ("books", None, "图书教材", "Books & textbooks", "book", BOOK, False),
    ("textbooks", "books", "教材教辅", "Textbooks", "book", TEXTBOOK, False),
    ("novels", "books", "小说文学", "Novels & literature", "book", BOOK, False),
    ("apparel", None, "服装鞋帽", "Apparel", "apparel", APPAREL, False),
    ("furniture", None, "家具", "Furniture", "furniture", FURNITURE, False),
    ("baby-kids", None, "母婴儿童", "Baby & kids", "general", BABY, False),
    ("sports", None, "运动户外", "Sports & outdoors", "general", SPORTS, False),
    ("auto-parts", None, "汽车配件", "Auto parts", "auto-part", AUTO_PART, False),
    ("machinery", None, "机械及工程配件", "Machinery & engineering parts", "general", MACHINERY, False),
    ("office-equipment", None, "办公设备", "Office equipment", "general", GENERAL, False),
]


def seed(apps, schema_editor):
    Category = apps.get_model("listings", "Category")
    by_slug = {}
    for position, (slug, parent, name_zh, name_en, standard, schema, erasure) in enumerate(CATEGORIES):
        category, _ = Category.objects.update_or_create(
            slug=slug,
            defaults={
                "parent": by_slug.get(parent),
                "name_zh": name_zh,
                "name_en": name_en,
                "grading_standard_code": standard,
                "attribute_schema": schema,
                "requires_data_erasure": erasure,
                "position": position,
            },
        )
        by_slug[slug] = category


def unseed(apps, schema_editor):
    Category = apps.get_model("listings", "Category")
    # Children first; PROTECT refuses (rightly) while listings still use a category.
    for slug, *_ in reversed(CATEGORIES):
        Category.objects.filter(slug=slug).delete()


class Migration(migrations.Migration):
    dependencies = [("listings", "0002_photo_hash_bands_and_open_report")]

    operations = [migrations.RunPython(seed, unseed)]
