"""Orders API routes, included under /api/v1/ by marketplace/urls.py."""
from django.urls import path
from rest_framework.routers import SimpleRouter

from orders import views

router = SimpleRouter()
router.register("orders", views.OrderViewSet, basename="order")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("reviews", views.ReviewViewSet, basename="review")

urlpatterns = [
    *router.urls,
    path("orders/<int:pk>/hand-over-qr.png", views.HandoverQRView.as_view(), name="order-hand-over-qr"),
    path("sellers/<int:pk>/record", views.SellerRecordView.as_view(), name="seller-record"),
    path("sellers/<int:pk>/record/clear", views.ClearSellerRecordView.as_view(), name="seller-record-clear"),
    path("organizations/<int:pk>/record", views.OrganizationRecordView.as_view(), name="organization-record"),
    path("organizations/<int:pk>/record/clear", views.ClearOrganizationRecordView.as_view(),
         name="organization-record-clear"),
    path("listings/<int:pk>/seller-record", views.ListingSellerRecordView.as_view(), name="listing-seller-record"),
    path("organizations/<int:pk>/payouts", views.PayoutsView.as_view(), name="organization-payouts"),
    path("organizations/<int:pk>/payouts/onboarding", views.PayoutOnboardingView.as_view(),
         name="organization-payouts-onboarding"),
    path("payments/stripe/webhook", views.StripeWebhookView.as_view(), name="stripe-webhook"),
]
