"""Certification API routes, included under /api/v1/ by marketplace/urls.py."""
from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from certification import views

router = SimpleRouter()
router.register("certificates", views.CertificateViewSet, basename="certificate")
router.register("units", views.UnitViewSet, basename="unit")

urlpatterns = [
    *router.urls,
    re_path(rf"^units/(?P<trace_code>{views.CODE_PATTERN})/chain/?$", views.UnitChainView.as_view(), name="unit-chain"),
    path("listings/<int:listing_id>/certification/", views.ListingCertificationView.as_view(),
         name="listing-certification"),
    path("listings/<int:listing_id>/warranty/", views.ListingWarrantyView.as_view(), name="listing-warranty"),
    path("listings/<int:listing_id>/data-erasure/", views.ListingDataErasureView.as_view(),
         name="listing-data-erasure"),
    re_path(rf"^verify/(?P<code>{views.CODE_PATTERN})/?$", views.VerifyView.as_view(), name="certification-verify"),
    re_path(rf"^labels/(?P<code>{views.CODE_PATTERN})\.png$", views.LabelView.as_view(), name="certification-label"),
]
