"""Demo users and organizations: residents, and one verified organization of every kind."""
from django.utils import timezone

from accounts.models import (
    Membership,
    Organization,
    OrganizationVerificationEvent,
    Role,
    User,
    VerificationStatus,
)
from accounts.roles import make_moderator, setup_roles
from accounts.validators import credit_code_check_character

DEMO_PASSWORD = "demo-pass-2024"


def _credit_code(body17: str) -> str:
    return body17 + credit_code_check_character(body17)


RESIDENTS = [
    # login, display name, city, district, language
    ("lina@example.com", "李娜", "广州市", "天河区", "zh-hans"),
    ("wangwei@example.com", "王伟", "深圳市", "南山区", "zh-hans"),
    ("13800138001", "陈晓明", "南宁市", "青秀区", "zh-hans"),
    ("zhang.min@example.com", "张敏", "桂林市", "秀峰区", "zh-hans"),
    ("alex@example.com", "Alex Chen", "深圳市", "福田区", "en"),
]

ORGANIZATIONS = [
    # key, kind, name, legal name, credit code body (17), address, city, district, staff login, staff name
    ("remanufacturer", "remanufacturer", "粤再生汽车零部件再制造", "广东粤再生汽车零部件再制造有限公司",
     "91440101MA5CXK1Y0", "广州市番禺区石碁镇再制造产业园8号", "广州市", "番禺区", "reman@example.com", "黄志强"),
    ("school", "school", "南宁市第三中学", "南宁市第三中学", "12450100498512345",
     "南宁市青秀区青山路5号", "南宁市", "青秀区", "teacher@example.com", "刘老师"),
    ("community", "community", "天河南街道社区服务中心", "广州市天河区天河南街道社区服务中心",
     "12440106MB2C1234X", "广州市天河区天河南二路", "广州市", "天河区", "community@example.com", "周阿姨"),
    ("merchant", "merchant", "深圳优品二手数码", "深圳市优品二手数码贸易有限公司", "91440300MA5FQW2L1",
     "深圳市福田区华强北路1002号", "深圳市", "福田区", "merchant@example.com", "林店长"),
    ("inspection_agency", "inspection_agency", "华南二手商品鉴定中心", "广东华南二手商品质量鉴定中心有限公司",
     "91440101MA9W4K7P2", "广州市海珠区新港东路1000号", "广州市", "海珠区", "inspector@example.com", "何工程师"),
    ("certification_body", "certification_body", "中循认证（广东）", "中循认证（广东）有限公司",
     "91440101MA59XY703", "广州市黄埔区科学大道18号", "广州市", "黄埔区", "certifier@example.com", "吴审核员"),
]


def _user(login, display_name, city, district, language, **extra):
    lookup = {"email": login} if "@" in login else {"phone": f"+86{login}"}
    user = User.objects.filter(**lookup).first()
    if user is None:
        user = User.objects.create_user(password=DEMO_PASSWORD, display_name=display_name, city=city,
                                        district=district, language=language, **lookup, **extra)
    return user


def load(world):
    setup_roles()
    staff = _user("staff@example.com", "平台审核员", "广州市", "天河区", "zh-hans", is_staff=True)
    make_moderator(staff)  # what the admin shows it: accounts.roles.MODERATOR_PERMISSIONS
    world["staff"] = staff
    world["residents"] = [_user(*row) for row in RESIDENTS]
    world["orgs"] = {}
    world["org_staff"] = {}
    for key, kind, name, legal_name, body, address, city, district, login, person in ORGANIZATIONS:
        code = _credit_code(body)
        member = _user(login, person, city, district, "zh-hans")
        org, created = Organization.objects.get_or_create(
            credit_code=code,
            defaults={"kind": kind, "name": name, "legal_name": legal_name, "address": address, "city": city,
                      "district": district, "contact_name": person, "contact_phone": "020-12345678",
                      "verification_status": VerificationStatus.VERIFIED, "verified_at": timezone.now(),
                      "created_by": member},
        )
        Membership.objects.get_or_create(organization=org, user=member, defaults={"role": Role.OWNER})
        if created:
            # The same audit trail a real registration and verification leave behind.
            OrganizationVerificationEvent.objects.bulk_create([
                OrganizationVerificationEvent(organization=org, actor=member, from_status="",
                                              to_status=VerificationStatus.PENDING, reason="Registered"),
                OrganizationVerificationEvent(organization=org, actor=staff, from_status=VerificationStatus.PENDING,
                                              to_status=VerificationStatus.VERIFIED),
            ])
        world["orgs"][key] = org
        world["org_staff"][key] = member
    students = [_user(f"student{n}@example.com", name, "南宁市", "青秀区", "zh-hans")
                for n, name in enumerate(["黄小雨", "蒙嘉怡", "韦浩然"], start=1)]
    for student in students:
        Membership.objects.get_or_create(organization=world["orgs"]["school"], user=student,
                                         defaults={"role": Role.MEMBER, "campus_role": "student"})
    Membership.objects.filter(organization=world["orgs"]["school"], role=Role.OWNER).update(campus_role="teacher")
    world["students"] = students
    return f"{User.objects.count()} users, {Organization.objects.count()} organizations"
