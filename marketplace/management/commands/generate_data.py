"""manage.py generate_data --listings N --seed S: a realistic corpus for benchmarks and demos.

Sellers (people and organizations: merchants, remanufacturers, an inspection agency) and N
listings in the seeded categories, with Chinese and English titles and descriptions from
per-category vocabularies (bench/search/corpus.py), prices per category, cities of Guangdong and
Guangxi with points, grades of the category's standard (a share inspected, with an Assessment),
a share of remanufactured and refurbished units. The same seed gives the same corpus.

Rows are bulk-inserted in batches (no signals): run `manage.py search_rebuild` afterwards.
"""
import random
import time
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from accounts.models import Membership, Organization, OrganizationKind, Role, User, VerificationStatus
from accounts.validators import credit_code_check_character
from bench.search.corpus import CATEGORIES, ListingMaker
from grading.models import Assessment, AssessmentSource, GradeLevel, GradingStandard, StandardStatus
from listings.models import Category, GradeSource, Listing, ListingKind, ListingState

# Share of listings by state; the rest are active.
OTHER_STATES = [(ListingState.SOLD, 0.05), (ListingState.WITHDRAWN, 0.02), (ListingState.EXPIRED, 0.02),
                (ListingState.DRAFT, 0.01)]
INSPECTED_SHARE = 0.15
REMANUFACTURED_SHARE = 0.25  # of listings in categories where remanufacturing exists
REFURBISHED_SHARE = 0.06
ORGANIZATION_SHARE = 0.2
HISTORY_DAYS = 180


