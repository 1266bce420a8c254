"""Events API routes, included under /api/v1/ by marketplace/urls.py."""
from django.urls import path
from rest_framework.routers import SimpleRouter

from events import views

router = SimpleRouter()
router.register("events/corners", views.CornerViewSet, basename="sharing-corner")
router.register("events", views.EventViewSet, basename="event")

urlpatterns = [
    path("events/books/lookup", views.BookLookupView.as_view(), name="book-lookup"),
    path("events/credits/<int:organization_id>", views.CreditAccountView.as_view(), name="book-credits"),
    path("events/organizations/<int:organization_id>/calendar.ics", views.OrganizationCalendarView.as_view(),
         name="organization-event-calendar"),
    path("events/<int:pk>/calendar.ics", views.EventCalendarView.as_view(), name="event-calendar"),
    path("events/<int:pk>/report.csv", views.ShareDayReportCSVView.as_view(), name="event-report-csv"),
    path("events/<int:pk>/passes/<int:pass_id>/qr.png", views.PassQRView.as_view(), name="event-pass-qr"),
    *router.urls,
]
