from django.urls import path
from rest_framework.routers import SimpleRouter

from grading import views

router = SimpleRouter(trailing_slash=True)
router.register("grading/standards", views.StandardViewSet, basename="grading-standard")

urlpatterns = [
    path("grading/standards/<slug:code>/<int:version>", views.StandardByCodeView.as_view(),
         name="grading-standard-by-code"),
    path("listings/<int:listing_id>/assessments/", views.ListingAssessmentsView.as_view(),
         name="listing-assessments"),
    path("listings/<int:listing_id>/assessments/<int:pk>/evidence", views.EvidenceView.as_view(),
         name="assessment-evidence"),
    path("listings/<int:listing_id>/grade-report", views.GradeReportView.as_view(), name="listing-grade-report"),
    *router.urls,
]