class Command(BaseCommand):
    help = _("Generate a realistic, deterministic corpus of listings (for benchmarks and demos).")

    def add_arguments(self, parser):
        parser.add_argument("--listings", type=int, default=10_000, help=_("How many listings to create."))
        parser.add_argument("--seed", type=int, default=1, help=_("Random seed: the same seed gives the same corpus."))
        parser.add_argument("--batch-size", type=int, default=2_000, help=_("Rows per bulk insert."))
        parser.add_argument("--no-progress", action="store_true", help=_("Do not show a progress bar."))

    def handle(self, *args, listings, seed, batch_size, no_progress, **options):
        if listings < 1:
            raise CommandError(_("--listings must be at least 1."))
        tag = f"bench{seed}"
        if User.objects.filter(email__startswith=f"{tag}-").exists():
            raise CommandError(
                _("Data for seed %(seed)s already exists; use another --seed or a fresh database.") % {"seed": seed}
            )
        rng = random.Random(seed)
        started = time.perf_counter()
        categories = {c.slug: c for c in Category.objects.filter(slug__in=[v.slug for v in CATEGORIES])}
        missing = {v.slug for v in CATEGORIES} - set(categories)
        if missing:
            raise CommandError(_("Categories missing (run migrate first): %(slugs)s") % {"slugs": ", ".join(sorted(missing))})
        levels = self._levels(categories)

        with transaction.atomic():
            people, merchants, remanufacturers, agency, inspector = self._sellers(tag, seed, listings, rng)
        maker = ListingMaker(rng)
        now = timezone.now().replace(microsecond=0)
        bar = tqdm(total=listings, unit="listing", disable=no_progress or None, file=self.stderr._out)
        created = 0
        while created < listings:
            size = min(batch_size, listings - created)
            rows, inspected = [], []
            for _index in range(size):
                listing, grade = self._listing(rng, maker, categories, levels, people, merchants, remanufacturers, now)
                rows.append(listing)
                inspected.append(grade)
            with transaction.atomic():
                Listing.objects.bulk_create(rows, batch_size=batch_size)
                Assessment.objects.bulk_create([
                    Assessment(listing=listing, standard=grade.standard, source=AssessmentSource.INSPECTION,
                               assessor=inspector, inspection_agency=agency, grade=grade, answers={}, caps={})
                    for listing, grade in zip(rows, inspected, strict=True) if grade is not None
                ], batch_size=batch_size)
            created += size
            bar.update(size)
        bar.close()
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(
            _("Created %(count)d listings (seed %(seed)d) in %(seconds).1f s. Run search_rebuild to index them.")
            % {"count": created, "seed": seed, "seconds": elapsed}
        ))

    @staticmethod
    def _levels(categories) -> dict[str, list[GradeLevel]]:
        """Sellable grade levels of each category's newest published standard, best first."""
        out = {}
        for slug, category in categories.items():
            standard = (GradingStandard.objects.filter(code=category.grading_standard_code,
                                                       status=StandardStatus.PUBLISHED)
                        .order_by("-version").first())
            out[slug] = list(standard.levels.filter(sellable=True).order_by("rank")) if standard else []
        return out

    def _sellers(self, tag, seed, listings, rng):
        password = make_password(None)  # unusable: generated sellers never log in
        people = User.objects.bulk_create([
            User(email=f"{tag}-{i}@example.invalid", display_name=f"卖家{i}", password=password, language="zh-hans")
            for i in range(max(10, listings // 10))
        ])
        count = max(2, listings // 1000)
        kinds = ([OrganizationKind.MERCHANT] * count + [OrganizationKind.REMANUFACTURER] * max(1, count // 2)
                 + [OrganizationKind.INSPECTION_AGENCY])
        prefix = f"9144{seed % 1_000_000:06d}"
        organizations = []
        for i, kind in enumerate(kinds):
            body = f"{prefix}{i:07d}"[:17]
            organizations.append(Organization(
                kind=kind, name=f"{tag} {kind} {i}", legal_name=f"{tag} {kind} {i} 有限公司",
                credit_code=body + credit_code_check_character(body), address="广州市天河区", city="广州市",
                contact_name="联系人", contact_phone="020-12345678", verification_status=VerificationStatus.VERIFIED,
            ))
        organizations = Organization.objects.bulk_create(organizations)
        owners = User.objects.bulk_create([
            User(email=f"{tag}-org{i}@example.invalid", display_name=f"机构管理员{i}", password=password)
            for i in range(len(organizations))
        ])
        Membership.objects.bulk_create([
            Membership(organization=organization, user=owner, role=Role.OWNER)
            for organization, owner in zip(organizations, owners, strict=True)
        ])
        pairs = list(zip(organizations, owners, strict=True))
        merchants = [pair for pair in pairs if pair[0].kind == OrganizationKind.MERCHANT]
        remanufacturers = [pair for pair in pairs if pair[0].kind == OrganizationKind.REMANUFACTURER]
        agency, inspector = pairs[-1]
        return people, merchants, remanufacturers, agency, inspector

    @staticmethod
    def _listing(rng, maker, categories, levels, people, merchants, remanufacturers, now):
        vocabulary = maker.category()
        kind = ListingKind.SECOND_HAND
        if vocabulary.remanufacturable and rng.random() < REMANUFACTURED_SHARE:
            kind = ListingKind.REMANUFACTURED
        elif rng.random() < REFURBISHED_SHARE:
            kind = ListingKind.REFURBISHED
        organization = None
        if kind == ListingKind.REMANUFACTURED:
            organization, seller = rng.choice(remanufacturers)
        elif rng.random() < ORGANIZATION_SHARE:
            organization, seller = rng.choice(merchants)
        else:
            seller = rng.choice(people)
        title, description, attributes = maker.text(vocabulary, kind)
        city, district, latitude, longitude = maker.place()
        roll, state = rng.random(), ListingState.ACTIVE
        for candidate, share in OTHER_STATES:
            if roll < share:
                state = candidate
                break
            roll -= share
        published_at = None
        if state != ListingState.DRAFT:
            published_at = now - timedelta(seconds=rng.randrange(HISTORY_DAYS * 86400))
        grade, grade_code, grade_source = None, "", ""
        scale = levels[vocabulary.slug]
        if scale:
            # Better grades are more common among listed items; an inspection may grade lower.
            level = scale[min(int(rng.expovariate(1.0)), len(scale) - 1)]
            grade_code, grade_source = level.code, GradeSource.SELF_DECLARED
            if rng.random() < INSPECTED_SHARE:
                grade, grade_source = level, GradeSource.INSPECTION
        listing = Listing(
            seller=seller, organization=organization, category=categories[vocabulary.slug], kind=kind,
            title=title, description=description, price=maker.price(vocabulary, kind),
            negotiable=rng.random() < 0.4, quantity=1 if organization is None else rng.randint(1, 20),
            handover_options=["pickup"] if rng.random() < 0.6 else ["pickup", "delivery"],
            city=city, district=district, latitude=latitude, longitude=longitude, attributes=attributes,
            state=state, published_at=published_at,
            expires_at=published_at + timedelta(days=60) if published_at else None,
            grade_code=grade_code, grade_source=grade_source,
        )
        return listing, grade
